package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The unreplicated baseline store: same rules as the replicated one, answers already complete. */
class InMemoryReplicatedStoreTest {
  static final ChannelKey CH = Ops.channel(StoreTransitionTest.filled(32, 3), 0);

  private static <T> T done(CompletableFuture<T> f) {
    assertThat(f).isDone(); // nothing is asynchronous here
    return f.join();
  }

  @Test
  void commitsAreAppliedInOrderAndVisibleInTheStartupState() {
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      WriterEpoch w = done(s.acquireEpoch("r1", 1));
      assertThat(w.getEpoch()).isEqualTo(1);
      CommitOutcome o = done(s.commit(w.getEpoch(), List.of(Ops.putBaseMonitor(CH, 0, new byte[] {1}), Ops.putManager(new byte[] {9}))));
      assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
      o = done(s.commit(w.getEpoch(), List.of(Ops.appendMonitorUpdate(CH, 1, new byte[] {2}), Ops.putManager(new byte[] {8}))));
      CommitOutcome.Committed c = (CommitOutcome.Committed) o;
      StartupState st = done(s.startupState());
      assertThat(st.getWriter()).isEqualTo(w);
      assertThat(st.getManager().toByteArray()).containsExactly(8);
      assertThat(st.getAppliedIndex()).isEqualTo(c.logIndex()).isEqualTo(3);
      assertThat(st.getChannelsCount()).isEqualTo(1);
      assertThat(st.getChannels(0).getRecord().getLatestUpdateId()).isEqualTo(1);
      assertThat(st.getChannels(0).getUpdatesAfterBaseCount()).isEqualTo(1);
      assertThat(done(s.writer())).isEqualTo(w);
      assertThat(done(s.digest()).getAppliedIndex()).isEqualTo(3);
    }
  }

  @Test
  void anOldEpochIsFencedAndAStaleTermCannotTakeTheEpoch() {
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      long e1 = done(s.acquireEpoch("r1", 1)).getEpoch();
      long e2 = done(s.acquireEpoch("r2", 2)).getEpoch();
      assertThat(e2).isEqualTo(e1 + 1);
      byte[] before = done(s.digest()).getSha256().toByteArray();
      CommitOutcome o = done(s.commit(e1, List.of(Ops.putManager(new byte[] {1}))));
      assertThat(o).isInstanceOfSatisfying(CommitOutcome.Fenced.class, f -> assertThat(f.current().getReplicaId()).isEqualTo("r2"));
      assertThat(done(s.digest()).getSha256().toByteArray()).isEqualTo(before);
      assertThatThrownBy(() -> s.acquireEpoch("r1", 1).get()).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(ReplicatedStore.FencedException.class);
      assertThat(done(s.writer()).getEpoch()).isEqualTo(e2);
    }
  }

  @Test
  void conflictsRejectTheWholeCommit() {
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      long e = done(s.acquireEpoch("r1", 1)).getEpoch();
      done(s.commit(e, List.of(Ops.putBaseMonitor(CH, 0, new byte[] {1}))));
      CommitOutcome o = done(s.commit(e, List.of(Ops.putManager(new byte[] {5}), Ops.appendMonitorUpdate(CH, 2, new byte[] {2}))));
      assertThat(o).isInstanceOfSatisfying(CommitOutcome.Conflict.class, c -> {
        assertThat(c.failedOp()).isEqualTo(1);
        assertThat(c.expectedUpdateId()).isEqualTo(1);
      });
      assertThat(done(s.startupState()).getManager().isEmpty()).isTrue(); // op 0 was not applied either
      done(s.commit(e, List.of(Ops.putKv("k", new byte[] {1}, OptionalLong.empty()))));
      o = done(s.commit(e, List.of(Ops.putKv("k", new byte[] {2}, OptionalLong.of(0)))));
      assertThat(o).isInstanceOfSatisfying(CommitOutcome.Conflict.class, c -> assertThat(c.currentVersion()).isEqualTo(1));
      assertThat(done(s.kv("k")).getRecord().getValue().toByteArray()).containsExactly(1);
    }
  }

  @Test
  void ledgerEventsGetSequenceNumbersAndCanBePaged() {
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      long e = done(s.acquireEpoch("r1", 1)).getEpoch();
      for (int i = 0; i < 3; i++) {
        PaymentRecord p = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(StoreTransitionTest.filled(32, i)))
            .setDirection(PaymentDirection.OUTBOUND).setStatus(PaymentStatus.SUCCEEDED).setAmountMsat(1000 + i).build();
        CommitOutcome.Committed c = (CommitOutcome.Committed) done(s.commit(e, List.of(Ops.recordPayment(p))));
        assertThat(c.eventSeqs()).containsExactly(i + 1L);
      }
      EventsResult page = done(s.events(1, 10));
      assertThat(page.getLastSeq()).isEqualTo(3);
      assertThat(page.getEventsList()).extracting(ev -> ev.getPayment().getAmountMsat()).containsExactly(1001L, 1002L);
    }
  }

  @Test
  void aClosedStoreAnswersUnavailable() {
    InMemoryReplicatedStore s = new InMemoryReplicatedStore();
    s.close();
    assertThatThrownBy(() -> s.commit(1, List.of()).get()).hasCauseInstanceOf(StoreUnavailableException.class);
  }
}
