package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The store on three real Ratis servers (loopback, separate RocksDB directories). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicatedStoreTest {
  @TempDir Path dir;

  static ChannelKey channel(int i) {
    byte[] txid = new byte[32];
    txid[0] = (byte) i;
    txid[31] = 1;
    return Ops.channel(txid, i);
  }

  @Test
  void eightWritersThenLeaderLossLosesNothingAndTheOldLeaderCatchesUp() throws Exception {
    try (TestCluster c = TestCluster.start(dir)) {
      RaftStoreClient client = c.client();
      WriterEpoch epoch = c.acquireOnLeader(client);
      int leader = c.lastWriter;
      // Eight concurrent writers, one channel each; every acknowledged update is remembered.
      ConcurrentHashMap<Integer, Long> acked = new ConcurrentHashMap<>();
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        int id = w;
        writers.add(CompletableFuture.runAsync(() -> {
          ChannelKey ch = channel(id);
          CommitOutcome o = client.commit(epoch.getEpoch(), List.of(Ops.putBaseMonitor(ch, 0, new byte[4096]))).join();
          assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
          for (long u = 1; u <= 25; u++) {
            o = client.commit(epoch.getEpoch(), List.of(Ops.appendMonitorUpdate(ch, u, new byte[400]),
                Ops.putManager(new byte[4096]))).join();
            assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
            acked.put(id, u);
          }
        }));
      }
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      c.stop(leader);
      assertThat(c.awaitLeader()).isNotEqualTo(leader);
      StartupState s = client.startupState().get(15, TimeUnit.SECONDS);
      assertThat(s.getChannelsCount()).isEqualTo(8);
      for (var ch : s.getChannelsList()) {
        int id = ch.getChannel().getFundingTxid().byteAt(0);
        assertThat(ch.getRecord().getLatestUpdateId()).isEqualTo(acked.get(id));
        assertThat(ch.getUpdatesAfterBaseCount()).isEqualTo(25);
      }
      // The new leader accepts writes (after taking the epoch) and the old leader catches up.
      WriterEpoch e2 = c.acquireOnLeader(client);
      int next = c.lastWriter;
      CommitOutcome o = client.commit(e2.getEpoch(), List.of(Ops.appendMonitorUpdate(channel(0), 26, new byte[400])))
          .get(15, TimeUnit.SECONDS);
      assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
      c.start(leader);
      c.awaitApplied(((CommitOutcome.Committed) o).logIndex());
      assertThat(c.localDigest(leader)).isEqualTo(c.localDigest(next));
    }
  }

  /** A client with a 3 s deadline, as the node's commits have: a request during an outage runs out of retries. */
  /** Takes the writer epoch on the leader through {@code client} and commits channel 1's base monitor. */
  private static WriterEpoch acquireAndStoreOneMonitor(TestCluster c, RaftStoreClient client) throws Exception {
    WriterEpoch epoch = c.acquireOnLeader(client);
    assertThat(client.commit(epoch.getEpoch(), List.of(Ops.putBaseMonitor(channel(1), 0, new byte[] {1}))).get())
        .isInstanceOf(CommitOutcome.Committed.class);
    return epoch;
  }

  private static RaftStoreClient shortDeadlineClient(TestCluster c) {
    return new RaftStoreClient(RaftGroups.group(c.configs.get(0)), RaftTuning.properties(c.configs.get(0).raft(),
        c.configs.get(0).snapshot(), c.overrides), java.time.Duration.ofSeconds(3), c.metrics);
  }

  @Test
  void aWriteThatFailsDuringQuorumLossDoesNotBreakTheClientForLaterWrites() throws Exception {
    try (TestCluster c = TestCluster.start(dir)) {
      // A short deadline, as the node's commits have: the write during the outage runs out of retries.
      RaftStoreClient client = shortDeadlineClient(c);
      try {
        WriterEpoch epoch = acquireAndStoreOneMonitor(c, client);
        // Two of three replicas gone: no quorum, the write cannot be answered within its deadline.
        int keep = c.lastWriter;
        for (int i = 0; i < 3; i++) if (i != keep) c.stop(i);
        assertThatThrownBy(() -> client.commit(epoch.getEpoch(), List.of(Ops.appendMonitorUpdate(channel(1), 1,
            new byte[] {2}))).get(30, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(
            java.util.concurrent.ExecutionException.class);
        // Let Ratis' own retries of that write run out too (deadline + backoff), as a real outage would.
        Thread.sleep(4_000);
        for (int i = 0; i < 3; i++) if (i != keep) c.start(i);
        // Quorum is back: the same client commits again (before the fix every later write failed
        // at once with AlreadyClosedException from Ratis' failed sliding window).
        WriterEpoch e2 = org.awaitility.Awaitility.await("a new epoch through the same client")
            .atMost(60, java.util.concurrent.TimeUnit.SECONDS).ignoreExceptions()
            .until(() -> c.acquireOnLeader(client), java.util.Objects::nonNull);
        CommitOutcome o = client.commit(e2.getEpoch(), List.of(Ops.appendMonitorUpdate(channel(1),
            client.startupState().get().getChannels(0).getRecord().getLatestUpdateId() + 1, new byte[] {3})))
            .get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
      } finally {
        client.close();
      }
    }
  }

  /**
   * The same for reads: a stale read to a replica that is down runs out of retries and used to
   * close the client's window for that replica for good (DataCorruptionTest in CI).
   */
  @Test
  void aReadThatFailsWhileAReplicaIsDownDoesNotBreakTheClientForLaterReads() throws Exception {
    try (TestCluster c = TestCluster.start(dir)) {
      RaftStoreClient client = shortDeadlineClient(c);
      try {
        WriterEpoch epoch = acquireAndStoreOneMonitor(c, client);
        int target = (c.lastWriter + 1) % 3;
        org.apache.ratis.protocol.RaftPeerId peer = org.apache.ratis.protocol.RaftPeerId.valueOf(c.configs.get(target).replicaId());
        io.lnraft.store.proto.Query.Builder digest = io.lnraft.store.proto.Query.newBuilder()
            .setGetDigest(io.lnraft.store.proto.GetDigest.getDefaultInstance());
        c.stop(target);
        assertThatThrownBy(() -> client.queryLocal(peer, digest, io.lnraft.store.proto.QueryReply::getDigest)
            .get(30, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.ExecutionException.class);
        Thread.sleep(4_000); // Ratis' own retries of that read run out
        c.start(target);
        org.awaitility.Awaitility.await("a stale read of the restarted replica through the same client")
            .atMost(60, java.util.concurrent.TimeUnit.SECONDS).ignoreExceptions()
            .until(() -> client.queryLocal(peer, digest, io.lnraft.store.proto.QueryReply::getDigest)
                .get(10, java.util.concurrent.TimeUnit.SECONDS), java.util.Objects::nonNull);
      } finally {
        client.close();
      }
    }
  }

  @Test
  void oldEpochIsFencedOnTheNewLeaderAndChangesNothing() throws Exception {
    try (TestCluster c = TestCluster.start(dir)) {
      RaftStoreClient oldWriter = c.client();
      WriterEpoch e1 = c.acquireOnLeader(oldWriter);
      int leader = c.lastWriter;
      long oldTerm = c.servers[leader].currentTerm();
      assertThat(oldWriter.commit(e1.getEpoch(), List.of(Ops.putBaseMonitor(channel(1), 0, new byte[] {1}))).get())
          .isInstanceOf(CommitOutcome.Committed.class);

      // Leadership moves; the new leader takes a new epoch.
      c.stop(leader);
      RaftStoreClient newWriter = c.client();
      WriterEpoch e2 = c.acquireOnLeader(newWriter);
      int next = c.lastWriter;
      assertThat(e2.getEpoch()).isGreaterThan(e1.getEpoch());
      CommitOutcome.Committed last = (CommitOutcome.Committed) newWriter.commit(e2.getEpoch(),
          List.of(Ops.putManager(new byte[] {2}))).get();
      c.awaitApplied(last.logIndex());
      byte[] before = c.localDigest(next);

      // The old writer's client follows the leader to the new one; its commit is fenced there.
      CommitOutcome o = oldWriter.commit(e1.getEpoch(), List.of(Ops.appendMonitorUpdate(channel(1), 1, new byte[] {1})))
          .get(15, TimeUnit.SECONDS);
      assertThat(o).isInstanceOfSatisfying(CommitOutcome.Fenced.class, f -> {
        assertThat(f.current().getEpoch()).isEqualTo(e2.getEpoch());
        assertThat(f.message()).contains("epoch " + e1.getEpoch());
      });
      // Its stale AcquireEpoch, retried in a later term, cannot steal the epoch either.
      assertThatThrownBy(() -> oldWriter.acquireEpoch("r" + (leader + 1), oldTerm).join())
          .hasCauseInstanceOf(ReplicatedStore.FencedException.class);
      long applied = c.servers[next].stateMachine().appliedIndex();
      c.awaitApplied(applied);
      for (int i = 0; i < 3; i++) {
        if (c.servers[i] != null) assertThat(c.localDigest(i)).isEqualTo(before);
      }
      assertThat(newWriter.writer().get().getEpoch()).isEqualTo(e2.getEpoch());
    }
  }
}
