package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.Reply;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.Status;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pure transition, driven without Ratis. */
class StoreTransitionTest {
  private InMemoryRecords state;
  private long index;

  static final ChannelKey CH = Ops.channel(filled(32, 7), 1);

  @BeforeEach
  void setUp() {
    state = new InMemoryRecords();
    index = 0;
  }

  static byte[] filled(int n, int v) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) v);
    return b;
  }

  Reply run(Envelope e, long term) {
    StoreTransition.Transition t = StoreTransition.apply(state, e, term, ++index);
    state.apply(t.mutations());
    return t.reply();
  }

  long acquire(String replica, long term) {
    Reply r = run(Envelope.newBuilder().setFormatVersion(1)
        .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId(replica).setTerm(term)).build(), term);
    assertThat(r.getStatus()).isEqualTo(Status.OK);
    return r.getWriter().getEpoch();
  }

  Reply commit(long epoch, Op... ops) {
    return run(Envelope.newBuilder().setFormatVersion(1).setCommit(Commit.newBuilder().setEpoch(epoch).addAllOps(List.of(ops))).build(), 1);
  }

  byte[] digest() {
    return StoreQueries.digest(state).getSha256().toByteArray();
  }

  @Test
  void epochsGoUpAndOldEpochsAreFenced() {
    long e1 = acquire("r1", 1);
    long e2 = acquire("r2", 2);
    assertThat(e2).isEqualTo(e1 + 1);
    byte[] before = digest();
    Reply r = commit(e1, Ops.putManager(new byte[] {1}));
    assertThat(r.getStatus()).isEqualTo(Status.FENCED);
    assertThat(r.getWriter().getReplicaId()).isEqualTo("r2");
    assertThat(digest()).isEqualTo(before);
  }

  @Test
  void staleAcquireFromAnEndedTermIsRefused() {
    long e1 = acquire("r1", 1);
    Reply r = run(Envelope.newBuilder().setFormatVersion(1)
        .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId("r2").setTerm(1)).build(), 2);
    assertThat(r.getStatus()).isEqualTo(Status.FENCED);
    assertThat(StoreTransition.readWriter(state).getEpoch()).isEqualTo(e1);
  }

  @Test
  void commitBeforeAnyEpochIsFenced() {
    assertThat(commit(1, Ops.putManager(new byte[] {1})).getStatus()).isEqualTo(Status.FENCED);
  }

  @Test
  void updateIdsMustBeExactlyLastPlusOne() {
    long e = acquire("r1", 1);
    assertThat(commit(e, Ops.putBaseMonitor(CH, 0, new byte[] {9}), Ops.appendMonitorUpdate(CH, 1, new byte[] {1}))
        .getStatus()).isEqualTo(Status.OK);
    byte[] before = digest();
    Reply repeat = commit(e, Ops.appendMonitorUpdate(CH, 1, new byte[] {1}));
    assertThat(repeat.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(repeat.getExpectedUpdateId()).isEqualTo(2);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 0, new byte[] {1})).getStatus()).isEqualTo(Status.CONFLICT);
    Reply gap = commit(e, Ops.appendMonitorUpdate(CH, 3, new byte[] {1}));
    assertThat(gap.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(gap.getMessage()).contains("gap");
    assertThat(digest()).isEqualTo(before);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 2, new byte[] {2})).getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void aRejectedOpRejectsTheWholeCommit() {
    long e = acquire("r1", 1);
    commit(e, Ops.putBaseMonitor(CH, 0, new byte[] {9}));
    byte[] before = digest();
    Reply r = commit(e, Ops.putManager(new byte[] {5}), Ops.appendMonitorUpdate(CH, 1, new byte[] {1}),
        Ops.appendMonitorUpdate(CH, 1, new byte[] {1}));
    assertThat(r.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(r.getFailedOpIndex()).isEqualTo(2);
    assertThat(digest()).isEqualTo(before);
  }

  @Test
  void startupStateHoldsManagerBaseAndUpdatesAfterIt() {
    long e = acquire("r1", 1);
    commit(e, Ops.putBaseMonitor(CH, 0, new byte[] {9}), Ops.appendMonitorUpdate(CH, 1, new byte[] {1}),
        Ops.appendMonitorUpdate(CH, 2, new byte[] {2}), Ops.putManager(new byte[] {42}));
    StartupState s = StoreQueries.startupState(state);
    assertThat(s.getManager().toByteArray()).containsExactly(42);
    assertThat(s.getChannelsCount()).isEqualTo(1);
    assertThat(s.getChannels(0).getUpdatesAfterBaseList()).extracting(u -> u.getUpdateId()).containsExactly(1L, 2L);
    // Compaction: a new base at the latest id drops the deltas below it.
    assertThat(commit(e, Ops.putBaseMonitor(CH, 2, new byte[] {10})).getStatus()).isEqualTo(Status.OK);
    s = StoreQueries.startupState(state);
    assertThat(s.getChannels(0).getUpdatesAfterBaseCount()).isZero();
    assertThat(s.getChannels(0).getBaseMonitor().toByteArray()).containsExactly(10);
    assertThat(s.getChannels(0).getRecord().getBaseUpdateId()).isEqualTo(2);
    // A base that misses committed updates is a rollback.
    assertThat(commit(e, Ops.putBaseMonitor(CH, 1, new byte[] {11})).getStatus()).isEqualTo(Status.CONFLICT);
    // A base ahead of the stored updates (the monitor after update 3, stored instead of the delta) is fine,
    // and updates continue from it.
    assertThat(commit(e, Ops.putBaseMonitor(CH, 3, new byte[] {12})).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 3, new byte[] {1})).getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 4, new byte[] {1})).getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void closedChannelUpdatesAreKeptInOrder() {
    long e = acquire("r1", 1);
    commit(e, Ops.putBaseMonitor(CH, 0, new byte[] {9}), Ops.appendMonitorUpdate(CH, 1, new byte[] {1}));
    long closed = StoreKeys.CLOSED_CHANNEL_UPDATE_ID;
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, closed, new byte[] {7})).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, closed, new byte[] {8})).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 2, new byte[] {2})).getStatus()).isEqualTo(Status.CONFLICT);
    StartupState s = StoreQueries.startupState(state);
    assertThat(s.getChannels(0).getUpdatesAfterBaseList()).extracting(u -> u.getUpdate().byteAt(0))
        .containsExactly((byte) 1, (byte) 7, (byte) 8);
  }

  @Test
  void paymentStatusChangesMakeExactlyOneEventEach() {
    long e = acquire("r1", 1);
    PaymentRecord pending = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(filled(32, 3)))
        .setDirection(PaymentDirection.INBOUND).setStatus(PaymentStatus.PENDING).setAmountMsat(1000).build();
    PaymentRecord done = pending.toBuilder().setStatus(PaymentStatus.SUCCEEDED).build();
    assertThat(commit(e, Ops.recordPayment(pending)).getEventSeqsList()).isEmpty(); // not an outcome yet
    assertThat(commit(e, Ops.recordPayment(done)).getEventSeqsList()).containsExactly(1L);
    Reply again = commit(e, Ops.recordPayment(done));
    assertThat(again.getStatus()).isEqualTo(Status.OK);
    assertThat(again.getEventSeqsList()).isEmpty();
    assertThat(commit(e, Ops.recordPayment(done.toBuilder().setStatus(PaymentStatus.FAILED).build())).getStatus())
        .isEqualTo(Status.CONFLICT);
    PaymentRecord other = done.toBuilder().setPaymentHash(ByteString.copyFrom(filled(32, 4)))
        .setDirection(PaymentDirection.OUTBOUND).setStatus(PaymentStatus.FAILED).build();
    assertThat(commit(e, Ops.recordPayment(other)).getEventSeqsList()).containsExactly(2L);
    assertThat(StoreQueries.events(state, 0, 10).getEventsList()).extracting(ev -> ev.getSeq()).containsExactly(1L, 2L);
    assertThat(StoreQueries.events(state, 1, 10).getEventsList()).extracting(ev -> ev.getPayment().getStatus())
        .containsExactly(PaymentStatus.FAILED);
  }

  @Test
  void aFinalStatusWithoutAmountKeepsTheAmountRecordedAtTheStart() throws Exception {
    long e = acquire("r1", 1);
    PaymentRecord pending = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(filled(32, 4)))
        .setDirection(PaymentDirection.OUTBOUND).setStatus(PaymentStatus.PENDING).setAmountMsat(1003).build();
    // After a failover the new leader's LDK reports PaymentSent without the amount.
    PaymentRecord sentByNextLeader = pending.toBuilder().setStatus(PaymentStatus.SUCCEEDED).setAmountMsat(0).setFeeMsat(0).build();
    commit(e, Ops.recordPayment(pending));
    commit(e, Ops.recordPayment(sentByNextLeader));
    // PENDING makes no event; the outcome is event 1 and carries the amount recorded at the start.
    assertThat(StoreQueries.events(state, 0, 10).getEventsList()).extracting(ev -> ev.getPayment().getAmountMsat())
        .containsExactly(1003L);
    PaymentRecord stored = PaymentRecord.parseFrom(state.get(Table.PAYMENTS, StoreKeys.payment(PaymentDirection.OUTBOUND, filled(32, 4))).get());
    assertThat(stored.getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
    assertThat(stored.getAmountMsat()).isEqualTo(1003);
  }

  @Test
  void kvCompareAndSet() {
    long e = acquire("r1", 1);
    assertThat(commit(e, Ops.putKv("peers/a", new byte[] {1}, OptionalLong.of(0))).getStatus()).isEqualTo(Status.OK);
    Reply stale = commit(e, Ops.putKv("peers/a", new byte[] {2}, OptionalLong.of(0)));
    assertThat(stale.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(stale.getCurrentVersion()).isEqualTo(1);
    assertThat(commit(e, Ops.putKv("peers/a", new byte[] {2}, OptionalLong.of(1))).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.deleteKv("peers/a", OptionalLong.of(1))).getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(commit(e, Ops.deleteKv("peers/a", OptionalLong.of(2))).getStatus()).isEqualTo(Status.OK);
    assertThat(state.get(Table.KV, StoreKeys.kv("peers/a"))).isEmpty();
  }

  @Test
  void identityIsBoundOnce() {
    long e = acquire("r1", 1);
    assertThat(commit(e, Ops.bindIdentity("regtest", filled(33, 2))).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.bindIdentity("regtest", filled(33, 2))).getStatus()).isEqualTo(Status.OK);
    Reply other = commit(e, Ops.bindIdentity("regtest", filled(33, 3)));
    assertThat(other.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(other.getMessage()).contains("seed");
  }

  @Test
  void garbageAndUnknownVersionsAreInvalidAndChangeNothing() {
    acquire("r1", 1);
    byte[] before = digest();
    StoreTransition.Transition t = StoreTransition.applyBytes(state, new byte[] {(byte) 0xff, 0x13, 0x00}, 1, ++index);
    assertThat(t.reply().getStatus()).isEqualTo(Status.INVALID);
    assertThat(t.mutations()).isEmpty();
    Reply v2 = run(Envelope.newBuilder().setFormatVersion(2).setCommit(Commit.newBuilder().setEpoch(1)
        .addOps(Ops.putManager(new byte[] {1}))).build(), 1);
    assertThat(v2.getStatus()).isEqualTo(Status.INVALID);
    assertThat(v2.getMessage()).contains("version 2");
    Reply badTxid = commit(1, Ops.appendMonitorUpdate(Ops.channel(new byte[5], 0), 1, new byte[] {1}));
    assertThat(badTxid.getStatus()).isEqualTo(Status.INVALID);
    assertThat(badTxid.getMessage()).contains("32 bytes");
    assertThat(digest()).isEqualTo(before);
  }

  @Test
  void aCompactedClosedChannelStaysClosed() {
    long e = acquire("r1", 1);
    long closed = StoreKeys.CLOSED_CHANNEL_UPDATE_ID;
    commit(e, Ops.putBaseMonitor(CH, 0, new byte[] {9}), Ops.appendMonitorUpdate(CH, 1, new byte[] {1}),
        Ops.appendMonitorUpdate(CH, closed, new byte[] {7}));
    // LDK writes the full closed monitor on every chain sync: each such base is accepted.
    assertThat(commit(e, Ops.putBaseMonitor(CH, closed, new byte[] {10})).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.putBaseMonitor(CH, closed, new byte[] {11})).getStatus()).isEqualTo(Status.OK);
    // ... and it never reopens: a normal update id (even the wrapped-around 0) is refused.
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 2, new byte[] {2})).getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 0, new byte[] {2})).getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, closed, new byte[] {8})).getStatus()).isEqualTo(Status.OK);
    StartupState s = StoreQueries.startupState(state);
    assertThat(s.getChannels(0).getBaseMonitor().toByteArray()).containsExactly(11);
    assertThat(s.getChannels(0).getUpdatesAfterBaseList()).extracting(u -> u.getUpdate().byteAt(0)).containsExactly((byte) 8);
  }

  @Test
  void aNewChannelWhoseBaseIsClosedTakesOnlyClosedUpdates() {
    long e = acquire("r1", 1);
    long closed = StoreKeys.CLOSED_CHANNEL_UPDATE_ID;
    assertThat(commit(e, Ops.putBaseMonitor(CH, closed, new byte[] {9})).getStatus()).isEqualTo(Status.OK);
    assertThat(commit(e, Ops.appendMonitorUpdate(CH, 0, new byte[] {1})).getStatus()).isEqualTo(Status.CONFLICT);
  }

  @Test
  void anOutcomeRecordedWithoutAmountKeepsThePendingAmount() {
    long e = acquire("r1", 1);
    PaymentRecord pending = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(filled(32, 5)))
        .setDirection(PaymentDirection.OUTBOUND).setStatus(PaymentStatus.PENDING).setAmountMsat(42_000)
        .setDescription("withdrawal 7").build();
    commit(e, Ops.recordPayment(pending));
    // After a failover the node knows only the hash, the fee and the outcome.
    PaymentRecord sent = PaymentRecord.newBuilder().setPaymentHash(pending.getPaymentHash())
        .setDirection(PaymentDirection.OUTBOUND).setStatus(PaymentStatus.SUCCEEDED).setFeeMsat(3).build();
    assertThat(commit(e, Ops.recordPayment(sent)).getEventSeqsList()).hasSize(1);
    PaymentRecord event = StoreQueries.events(state, 0, 10).getEvents(0).getPayment();
    assertThat(event.getAmountMsat()).isEqualTo(42_000);
    assertThat(event.getDescription()).isEqualTo("withdrawal 7");
    assertThat(event.getFeeMsat()).isEqualTo(3);
  }
}
