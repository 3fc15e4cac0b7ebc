package io.lnraft.store;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.AppliedIndex;
import io.lnraft.store.proto.ChannelRecord;
import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.Identity;
import io.lnraft.store.proto.KvRecord;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.MonitorUpdateRecord;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentResult;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.Status;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;

/** Read-only queries over a consistent {@link StateView}; pure like {@link StoreTransition}. */
public final class StoreQueries {
  /** Most events returned by one GetEvents. */
  public static final int MAX_EVENTS_PER_QUERY = 1000;

  private StoreQueries() {}

  public static QueryReply answer(StateView view, Query q) {
    Optional<String> invalid = CommandValidator.check(q);
    if (invalid.isPresent()) {
      return QueryReply.newBuilder().setStatus(Status.INVALID).setMessage(invalid.get()).build();
    }
    QueryReply.Builder r = QueryReply.newBuilder().setStatus(Status.OK);
    switch (q.getQueryCase()) {
      case STARTUP_STATE -> r.setStartupState(startupState(view));
      case GET_KV -> {
        Optional<KvRecord> rec = view.get(Table.KV, StoreKeys.kv(q.getGetKv().getKey()))
            .map(b -> StoreTransition.parse(b, KvRecord.parser()));
        r.setKv(rec.map(x -> KvResult.newBuilder().setFound(true).setRecord(x).build())
            .orElse(KvResult.newBuilder().setFound(false).build()));
      }
      case GET_EVENTS -> r.setEvents(events(view, q.getGetEvents().getAfterSeq(), q.getGetEvents().getLimit()));
      case GET_PAYMENT -> {
        Optional<PaymentRecord> p = view.get(Table.PAYMENTS,
            StoreKeys.payment(q.getGetPayment().getDirection(), q.getGetPayment().getPaymentHash().toByteArray()))
            .map(b -> StoreTransition.parse(b, PaymentRecord.parser()));
        r.setPayment(p.map(x -> PaymentResult.newBuilder().setFound(true).setPayment(x).build())
            .orElse(PaymentResult.newBuilder().setFound(false).build()));
      }
      case GET_WRITER -> r.setWriter(StoreTransition.readWriter(view));
      case GET_DIGEST -> r.setDigest(digest(view));
      case GET_CHANNEL -> {
        byte[] ch = StoreKeys.channel(q.getGetChannel().getChannel());
        channel(view, ch).ifPresentOrElse(r::setChannel,
            () -> r.setStatus(Status.CONFLICT).setMessage("unknown channel " + StoreTransition.describe(q.getGetChannel().getChannel())));
      }
      default -> throw new IllegalStateException("validator let an empty query through");
    }
    return r.build();
  }

  /** Everything a new leader needs to rebuild its Lightning node. */
  public static StartupState startupState(StateView view) {
    StartupState.Builder s = StartupState.newBuilder().setWriter(StoreTransition.readWriter(view));
    view.get(Table.MANAGER, StoreKeys.MANAGER).ifPresent(m -> s.setManager(ByteString.copyFrom(m)));
    for (ByteString id : StoreTransition.storedManifest(view)) {
      byte[] data = view.get(Table.MANAGER, StoreKeys.managerChunk(id)).orElseThrow(() -> new IllegalStateException(
          "manager chunk " + java.util.HexFormat.of().formatHex(id.toByteArray()) + " is missing from the store"));
      s.addManagerChunks(io.lnraft.store.proto.ManagerChunk.newBuilder().setId(id).setData(ByteString.copyFrom(data)));
    }
    view.get(Table.META, StoreKeys.META_IDENTITY).ifPresent(b -> s.setIdentity(StoreTransition.parse(b, Identity.parser())));
    s.setAppliedIndex(appliedIndex(view).getIndex());
    s.setLastEventSeq(view.get(Table.META, StoreKeys.META_LAST_EVENT_SEQ).map(StoreKeys::u64).orElse(0L));
    view.scan(Table.CHANNELS, new byte[0], null, (k, v) -> {
      if (k.length == StoreKeys.CHANNEL_KEY_BYTES + 1 && k[k.length - 1] == StoreKeys.CHANNEL_RECORD_SUFFIX) {
        channel(view, Arrays.copyOf(k, StoreKeys.CHANNEL_KEY_BYTES)).ifPresent(s::addChannels);
      }
      return true;
    });
    return s.build();
  }

  static Optional<ChannelState> channel(StateView view, byte[] ch) {
    Optional<byte[]> rec = view.get(Table.CHANNELS, StoreKeys.channelRecord(ch));
    if (rec.isEmpty()) return Optional.empty();
    ChannelState.Builder c = ChannelState.newBuilder().setChannel(StoreKeys.channelFromKey(ch))
        .setRecord(StoreTransition.parse(rec.get(), ChannelRecord.parser()));
    view.get(Table.CHANNELS, StoreKeys.channelBase(ch)).ifPresent(b -> c.setBaseMonitor(ByteString.copyFrom(b)));
    view.scan(Table.MONITOR_UPDATES, ch, StoreKeys.channelEnd(ch), (k, v) -> {
      c.addUpdatesAfterBase(MonitorUpdateRecord.newBuilder().setUpdateId(StoreKeys.updateIdOf(k)).setUpdate(ByteString.copyFrom(v)));
      return true;
    });
    return Optional.of(c.build());
  }

  public static EventsResult events(StateView view, long afterSeq, int limit) {
    int max = limit <= 0 ? MAX_EVENTS_PER_QUERY : Math.min(limit, MAX_EVENTS_PER_QUERY);
    EventsResult.Builder r = EventsResult.newBuilder()
        .setLastSeq(view.get(Table.META, StoreKeys.META_LAST_EVENT_SEQ).map(StoreKeys::u64).orElse(0L));
    view.scan(Table.EVENTS, StoreKeys.event(afterSeq + 1), null, (k, v) -> {
      r.addEvents(StoreTransition.parse(v, LedgerEvent.parser()));
      return r.getEventsCount() < max;
    });
    return r.build();
  }

  public static AppliedIndex appliedIndex(StateView view) {
    return view.get(Table.META, StoreKeys.META_APPLIED).map(b -> StoreTransition.parse(b, AppliedIndex.parser()))
        .orElse(AppliedIndex.getDefaultInstance());
  }

  /**
   * SHA-256 over every record of every table except the applied index (which is bookkeeping of
   * Raft, not content). Two replicas at the same applied index must have equal digests.
   */
  public static DigestResult digest(StateView view) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long[] count = {0};
    for (Table t : Table.values()) {
      md.update(t.columnFamily().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      view.scan(t, new byte[0], null, (k, v) -> {
        if (t == Table.META && Arrays.equals(k, StoreKeys.META_APPLIED)) return true;
        md.update(StoreKeys.u64(k.length));
        md.update(k);
        md.update(StoreKeys.u64(v.length));
        md.update(v);
        count[0]++;
        return true;
      });
    }
    return DigestResult.newBuilder().setSha256(ByteString.copyFrom(md.digest())).setRecords(count[0])
        .setAppliedIndex(appliedIndex(view).getIndex()).build();
  }
}
