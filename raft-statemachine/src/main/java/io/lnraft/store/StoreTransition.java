package io.lnraft.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.AppendMonitorUpdate;
import io.lnraft.store.proto.BindIdentity;
import io.lnraft.store.proto.ChannelRecord;
import io.lnraft.store.proto.ChannelStatus;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.DeleteKv;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.Identity;
import io.lnraft.store.proto.KvRecord;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.PutBaseMonitor;
import io.lnraft.store.proto.PutKv;
import io.lnraft.store.proto.Reply;
import io.lnraft.store.proto.Status;
import io.lnraft.store.proto.WriterEpoch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * The domain transition of the store, a pure function {@code (state, command) -> (mutations,
 * reply)}: no I/O, no clock, no randomness, so every replica computes the same result from the
 * same log. The Ratis state machine only decodes, calls {@link #apply}, writes the mutations and
 * replies. A rejected command yields no mutations.
 */
public final class StoreTransition {
  private StoreTransition() {}

  /** The outcome of one command. */
  public record Transition(List<Mutation> mutations, Reply reply) {
    public boolean accepted() {
      return reply.getStatus() == Status.OK;
    }
  }

  /**
   * Applies one command.
   *
   * @param view the state before the command
   * @param command the decoded log entry
   * @param term term of the log entry carrying the command
   * @param index index of that log entry
   */
  public static Transition apply(StateView view, Envelope command, long term, long index) {
    Optional<String> invalid = CommandValidator.check(command);
    WriterEpoch writer = readWriter(view);
    if (invalid.isPresent()) {
      return rejected(Status.INVALID, invalid.get(), writer, index, -1);
    }
    return switch (command.getCommandCase()) {
      case ACQUIRE_EPOCH -> acquire(view, writer, command.getAcquireEpoch(), term, index);
      case COMMIT -> commit(view, writer, command.getCommit(), index);
      default -> throw new IllegalStateException("validator let an empty command through");
    };
  }

  /** Decodes log bytes; garbage becomes an INVALID transition rather than an exception. */
  public static Transition applyBytes(StateView view, byte[] bytes, long term, long index) {
    try {
      return apply(view, Envelope.parseFrom(bytes), term, index);
    } catch (InvalidProtocolBufferException e) {
      return rejected(Status.INVALID, "undecodable command bytes: " + e.getMessage(), readWriter(view), index, -1);
    }
  }

  /** As {@link #applyBytes(StateView, byte[], long, long)}, from a buffer (no copy of the entry). */
  public static Transition applyBytes(StateView view, java.nio.ByteBuffer bytes, long term, long index) {
    try {
      return apply(view, Envelope.parseFrom(bytes), term, index);
    } catch (InvalidProtocolBufferException e) {
      return rejected(Status.INVALID, "undecodable command bytes: " + e.getMessage(), readWriter(view), index, -1);
    }
  }

  static WriterEpoch readWriter(StateView view) {
    return view.get(Table.WRITER, StoreKeys.WRITER_EPOCH).map(b -> parse(b, WriterEpoch.parser()))
        .orElse(WriterEpoch.getDefaultInstance());
  }

  private static Transition acquire(StateView view, WriterEpoch writer, AcquireEpoch cmd, long term, long index) {
    if (cmd.getTerm() != term) {
      return rejected(Status.FENCED, "AcquireEpoch for term " + cmd.getTerm() + " arrived in term " + term
          + ": a stale request from a former leader; the epoch stays " + writer.getEpoch(), writer, index, -1);
    }
    WriterEpoch next = WriterEpoch.newBuilder().setEpoch(writer.getEpoch() + 1).setReplicaId(cmd.getReplicaId())
        .setAcquiredAtIndex(index).build();
    List<Mutation> m = List.of(new Mutation.Put(Table.WRITER, StoreKeys.WRITER_EPOCH, next.toByteArray()));
    return new Transition(m, Reply.newBuilder().setStatus(Status.OK).setWriter(next).setLogIndex(index)
        .setFailedOpIndex(-1).build());
  }

  private static Transition commit(StateView view, WriterEpoch writer, Commit commit, long index) {
    if (writer.getEpoch() == 0) {
      return rejected(Status.FENCED, "no writer epoch has been acquired yet; the leader must AcquireEpoch first",
          writer, index, -1);
    }
    if (commit.getEpoch() != writer.getEpoch()) {
      return rejected(Status.FENCED, "commit carries epoch " + commit.getEpoch() + " but the current writer epoch is "
          + writer.getEpoch() + " (held by " + writer.getReplicaId() + "); this writer must stop", writer, index, -1);
    }
    Scratch s = new Scratch(view);
    Reply.Builder ok = Reply.newBuilder().setStatus(Status.OK).setWriter(writer).setLogIndex(index).setFailedOpIndex(-1);
    for (int i = 0; i < commit.getOpsCount(); i++) {
      Optional<Reply.Builder> rejection = applyOp(s, commit.getOps(i), index, ok);
      if (rejection.isPresent()) {
        return new Transition(List.of(), rejection.get().setWriter(writer).setLogIndex(index).setFailedOpIndex(i).build());
      }
    }
    return new Transition(s.mutations, ok.build());
  }

  private static Optional<Reply.Builder> applyOp(Scratch s, Op op, long index, Reply.Builder ok) {
    return switch (op.getOpCase()) {
      case PUT_BASE_MONITOR -> putBase(s, op.getPutBaseMonitor());
      case APPEND_MONITOR_UPDATE -> appendUpdate(s, op.getAppendMonitorUpdate());
      case PUT_MANAGER -> {
        dropManagerChunks(s, storedManifest(s));
        s.put(Table.MANAGER, StoreKeys.MANAGER, op.getPutManager().getManager().toByteArray());
        yield Optional.empty();
      }
      case PUT_MANAGER_CHUNKS -> putManagerChunks(s, op.getPutManagerChunks());
      case RECORD_PAYMENT -> recordPayment(s, op.getRecordPayment().getPayment(), index, ok);
      case RECORD_CHANNEL_EVENT -> {
        ok.addEventSeqs(appendEvent(s, LedgerEvent.newBuilder().setLogIndex(index).setChannel(op.getRecordChannelEvent())));
        yield Optional.empty();
      }
      case PUT_KV -> putKv(s, op.getPutKv());
      case DELETE_KV -> deleteKv(s, op.getDeleteKv());
      case BIND_IDENTITY -> bindIdentity(s, op.getBindIdentity());
      case OP_NOT_SET -> throw new IllegalStateException("validator let an empty op through");
    };
  }

  static List<com.google.protobuf.ByteString> storedManifest(StateView s) {
    return s.get(Table.MANAGER, StoreKeys.MANAGER_MANIFEST)
        .map(b -> parse(b, io.lnraft.store.proto.ManagerManifest.parser()).getChunkIdsList()).orElse(List.of());
  }

  private static void dropManagerChunks(Scratch s, List<com.google.protobuf.ByteString> manifest) {
    if (manifest.isEmpty()) return;
    for (com.google.protobuf.ByteString id : new java.util.HashSet<>(manifest)) s.delete(Table.MANAGER, StoreKeys.managerChunk(id));
    s.delete(Table.MANAGER, StoreKeys.MANAGER_MANIFEST);
  }

  private static Optional<Reply.Builder> putManagerChunks(Scratch s, io.lnraft.store.proto.PutManagerChunks put) {
    List<com.google.protobuf.ByteString> old = storedManifest(s);
    java.util.Set<com.google.protobuf.ByteString> stored = new java.util.HashSet<>(old);
    java.util.Map<com.google.protobuf.ByteString, com.google.protobuf.ByteString> fresh = new java.util.HashMap<>();
    for (io.lnraft.store.proto.ManagerChunk c : put.getNewChunksList()) fresh.put(c.getId(), c.getData());
    List<com.google.protobuf.ByteString> ids = new ArrayList<>();
    for (io.lnraft.store.proto.ManifestPiece p : put.getPiecesList()) {
      if (p.hasReuse()) {
        long start = Integer.toUnsignedLong(p.getReuse().getStart());
        long count = Integer.toUnsignedLong(p.getReuse().getCount());
        if (start + count > old.size()) {
          return Optional.of(conflict("PutManagerChunks reuses chunks [" + start + ", " + (start + count)
              + ") but the stored manager has " + old.size() + ": the writer's view of the manager is stale;"
              + " send every chunk"));
        }
        ids.addAll(old.subList((int) start, (int) (start + count)));
      } else {
        com.google.protobuf.ByteString id = p.getChunkId();
        if (!stored.contains(id) && !fresh.containsKey(id)) {
          return Optional.of(conflict("PutManagerChunks names chunk " + java.util.HexFormat.of().formatHex(id.toByteArray())
              + " that is neither stored nor sent: the writer's view of the manager is stale; send every chunk"));
        }
        ids.add(id);
      }
    }
    java.util.Set<com.google.protobuf.ByteString> named = new java.util.HashSet<>(ids);
    for (com.google.protobuf.ByteString id : fresh.keySet()) {
      if (!named.contains(id)) {
        return Optional.of(conflict("PutManagerChunks sends chunk " + java.util.HexFormat.of().formatHex(id.toByteArray())
            + " that the new manager does not use"));
      }
    }
    for (com.google.protobuf.ByteString id : stored) {
      if (!named.contains(id)) s.delete(Table.MANAGER, StoreKeys.managerChunk(id));
    }
    fresh.forEach((id, data) -> s.put(Table.MANAGER, StoreKeys.managerChunk(id), data.toByteArray()));
    s.put(Table.MANAGER, StoreKeys.MANAGER_MANIFEST,
        io.lnraft.store.proto.ManagerManifest.newBuilder().addAllChunkIds(ids).build().toByteArray());
    if (s.get(Table.MANAGER, StoreKeys.MANAGER).isPresent()) s.delete(Table.MANAGER, StoreKeys.MANAGER);
    return Optional.empty();
  }

  private static Optional<Reply.Builder> putBase(Scratch s, PutBaseMonitor put) {
    byte[] ch = StoreKeys.channel(put.getChannel());
    Optional<ChannelRecord> existing = s.get(Table.CHANNELS, StoreKeys.channelRecord(ch)).map(b -> parse(b, ChannelRecord.parser()));
    long id = put.getUpdateId();
    ChannelRecord.Builder rec;
    boolean closedBase = id == StoreKeys.CLOSED_CHANNEL_UPDATE_ID;
    if (existing.isEmpty()) {
      rec = ChannelRecord.newBuilder().setBaseUpdateId(id).setLatestUpdateId(id)
          .setStatus(closedBase ? ChannelStatus.CLOSED_UPDATES : ChannelStatus.ACTIVE);
    } else {
      ChannelRecord r = existing.get();
      long effectiveLatest = isClosed(r) ? StoreKeys.CLOSED_CHANNEL_UPDATE_ID : r.getLatestUpdateId();
      // A base may be ahead of the stored updates (LDK hands the full monitor after applying an
      // update: compaction stores that monitor instead of the delta), never behind them.
      if (Long.compareUnsigned(id, effectiveLatest) < 0) {
        return Optional.of(conflict("base monitor for channel " + describe(put.getChannel()) + " is at update "
            + Long.toUnsignedString(id) + " but the channel's latest update is " + Long.toUnsignedString(effectiveLatest)
            + ": a base must include every committed update (stale or reordered write)")
            .setExpectedUpdateId(effectiveLatest));
      }
      rec = r.toBuilder().setBaseUpdateId(id).setLatestUpdateId(id).setClosedUpdateCount(0)
          .setStatus(closedBase ? ChannelStatus.CLOSED_UPDATES : ChannelStatus.ACTIVE);
      // Every stored delta is now inside the base.
      s.deleteRange(Table.MONITOR_UPDATES, ch, StoreKeys.channelEnd(ch));
    }
    s.put(Table.CHANNELS, StoreKeys.channelRecord(ch), rec.build().toByteArray());
    s.put(Table.CHANNELS, StoreKeys.channelBase(ch), put.getMonitor().toByteArray());
    return Optional.empty();
  }

  private static Optional<Reply.Builder> appendUpdate(Scratch s, AppendMonitorUpdate up) {
    byte[] ch = StoreKeys.channel(up.getChannel());
    Optional<ChannelRecord> existing = s.get(Table.CHANNELS, StoreKeys.channelRecord(ch)).map(b -> parse(b, ChannelRecord.parser()));
    if (existing.isEmpty()) {
      return Optional.of(conflict("channel " + describe(up.getChannel())
          + " is unknown: write its base monitor (PutBaseMonitor) before any update"));
    }
    ChannelRecord r = existing.get();
    long id = up.getUpdateId();
    if (id == StoreKeys.CLOSED_CHANNEL_UPDATE_ID) {
      s.put(Table.MONITOR_UPDATES, StoreKeys.closedUpdate(ch, r.getClosedUpdateCount()), up.getUpdate().toByteArray());
      s.put(Table.CHANNELS, StoreKeys.channelRecord(ch), r.toBuilder().setStatus(ChannelStatus.CLOSED_UPDATES)
          .setClosedUpdateCount(r.getClosedUpdateCount() + 1).build().toByteArray());
      return Optional.empty();
    }
    if (isClosed(r)) {
      return Optional.of(conflict("channel " + describe(up.getChannel()) + " already took closed-channel updates; update "
          + Long.toUnsignedString(id) + " would go back").setExpectedUpdateId(StoreKeys.CLOSED_CHANNEL_UPDATE_ID));
    }
    long expected = r.getLatestUpdateId() + 1;
    if (id != expected) {
      String why = Long.compareUnsigned(id, expected) < 0 ? "repeats or goes back (no rollback)" : "skips ahead (gap)";
      return Optional.of(conflict("update " + Long.toUnsignedString(id) + " for channel " + describe(up.getChannel())
          + " " + why + ": expected exactly " + Long.toUnsignedString(expected)).setExpectedUpdateId(expected));
    }
    s.put(Table.MONITOR_UPDATES, StoreKeys.update(ch, id), up.getUpdate().toByteArray());
    s.put(Table.CHANNELS, StoreKeys.channelRecord(ch), r.toBuilder().setLatestUpdateId(id).build().toByteArray());
    return Optional.empty();
  }

  /** After LDK's closed-channel update (id 2^64-1) a channel only takes more of those. */
  private static boolean isClosed(ChannelRecord r) {
    return r.getClosedUpdateCount() > 0 || r.getStatus() == ChannelStatus.CLOSED_UPDATES
        || r.getLatestUpdateId() == StoreKeys.CLOSED_CHANNEL_UPDATE_ID;
  }

  private static Optional<Reply.Builder> recordPayment(Scratch s, PaymentRecord p, long index, Reply.Builder ok) {
    byte[] key = StoreKeys.payment(p.getDirection(), p.getPaymentHash().toByteArray());
    Optional<PaymentRecord> old = s.get(Table.PAYMENTS, key).map(b -> parse(b, PaymentRecord.parser()));
    if (old.isPresent()) {
      PaymentStatus was = old.get().getStatus();
      if (was == p.getStatus()) return Optional.empty(); // recorded already: no second event
      if (was == PaymentStatus.SUCCEEDED || was == PaymentStatus.FAILED) {
        return Optional.of(conflict("payment " + hex(p.getPaymentHash()) + " (" + p.getDirection() + ") is already final ("
            + was + "); it cannot become " + p.getStatus()));
      }
      // A node restarted between PENDING and the outcome may no longer know the amount or the
      // description (LDK reports only the hash): fields it leaves empty keep the recorded values.
      PaymentRecord recorded = old.get();
      PaymentRecord.Builder merged = p.toBuilder();
      if (p.getAmountMsat() == 0) merged.setAmountMsat(recorded.getAmountMsat());
      // Sealed values (see StateSealer) merge the same way, as opaque bytes.
      if (p.getDescription().isEmpty() && p.getSealedDescription().isEmpty()) {
        merged.setDescription(recorded.getDescription()).setSealedDescription(recorded.getSealedDescription());
      }
      if (p.getPreimage().isEmpty() && p.getSealedPreimage().isEmpty()) {
        merged.setPreimage(recorded.getPreimage()).setSealedPreimage(recorded.getSealedPreimage());
      }
      p = merged.build();
    }
    s.put(Table.PAYMENTS, key, p.toByteArray());
    // The feed reports outcomes: a payment enters it once, when it becomes final.
    if (p.getStatus() == PaymentStatus.SUCCEEDED || p.getStatus() == PaymentStatus.FAILED) {
      ok.addEventSeqs(appendEvent(s, LedgerEvent.newBuilder().setLogIndex(index).setPayment(p)));
    }
    return Optional.empty();
  }

  private static long appendEvent(Scratch s, LedgerEvent.Builder e) {
    long seq = s.get(Table.META, StoreKeys.META_LAST_EVENT_SEQ).map(StoreKeys::u64).orElse(0L) + 1;
    s.put(Table.EVENTS, StoreKeys.event(seq), e.setSeq(seq).build().toByteArray());
    s.put(Table.META, StoreKeys.META_LAST_EVENT_SEQ, StoreKeys.u64(seq));
    return seq;
  }

  private static Optional<Reply.Builder> putKv(Scratch s, PutKv put) {
    byte[] key = StoreKeys.kv(put.getKey());
    long current = s.get(Table.KV, key).map(b -> parse(b, KvRecord.parser()).getVersion()).orElse(0L);
    if (put.hasExpectedVersion() && put.getExpectedVersion() != current) {
      return Optional.of(conflict("kv '" + put.getKey() + "' is at version " + current + ", not "
          + put.getExpectedVersion() + ": re-read and retry").setCurrentVersion(current));
    }
    s.put(Table.KV, key, KvRecord.newBuilder().setVersion(current + 1).setValue(put.getValue()).build().toByteArray());
    return Optional.empty();
  }

  private static Optional<Reply.Builder> deleteKv(Scratch s, DeleteKv del) {
    byte[] key = StoreKeys.kv(del.getKey());
    long current = s.get(Table.KV, key).map(b -> parse(b, KvRecord.parser()).getVersion()).orElse(0L);
    if (del.hasExpectedVersion() && del.getExpectedVersion() != current) {
      return Optional.of(conflict("kv '" + del.getKey() + "' is at version " + current + ", not "
          + del.getExpectedVersion() + ": re-read and retry").setCurrentVersion(current));
    }
    if (current != 0) s.delete(Table.KV, key);
    return Optional.empty();
  }

  private static Optional<Reply.Builder> bindIdentity(Scratch s, BindIdentity bind) {
    Identity wanted = Identity.newBuilder().setNetwork(bind.getNetwork()).setNodePublicKey(bind.getNodePublicKey()).build();
    Optional<Identity> bound = s.get(Table.META, StoreKeys.META_IDENTITY).map(b -> parse(b, Identity.parser()));
    if (bound.isPresent()) {
      if (bound.get().equals(wanted)) return Optional.empty();
      return Optional.of(conflict("this cluster's state belongs to node " + hex(bound.get().getNodePublicKey()) + " on "
          + bound.get().getNetwork() + ", not " + hex(bind.getNodePublicKey()) + " on " + bind.getNetwork()
          + ": check the seed file and network of this replica"));
    }
    s.put(Table.META, StoreKeys.META_IDENTITY, wanted.toByteArray());
    return Optional.empty();
  }

  private static Reply.Builder conflict(String message) {
    return Reply.newBuilder().setStatus(Status.CONFLICT).setMessage(message);
  }

  private static Transition rejected(Status status, String message, WriterEpoch writer, long index, int op) {
    return new Transition(List.of(), Reply.newBuilder().setStatus(status).setMessage(message).setWriter(writer)
        .setLogIndex(index).setFailedOpIndex(op).build());
  }

  static <T extends MessageLite> T parse(byte[] b, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      // Stored records are written only by this code: unreadable means a corrupted store.
      throw new CorruptStoreException("a stored record cannot be decoded: " + e.getMessage(), e);
    }
  }

  static String describe(io.lnraft.store.proto.ChannelKey k) {
    return hex(k.getFundingTxid()) + ":" + k.getOutputIndex();
  }

  static String hex(ByteString b) {
    return java.util.HexFormat.of().formatHex(b.toByteArray());
  }

  /** The state as seen from inside one command: reads see the command's own earlier writes. */
  private static final class Scratch implements StateView {
    private static final byte[] TOMBSTONE = new byte[0];
    private final StateView base;
    private final Map<Table, TreeMap<byte[], byte[]>> overlay = new EnumMap<>(Table.class);
    final List<Mutation> mutations = new ArrayList<>();

    Scratch(StateView base) {
      this.base = base;
    }

    @Override
    public Optional<byte[]> get(Table table, byte[] key) {
      TreeMap<byte[], byte[]> o = overlay.get(table);
      if (o != null && o.containsKey(key)) {
        byte[] v = o.get(key);
        return v == TOMBSTONE ? Optional.empty() : Optional.of(v);
      }
      return base.get(table, key);
    }

    @Override
    public void scan(Table table, byte[] from, byte[] toExclusive, BiPredicate<byte[], byte[]> visitor) {
      throw new UnsupportedOperationException("transitions read single keys only");
    }

    void put(Table t, byte[] key, byte[] value) {
      overlay.computeIfAbsent(t, x -> new TreeMap<>(Arrays::compareUnsigned)).put(key, value);
      mutations.add(new Mutation.Put(t, key, value));
    }

    void delete(Table t, byte[] key) {
      overlay.computeIfAbsent(t, x -> new TreeMap<>(Arrays::compareUnsigned)).put(key, TOMBSTONE);
      mutations.add(new Mutation.Delete(t, key));
    }

    /** Range deletes are only used on MONITOR_UPDATES, which transitions never read. */
    void deleteRange(Table t, byte[] from, byte[] toExclusive) {
      if (t != Table.MONITOR_UPDATES) throw new IllegalStateException("range delete on a table that transitions read");
      mutations.add(new Mutation.DeleteRange(t, from, toExclusive));
    }
  }
}
