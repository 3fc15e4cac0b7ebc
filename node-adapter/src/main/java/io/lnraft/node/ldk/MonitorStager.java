package io.lnraft.node.ldk;

import io.lnraft.node.gate.CommitStage;
import io.lnraft.store.Ops;
import io.lnraft.store.proto.ChannelKey;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.ldk.structs.ChannelMonitor;
import org.ldk.structs.ChannelMonitorUpdate;
import org.ldk.structs.MonitorUpdateId;
import org.ldk.structs.OutPoint;
import org.ldk.structs.Persist;
import org.ldk.structs.Result_NoneChannelMonitorUpdateErrZ;

/**
 * LDK's {@code Persist}: every monitor write becomes a store op handed to the {@link CommitStage}.
 * It only copies bytes and stages (the committer makes them durable before any dependent peer
 * byte leaves), then reports success. It never returns PermanentFailure (that force-closes the
 * channel): a replica that cannot commit stops its node instead.
 *
 * <p>Which op: a new channel -> its full monitor as the base; an update -> the delta at its id,
 * except every {@link #COMPACTION_INTERVAL}th id, where the full monitor replaces the base and all
 * deltas (so a restore never replays more than that many); LDK's closed-channel updates (id
 * 2^64-1, may repeat) -> appended; a chain-sync write (no update) -> the full monitor at its latest
 * id.
 *
 * <p>Ordering: LDK may persist one channel from two threads at once (a chain-sync write during a
 * channel update: ChainMonitor holds only a read lock). So staging is serialized here, each full
 * monitor is staged with the id read under that lock, and a delta whose id a staged base already
 * covers is dropped, keeping the store's rule (updates exactly latest+1, a base never behind).
 */
final class MonitorStager implements Persist.PersistInterface {
  static final int COMPACTION_INTERVAL = 64;
  static final long CLOSED_CHANNEL_UPDATE_ID = -1L; // 2^64-1 as an unsigned long

  private final CommitStage stage;
  private final Map<ByteBuffer, Long> latestStaged = new HashMap<>();

  MonitorStager(CommitStage stage) {
    this.stage = stage;
  }

  /** The store's key of a channel: LDK's funding txid bytes as they are, and the output index. */
  static ChannelKey channelKey(OutPoint funding) {
    return Ops.channel(funding.get_txid(), Short.toUnsignedInt(funding.get_index()));
  }

  /** Seeds the tracker with a restored monitor, before LDK's watch_channel re-persists it. */
  synchronized void restored(OutPoint funding, long latestUpdateId) {
    latestStaged.put(key(funding), latestUpdateId);
  }

  @Override
  public Result_NoneChannelMonitorUpdateErrZ persist_new_channel(OutPoint funding, ChannelMonitor monitor, MonitorUpdateId id) {
    stageFull(funding, monitor);
    return Result_NoneChannelMonitorUpdateErrZ.ok();
  }

  @Override
  public Result_NoneChannelMonitorUpdateErrZ update_persisted_channel(OutPoint funding, ChannelMonitorUpdate update,
      ChannelMonitor monitor, MonitorUpdateId id) {
    if (update == null) {
      stageFull(funding, monitor); // chain sync: the monitor saw a block
    } else {
      stageUpdate(funding, update, monitor);
    }
    return Result_NoneChannelMonitorUpdateErrZ.ok();
  }

  private synchronized void stageFull(OutPoint funding, ChannelMonitor monitor) {
    ByteBuffer k = key(funding);
    long id = monitor.get_latest_update_id();
    byte[] bytes = monitor.write();
    Long staged = latestStaged.get(k);
    if (staged != null && Long.compareUnsigned(id, staged) < 0) {
      return; // a stale chain-sync copy overtaken by a staged update: the next block writes it again
    }
    stage.stage(Ops.putBaseMonitor(channelKey(funding), id, bytes));
    latestStaged.put(k, id);
  }

  private synchronized void stageUpdate(OutPoint funding, ChannelMonitorUpdate update, ChannelMonitor monitor) {
    ByteBuffer k = key(funding);
    long id = update.get_update_id();
    Long staged = latestStaged.get(k);
    if (id == CLOSED_CHANNEL_UPDATE_ID) {
      stage.stage(Ops.appendMonitorUpdate(channelKey(funding), id, update.write()));
      latestStaged.put(k, id);
      return;
    }
    if (staged != null && Long.compareUnsigned(id, staged) <= 0) {
      return; // already inside a staged full monitor
    }
    if (Long.remainderUnsigned(id, COMPACTION_INTERVAL) == 0) {
      long monitorId = monitor.get_latest_update_id();
      stage.stage(Ops.putBaseMonitor(channelKey(funding), monitorId, monitor.write()));
      latestStaged.put(k, monitorId);
    } else {
      stage.stage(Ops.appendMonitorUpdate(channelKey(funding), id, update.write()));
      latestStaged.put(k, id);
    }
  }

  private static ByteBuffer key(OutPoint funding) {
    byte[] txid = funding.get_txid();
    return ByteBuffer.allocate(txid.length + 2).put(txid).putShort(funding.get_index()).flip();
  }
}
