package io.lnraft.store;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.MonitorUpdateRecord;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.StartupState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a {@link StateSealer} to the ops a node commits (channel state, the preimage and
 * description of ledger records, kv values) and opens them again in what the node reads (startup
 * state, ledger events, payment records, kv values).
 */
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
        case PUT_KV -> {
          var kv = op.getPutKv();
          out.add(op.toBuilder().setPutKv(kv.toBuilder().setValue(ByteString.copyFrom(
              s.seal(kv.getValue().toByteArray(), StateSealer.kvAad(kv.getKey()))))).build());
        }
        case RECORD_PAYMENT -> {
          var r = op.getRecordPayment();
          out.add(op.toBuilder().setRecordPayment(r.toBuilder().setPayment(seal(s, r.getPayment()))).build());
        }
        default -> out.add(op);
      }
    }
    return out;
  }

  /** Moves a record's preimage and description into their sealed fields (empty values stay empty). */
  static PaymentRecord seal(StateSealer s, PaymentRecord p) {
    PaymentRecord.Builder b = p.toBuilder();
    if (!p.getPreimage().isEmpty()) {
      b.clearPreimage().setSealedPreimage(ByteString.copyFrom(s.seal(p.getPreimage().toByteArray(),
          StateSealer.preimageAad(p.getDirection(), p.getPaymentHash()))));
    }
    if (!p.getDescription().isEmpty()) {
      b.clearDescription().setSealedDescription(ByteString.copyFrom(s.seal(p.getDescription().getBytes(StandardCharsets.UTF_8),
          StateSealer.descriptionAad(p.getDirection(), p.getPaymentHash()))));
    }
    return b.build();
  }

  /** The inverse of {@link #seal(StateSealer, PaymentRecord)}; plain records pass unchanged. */
  static PaymentRecord open(StateSealer s, PaymentRecord p) {
    if (p.getSealedPreimage().isEmpty() && p.getSealedDescription().isEmpty()) return p;
    PaymentRecord.Builder b = p.toBuilder();
    String which = "payment " + java.util.HexFormat.of().formatHex(p.getPaymentHash().toByteArray()) + " ("
        + p.getDirection() + ")";
    if (!p.getSealedPreimage().isEmpty()) {
      b.clearSealedPreimage().setPreimage(ByteString.copyFrom(s.open(p.getSealedPreimage().toByteArray(),
          StateSealer.preimageAad(p.getDirection(), p.getPaymentHash()), "the preimage of " + which)));
    }
    if (!p.getSealedDescription().isEmpty()) {
      b.clearSealedDescription().setDescription(new String(s.open(p.getSealedDescription().toByteArray(),
          StateSealer.descriptionAad(p.getDirection(), p.getPaymentHash()), "the description of " + which),
          StandardCharsets.UTF_8));
    }
    return b.build();
  }

  /** A kv answer as the node reads it; {@code legacyPlain}: the value was stored unsealed (see {@link #openKv}). */
  record OpenedKv(KvResult result, boolean legacyPlain) {}

  /**
   * Opens the value of kv {@code key}. A sealed value (it starts with the sealed format's version
   * byte, 0x01) must authenticate under this key, else {@link StateSealer.SealedDataException}:
   * another seed, altered bytes, or a value moved from another key. A value that does not start
   * with 0x01 was written by a build from before kv sealing (its only writer stored text lines,
   * {@code <node id hex> host:port}) or by a client without a seed: it is returned as stored and
   * flagged, and is sealed the next time it is written. Every value a sealing client writes starts
   * with 0x01, so a sealed value is never returned unopened.
   */
  static OpenedKv openKv(StateSealer s, String key, KvResult r) {
    if (!r.getFound()) return new OpenedKv(r, false);
    ByteString stored = r.getRecord().getValue();
    if (!StateSealer.startsSealed(stored)) return new OpenedKv(r, true);
    byte[] plain = s.open(stored.toByteArray(), StateSealer.kvAad(key), "the value of kv '" + key + "'");
    return new OpenedKv(r.toBuilder().setRecord(r.getRecord().toBuilder().setValue(ByteString.copyFrom(plain))).build(),
        false);
  }

  /** Opens whatever sealed data a query's answer carries: startup state, ledger events, a payment. */
  static QueryReply open(StateSealer s, QueryReply r) {
    return switch (r.getResultCase()) {
      case STARTUP_STATE -> r.toBuilder().setStartupState(open(s, r.getStartupState())).build();
      case PAYMENT -> r.getPayment().getFound()
          ? r.toBuilder().setPayment(r.getPayment().toBuilder().setPayment(open(s, r.getPayment().getPayment()))).build()
          : r;
      case EVENTS -> {
        EventsResult.Builder e = r.getEvents().toBuilder().clearEvents();
        for (LedgerEvent ev : r.getEvents().getEventsList()) {
          e.addEvents(ev.hasPayment() ? ev.toBuilder().setPayment(open(s, ev.getPayment())).build() : ev);
        }
        yield r.toBuilder().setEvents(e).build();
      }
      default -> r;
    };
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
