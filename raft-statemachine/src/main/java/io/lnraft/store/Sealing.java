package io.lnraft.store;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.MonitorUpdateRecord;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.StartupState;
import java.util.ArrayList;
import java.util.List;

/** Applies a {@link StateSealer} to the store's channel-state ops and to the startup read. */
final class Sealing {
  private Sealing() {}

  static List<Op> seal(StateSealer s, List<Op> ops) {
    List<Op> out = new ArrayList<>(ops.size());
    for (Op op : ops) {
      switch (op.getOpCase()) {
        case PUT_BASE_MONITOR -> {
          var m = op.getPutBaseMonitor();
          out.add(op.toBuilder().setPutBaseMonitor(m.toBuilder().setMonitor(ByteString.copyFrom(
              s.seal(m.getMonitor().toByteArray(), StateSealer.monitorAad(m.getChannel(), m.getUpdateId()))))).build());
        }
        case APPEND_MONITOR_UPDATE -> {
          var u = op.getAppendMonitorUpdate();
          out.add(op.toBuilder().setAppendMonitorUpdate(u.toBuilder().setUpdate(ByteString.copyFrom(
              s.seal(u.getUpdate().toByteArray(), StateSealer.updateAad(u.getChannel(), u.getUpdateId()))))).build());
        }
        case PUT_MANAGER -> {
          var m = op.getPutManager();
          out.add(op.toBuilder().setPutManager(m.toBuilder().setManager(ByteString.copyFrom(
              s.seal(m.getManager().toByteArray(), StateSealer.managerAad())))).build());
        }
        case PUT_MANAGER_CHUNKS -> {
          var p = op.getPutManagerChunks().toBuilder().clearNewChunks();
          for (var c : op.getPutManagerChunks().getNewChunksList()) {
            p.addNewChunks(c.toBuilder().setData(ByteString.copyFrom(
                s.seal(c.getData().toByteArray(), StateSealer.managerChunkAad(c.getId())))));
          }
          out.add(op.toBuilder().setPutManagerChunks(p).build());
        }
        default -> out.add(op);
      }
    }
    return out;
  }

  static StartupState open(StateSealer s, StartupState st) {
    StartupState.Builder b = st.toBuilder();
    if (!st.getManager().isEmpty()) {
      b.setManager(ByteString.copyFrom(s.open(st.getManager().toByteArray(), StateSealer.managerAad(), "the stored manager")));
    }
    b.clearManagerChunks();
    for (var c : st.getManagerChunksList()) {
      b.addManagerChunks(c.toBuilder().setData(ByteString.copyFrom(s.open(c.getData().toByteArray(),
          StateSealer.managerChunkAad(c.getId()), "a chunk of the stored manager"))));
    }
    b.clearChannels();
    for (ChannelState c : st.getChannelsList()) {
      ChannelState.Builder cb = c.toBuilder();
      if (!c.getBaseMonitor().isEmpty()) {
        cb.setBaseMonitor(ByteString.copyFrom(s.open(c.getBaseMonitor().toByteArray(),
            StateSealer.monitorAad(c.getChannel(), c.getRecord().getBaseUpdateId()), "the base monitor of " + name(c))));
      }
      cb.clearUpdatesAfterBase();
      for (MonitorUpdateRecord u : c.getUpdatesAfterBaseList()) {
        cb.addUpdatesAfterBase(u.toBuilder().setUpdate(ByteString.copyFrom(s.open(u.getUpdate().toByteArray(),
            StateSealer.updateAad(c.getChannel(), u.getUpdateId()), "monitor update " + u.getUpdateId() + " of " + name(c)))));
      }
      b.addChannels(cb);
    }
    return b.build();
  }

  private static String name(ChannelState c) {
    return "channel " + java.util.HexFormat.of().formatHex(c.getChannel().getFundingTxid().toByteArray()) + ":"
        + c.getChannel().getOutputIndex();
  }
}
