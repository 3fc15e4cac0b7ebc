package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.ChannelEventKind;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.RecordChannelEvent;
import io.lnraft.store.proto.Reply;
import io.lnraft.store.proto.Status;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzes the command decoder and the state transition, the path every log entry takes on every
 * replica ({@link StoreTransition#applyBytes}, which {@link ChannelStateMachine#applyTransaction}
 * calls on followers, after {@link CommandValidator} ran on the leader). Whatever the bytes: no
 * exception escapes (one in apply would stop a Ratis server), the reply always has a status, and
 * a rejected command leaves the state's digest unchanged. Inputs: random bytes, mutations of
 * valid envelopes (bit flips, truncation, inserted fields, spliced bytes) and structurally valid
 * envelopes with adversarial field values. Tries are bounded so the whole class runs in seconds.
 */
class CommandDecoderProperties {
  private static final ChannelKey CH = Ops.channel(StoreTransitionTest.filled(32, 7), 1);
  private static final byte[] HASH = StoreTransitionTest.filled(32, 9);
  private static final long TERM = 3;

  /** A store with a writer, a channel at update 2, a pending payment, a kv and an identity. */
  private static InMemoryRecords seeded() {
    InMemoryRecords s = new InMemoryRecords();
    long[] index = {0};
    for (Envelope e : validEnvelopes()) {
      StoreTransition.Transition t = StoreTransition.apply(s, e, TERM, ++index[0]);
      assertThat(t.accepted()).as("seed command %s: %s", e, t.reply().getMessage()).isTrue();
      s.apply(t.mutations());
    }
    return s;
  }

  /** Valid commands, in an order that applies from an empty store; the last ones also apply again. */
  static List<Envelope> validEnvelopes() {
    List<Envelope> l = new ArrayList<>();
    l.add(Envelope.newBuilder().setFormatVersion(1)
        .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId("r1").setTerm(TERM)).build());
    l.add(commit(Ops.bindIdentity("regtest", StoreTransitionTest.filled(33, 2)),
        Ops.putBaseMonitor(CH, 0, new byte[] {1, 2, 3}), Ops.putManager(new byte[] {4, 5})));
    l.add(commit(Ops.appendMonitorUpdate(CH, 1, new byte[] {6}), Ops.putKv("peers", new byte[] {7}, OptionalLong.of(0))));
    l.add(commit(chunks(List.of(id(1), id(2)), List.of(1, 2))));
    l.add(commit(Ops.appendMonitorUpdate(CH, 2, new byte[] {8}), Ops.recordPayment(payment(PaymentStatus.PENDING)),
        Ops.recordChannelEvent(RecordChannelEvent.newBuilder().setChannel(CH).setKind(ChannelEventKind.OPENED)
            .setCounterpartyNodeId(ByteString.copyFrom(StoreTransitionTest.filled(33, 3))).setCapacitySat(100_000).build())));
    return l;
  }

  private static ByteString id(int n) {
    return ByteString.copyFrom(StoreTransitionTest.filled(16, n));
  }

  /** A manager written as chunks: the pieces name chunk ids (or reuse a run), new chunks carry data. */
  private static Op chunks(List<Object> pieces, List<Integer> newChunks) {
    io.lnraft.store.proto.PutManagerChunks.Builder b = io.lnraft.store.proto.PutManagerChunks.newBuilder();
    for (Object p : pieces) {
      if (p instanceof ByteString chunkId) {
        b.addPieces(io.lnraft.store.proto.ManifestPiece.newBuilder().setChunkId(chunkId));
      } else {
        int[] run = (int[]) p;
        b.addPieces(io.lnraft.store.proto.ManifestPiece.newBuilder()
            .setReuse(io.lnraft.store.proto.ChunkRun.newBuilder().setStart(run[0]).setCount(run[1])));
      }
    }
    for (int n : newChunks) {
      b.addNewChunks(io.lnraft.store.proto.ManagerChunk.newBuilder().setId(id(n))
          .setData(ByteString.copyFrom(StoreTransitionTest.filled(8, n))));
    }
    return Op.newBuilder().setPutManagerChunks(b).build();
  }

  private static PaymentRecord payment(PaymentStatus status) {
    return PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(HASH)).setDirection(PaymentDirection.INBOUND)
        .setStatus(status).setAmountMsat(1000).setDescription("coffee").build();
  }

  private static Envelope commit(Op... ops) {
    return Envelope.newBuilder().setFormatVersion(1).setCommit(Commit.newBuilder().setEpoch(1).addAllOps(List.of(ops)))
        .build();
  }

  /** Commands that are valid against {@link #seeded()} (so mutations start close to accepted input). */
  private static List<Envelope> nextValid() {
    return List.of(
        commit(Ops.appendMonitorUpdate(CH, 3, new byte[] {9, 9}), Ops.putManager(new byte[] {10})),
        commit(Ops.recordPayment(payment(PaymentStatus.SUCCEEDED).toBuilder()
            .setPreimage(ByteString.copyFrom(StoreTransitionTest.filled(32, 5))).build())),
        commit(Ops.putKv("peers", new byte[] {11}, OptionalLong.of(1)), Ops.deleteKv("other", OptionalLong.empty())),
        commit(Ops.putBaseMonitor(CH, 2, new byte[] {12})),
        commit(chunks(List.of(new int[] {0, 1}, id(3)), List.of(3))),
        Envelope.newBuilder().setFormatVersion(1)
            .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId("r2").setTerm(TERM)).build());
  }

  /**
   * Runs one command against a fresh seeded store through both decode paths (array and buffer)
   * and checks the contract. Returns the reply.
   */
  private static Reply check(byte[] bytes) {
    InMemoryRecords s = seeded();
    byte[] before = StoreQueries.digest(s).getSha256().toByteArray();
    StoreTransition.Transition t = StoreTransition.applyBytes(s, bytes, TERM, 100);
    StoreTransition.Transition viaBuffer = StoreTransition.applyBytes(seeded(), ByteBuffer.wrap(bytes), TERM, 100);
    assertThat(viaBuffer.reply()).as("both decode paths agree").isEqualTo(t.reply());
    Reply r = t.reply();
    assertThat(r.getStatus()).isIn(Status.OK, Status.FENCED, Status.CONFLICT, Status.INVALID);
    assertThat(r.getLogIndex()).isEqualTo(100);
    if (!t.accepted()) {
      assertThat(t.mutations()).as("a rejected command writes nothing").isEmpty();
      assertThat(r.getMessage()).as("a rejection says why").isNotBlank();
      s.apply(t.mutations());
      assertThat(StoreQueries.digest(s).getSha256().toByteArray()).isEqualTo(before);
    } else {
      // An accepted command leaves a store that every query still reads (no undecodable record).
      s.apply(t.mutations());
      StoreQueries.startupState(s);
      StoreQueries.events(s, 0, 0);
      StoreQueries.digest(s);
    }
    // A command that reaches the log passed the leader's validator; apply must agree with it.
    try {
      Envelope e = Envelope.parseFrom(bytes);
      if (CommandValidator.check(e).isPresent()) assertThat(r.getStatus()).isEqualTo(Status.INVALID);
    } catch (com.google.protobuf.InvalidProtocolBufferException undecodable) {
      assertThat(r.getStatus()).isEqualTo(Status.INVALID);
    }
    return r;
  }

  @Property(tries = 400)
  void randomBytesAreRejectedCleanly(@ForAll("randomBytes") byte[] bytes) {
    Statistics.collect(check(bytes).getStatus());
  }

  @Property(tries = 600)
  void mutatedValidEnvelopesNeverEscapeAsExceptions(@ForAll("mutated") byte[] bytes) {
    Statistics.collect(check(bytes).getStatus());
  }

  // Edge cases off: the generators name their edge values, and jqwik's combination of edge cases
  // over these nested generators costs more time than the tries themselves.
  @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
  void adversarialFieldValuesNeverEscapeAsExceptions(@ForAll("envelopes") Envelope e) {
    Statistics.collect(check(e.toByteArray()).getStatus());
  }

  /**
   * Sequences of commands against one store, so later commands meet states earlier ones made
   * (closed channels, deleted keys, new epochs): each rejected command changes nothing, and the
   * per-channel update id never goes back.
   */
  @Property(tries = 150, edgeCases = EdgeCasesMode.NONE)
  void sequencesKeepTheContract(@ForAll("sequences") List<Envelope> commands) {
    InMemoryRecords s = seeded();
    long index = 100;
    for (Envelope e : commands) {
      byte[] before = StoreQueries.digest(s).getSha256().toByteArray();
      long latestBefore = latestUpdateId(s);
      StoreTransition.Transition t = StoreTransition.applyBytes(s, e.toByteArray(), TERM, ++index);
      s.apply(t.mutations());
      Statistics.collect(t.reply().getStatus());
      if (!t.accepted()) {
        assertThat(t.mutations()).isEmpty();
        assertThat(StoreQueries.digest(s).getSha256().toByteArray()).isEqualTo(before);
      }
      assertThat(Long.compareUnsigned(latestUpdateId(s), latestBefore)).as("no rollback").isGreaterThanOrEqualTo(0);
      StoreQueries.startupState(s);
      StoreQueries.events(s, 0, 0);
    }
  }

  private static long latestUpdateId(InMemoryRecords s) {
    return StoreQueries.channel(s, StoreKeys.channel(CH)).map(c -> c.getRecord().getLatestUpdateId()).orElse(0L);
  }

  @Provide
  Arbitrary<List<Envelope>> sequences() {
    return Arbitraries.oneOf(envelopes(), Arbitraries.of(nextValid())).list().ofMinSize(1).ofMaxSize(10);
  }

  @Property(tries = 50)
  void theUnmutatedCommandsApply(@ForAll("nextValidIndex") int i) {
    assertThat(check(nextValid().get(i).toByteArray()).getStatus()).isEqualTo(Status.OK);
  }

  // ---- generators -------------------------------------------------------------------------------

  @Provide
  Arbitrary<Integer> nextValidIndex() {
    return Arbitraries.integers().between(0, nextValid().size() - 1);
  }

  @Provide
  Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
  }

  @Provide
  Arbitrary<byte[]> mutated() {
    Arbitrary<byte[]> base = Arbitraries.of(nextValid()).map(Envelope::toByteArray);
    return Combinators.combine(base, Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 1 << 20),
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(12), Arbitraries.integers().between(1, 8))
        .as(CommandDecoderProperties::mutate);
  }

  /** One to {@code times} mutations of {@code b}: the kinds a fuzzer of protobuf bytes applies. */
  static byte[] mutate(byte[] b, int kind, int where, byte[] junk, int times) {
    byte[] out = b.clone();
    for (int n = 0; n < times; n++) {
      int at = out.length == 0 ? 0 : Math.floorMod(where * 31 + n * 17, out.length);
      out = switch ((kind + n) % 6) {
        case 0 -> { // flip a bit
          if (out.length == 0) yield out;
          byte[] c = out.clone();
          c[at] ^= (byte) (1 << (junk[0] & 7));
          yield c;
        }
        case 1 -> Arrays.copyOf(out, at); // truncate
        case 2 -> { // insert a field: a random tag and value (varint or length-delimited)
          byte[] c = new byte[out.length + junk.length + 1];
          System.arraycopy(out, 0, c, 0, at);
          c[at] = (byte) ((junk[0] & 0xf8) | (junk.length > 3 ? 2 : 0));
          System.arraycopy(junk, 0, c, at + 1, junk.length);
          System.arraycopy(out, at, c, at + 1 + junk.length, out.length - at);
          yield c;
        }
        case 3 -> { // overwrite bytes
          byte[] c = out.clone();
          for (int i = 0; i < junk.length && at + i < c.length; i++) c[at + i] = junk[i];
          yield c;
        }
        case 4 -> { // duplicate a slice (repeated fields, overlong lengths)
          int len = Math.min(junk.length * 3, out.length - at);
          byte[] c = new byte[out.length + len];
          System.arraycopy(out, 0, c, 0, at + len);
          System.arraycopy(out, at, c, at + len, out.length - at);
          yield c;
        }
        default -> { // set a byte to a boundary value (varint continuation, max length)
          if (out.length == 0) yield out;
          byte[] c = out.clone();
          c[at] = switch (junk[0] & 3) { case 0 -> (byte) 0xff; case 1 -> (byte) 0x80; case 2 -> 0; default -> 0x7f; };
          yield c;
        }
      };
    }
    return out;
  }

  private static Arbitrary<Long> edgeLongs() {
    return Arbitraries.oneOf(Arbitraries.of(0L, 1L, 2L, 3L, 4L, -1L, -2L, Long.MAX_VALUE, Long.MIN_VALUE),
        Arbitraries.longs());
  }

  private static Arbitrary<ByteString> someBytes() {
    return Arbitraries.oneOf(
        Arbitraries.of(0, 1, 31, 32, 33).map(n -> ByteString.copyFrom(StoreTransitionTest.filled(n, 7))),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(ByteString::copyFrom));
  }

  private static Arbitrary<ChannelKey> channels() {
    return Combinators.combine(someBytes(), Arbitraries.oneOf(Arbitraries.of(0, 1, 65535, 65536, -1), Arbitraries.integers()))
        .as((txid, idx) -> ChannelKey.newBuilder().setFundingTxid(txid).setOutputIndex(idx).build());
  }

  private static Arbitrary<String> strings() {
    return Arbitraries.oneOf(Arbitraries.of("", "peers", "other", "r1", "r2", "regtest"),
        Arbitraries.strings().ofMaxLength(20), Arbitraries.strings().ofLength(1025));
  }

  private static Arbitrary<Op> ops() {
    Arbitrary<Op> base = Combinators.combine(channels(), edgeLongs(), someBytes()).as((ch, id, b) ->
        Op.newBuilder().setPutBaseMonitor(io.lnraft.store.proto.PutBaseMonitor.newBuilder().setChannel(ch)
            .setUpdateId(id).setMonitor(b)).build());
    Arbitrary<Op> update = Combinators.combine(channels(), edgeLongs(), someBytes()).as((ch, id, b) ->
        Op.newBuilder().setAppendMonitorUpdate(io.lnraft.store.proto.AppendMonitorUpdate.newBuilder().setChannel(ch)
            .setUpdateId(id).setUpdate(b)).build());
    Arbitrary<Op> manager = someBytes().map(b ->
        Op.newBuilder().setPutManager(io.lnraft.store.proto.PutManager.newBuilder().setManager(b)).build());
    // Sealed values (opaque to the replicas): absent, of the sealed-preimage size, or anything.
    Arbitrary<ByteString> sealedBytes = Arbitraries.oneOf(Arbitraries.just(ByteString.EMPTY),
        Arbitraries.just(ByteString.copyFrom(new byte[StateSealer.sealedSize(32)])), someBytes());
    Arbitrary<Op> pay = Combinators.combine(someBytes(), Arbitraries.integers().between(-1, 3),
        Arbitraries.integers().between(-1, 4), edgeLongs(), someBytes(), strings(), sealedBytes, sealedBytes)
        .as((h, d, st, amt, pre, desc, sealedPre, sealedDesc) -> {
          PaymentRecord.Builder p = PaymentRecord.newBuilder().setPaymentHash(h).setAmountMsat(amt).setFeeMsat(amt)
              .setPreimage(pre).setDescription(desc).setUpdatedAtMs(amt).setSealedPreimage(sealedPre)
              .setSealedDescription(sealedDesc);
          p.setDirectionValue(d < 0 ? 99 : d).setStatusValue(st < 0 ? 99 : st);
          return Ops.recordPayment(p.build());
        });
    Arbitrary<Op> kv = Combinators.combine(strings(), someBytes(), Arbitraries.of(-1L, 0L, 1L, 2L, 5L), Arbitraries.of(true, false))
        .as((k, v, ver, put) -> {
          OptionalLong expected = ver < 0 ? OptionalLong.empty() : OptionalLong.of(ver);
          return put ? Ops.putKv(k, v.toByteArray(), expected) : Ops.deleteKv(k, expected);
        });
    Arbitrary<Op> bind = Combinators.combine(strings(), someBytes()).as((n, k) -> Ops.bindIdentity(n, k.toByteArray()));
    Arbitrary<Op> event = Combinators.combine(channels(), Arbitraries.integers().between(-1, 3), someBytes(), edgeLongs(), strings())
        .as((ch, kind, cp, cap, reason) -> Ops.recordChannelEvent(RecordChannelEvent.newBuilder().setChannel(ch)
            .setKindValue(kind < 0 ? 42 : kind).setCounterpartyNodeId(cp).setCapacitySat(cap).setReason(reason)
            .setAtMs(cap).build()));
    Arbitrary<Op> empty = Arbitraries.just(Op.getDefaultInstance());
    // Valid ops of the seeded store mixed in, so random commits also get past the validator.
    Arbitrary<Op> valid = Arbitraries.of(nextValid()).filter(Envelope::hasCommit).map(e -> e.getCommit().getOps(0));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, base), net.jqwik.api.Tuple.of(4, update), net.jqwik.api.Tuple.of(1, manager),
        net.jqwik.api.Tuple.of(3, pay), net.jqwik.api.Tuple.of(2, kv), net.jqwik.api.Tuple.of(1, bind),
        net.jqwik.api.Tuple.of(1, event), net.jqwik.api.Tuple.of(1, empty), net.jqwik.api.Tuple.of(4, valid));
  }

  @Provide
  Arbitrary<Envelope> envelopes() {
    Arbitrary<Envelope> commits = Combinators.combine(Arbitraries.of(0, 1, 1, 1, 1, 2), edgeLongs().injectDuplicates(0.5)
        .map(e -> Math.floorMod(e, 3L)), ops().list().ofMaxSize(6)).as((v, epoch, ops) ->
            Envelope.newBuilder().setFormatVersion(v).setCommit(Commit.newBuilder().setEpoch(epoch).addAllOps(ops)).build());
    Arbitrary<Envelope> acquires = Combinators.combine(Arbitraries.of(0, 1, 1, 3), strings(), edgeLongs())
        .as((v, who, term) -> Envelope.newBuilder().setFormatVersion(v)
            .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId(who).setTerm(Math.floorMod(term, 5L))).build());
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, commits), net.jqwik.api.Tuple.of(1, acquires),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(Envelope.newBuilder().setFormatVersion(1).build())));
  }
}
