package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.RpcType;
import io.lnraft.config.SnapshotSettings;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RaftStoreClient} with the process's own replica: commits go straight into the leader's
 * Raft server, with the same outcomes as over RPC; on a follower it falls back to RPC.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalSubmissionTest {
  @TempDir Path dir;

  private static RaftStoreClient clientOn(TestCluster c, int i) {
    ReplicaServer s = c.servers[i];
    return new RaftStoreClient(s.group(), RaftTuning.properties(c.configs.get(i).raft(), c.configs.get(i).snapshot(),
        Map.of()), Duration.ofSeconds(15), StoreMetrics.inMemory(),
        Optional.of(RaftPeerId.valueOf(c.configs.get(i).replicaId())), Optional.of(s));
  }

  @Test
  void onTheLeaderCommitsGoInProcessWithTheSameOutcomesAndReachEveryReplica() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, RpcType.NETTY, new SnapshotSettings(false, 10_000, 2), Map.of())) {
      int leader = c.awaitLeader();
      try (RaftStoreClient local = clientOn(c, leader)) {
        assertThat(local.submitsLocally()).isTrue();
        WriterEpoch epoch = local.acquireEpoch(c.configs.get(leader).replicaId(), c.servers[leader].currentTerm())
            .get(15, TimeUnit.SECONDS);
        long e = epoch.getEpoch();
        // Four writers, one channel each, submitting concurrently: every update exactly once, in order.
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          ChannelKey ch = ReplicatedStoreTest.channel(w);
          writers.add(CompletableFuture.runAsync(() -> {
            assertThat(local.commit(e, List.of(Ops.putBaseMonitor(ch, 0, new byte[4096]))).join())
                .isInstanceOf(CommitOutcome.Committed.class);
            for (long u = 1; u <= 20; u++) {
              assertThat(local.commit(e, List.of(Ops.appendMonitorUpdate(ch, u, new byte[400]),
                  Ops.putManager(new byte[4096]))).join()).isInstanceOf(CommitOutcome.Committed.class);
            }
          }));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        // Business rejections and bad bytes come back as outcomes, exactly as over RPC.
        CommitOutcome gap = local.commit(e, List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(0), 22,
            new byte[400]))).get(15, TimeUnit.SECONDS);
        assertThat(gap).isInstanceOf(CommitOutcome.Conflict.class);
        CommitOutcome stale = local.commit(e + 1, List.of(Ops.putManager(new byte[10]))).get(15, TimeUnit.SECONDS);
        assertThat(stale).isInstanceOf(CommitOutcome.Fenced.class);
        CommitOutcome garbage = local.submit(new byte[] {(byte) 0xff, 0x01, 0x02}).get(15, TimeUnit.SECONDS);
        assertThat(garbage).isInstanceOf(CommitOutcome.Invalid.class);
        CommitOutcome last = local.commit(e, List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(0), 21,
            new byte[400]))).get(15, TimeUnit.SECONDS);
        assertThat(last).isInstanceOf(CommitOutcome.Committed.class);

        // Every replica applied the same records; a linearizable read sees them.
        c.awaitApplied(((CommitOutcome.Committed) last).logIndex());
        byte[] digest = c.localDigest(leader);
        for (int i = 0; i < 3; i++) assertThat(c.localDigest(i)).isEqualTo(digest);
        StartupState s = local.startupState().get(15, TimeUnit.SECONDS);
        assertThat(s.getChannelsCount()).isEqualTo(4);
        for (var ch : s.getChannelsList()) {
          int id = ch.getChannel().getFundingTxid().byteAt(0);
          assertThat(ch.getRecord().getLatestUpdateId()).isEqualTo(id == 0 ? 21 : 20);
        }

        // Reads go in-process too while this replica leads: they still answer with the RPC client
        // closed (right after a failover it would first try the dead leader it remembers).
        local.raftClient().close();
        assertThat(local.writer().get(15, TimeUnit.SECONDS).getEpoch()).isEqualTo(e);
        assertThat(local.startupState().get(15, TimeUnit.SECONDS).getChannelsCount()).isEqualTo(4);
        assertThat(local.digest().get(15, TimeUnit.SECONDS).getSha256().toByteArray()).isEqualTo(digest);
        // The new writer's startup state, read from the local replica without a ReadIndex round: the same state.
        StartupState own = local.startupStateFor(epoch).get(15, TimeUnit.SECONDS);
        assertThat(own.getChannelsList()).isEqualTo(s.getChannelsList());
        assertThat(own.getWriter()).isEqualTo(epoch);
      }
    }
  }

  @Test
  void onAFollowerCommitsGoOverRpcToTheLeader() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, RpcType.NETTY, new SnapshotSettings(false, 10_000, 2), Map.of())) {
      int leader = c.awaitLeader();
      int follower = (leader + 1) % 3;
      try (RaftStoreClient onFollower = clientOn(c, follower)) {
        assertThat(onFollower.submitsLocally()).isFalse();
        WriterEpoch epoch = onFollower.acquireEpoch(c.configs.get(leader).replicaId(), c.servers[leader].currentTerm())
            .get(15, TimeUnit.SECONDS);
        ChannelKey ch = ReplicatedStoreTest.channel(7);
        assertThat(onFollower.commit(epoch.getEpoch(), List.of(Ops.putBaseMonitor(ch, 0, new byte[100])))
            .get(15, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
        CommitOutcome o = onFollower.commit(epoch.getEpoch(), List.of(Ops.appendMonitorUpdate(ch, 1, new byte[40])))
            .get(15, TimeUnit.SECONDS);
        assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
        c.awaitApplied(((CommitOutcome.Committed) o).logIndex());
        assertThat(c.localDigest(follower)).isEqualTo(c.localDigest(leader));
      }
    }
  }

  /** A standby reads its own replica's state as a leader would (NodeRuntime's standby probe). */
  @Test
  void aStandbyReadsItsOwnReplicasSealedStateAndAnotherSeedCannot() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, RpcType.NETTY, new SnapshotSettings(false, 10_000, 2), Map.of())) {
      int leader = c.awaitLeader();
      int follower = (leader + 1) % 3;
      byte[] seed = new byte[64];
      java.util.Arrays.fill(seed, (byte) 3);
      byte[] otherSeed = seed.clone();
      otherSeed[0] = 4;
      try (RaftStoreClient sealed = clientOn(c, leader).sealingWith(StateSealer.fromSeed(seed));
           RaftStoreClient standby = clientOn(c, follower).sealingWith(StateSealer.fromSeed(seed));
           RaftStoreClient wrongSeed = clientOn(c, follower).sealingWith(StateSealer.fromSeed(otherSeed))) {
        long e = sealed.acquireEpoch(c.configs.get(leader).replicaId(), c.servers[leader].currentTerm())
            .get(15, TimeUnit.SECONDS).getEpoch();
        byte[] manager = new byte[30_000];
        new java.util.Random(1).nextBytes(manager);
        CommitOutcome put = sealed.commit(e, List.of(Ops.putBaseMonitor(ReplicatedStoreTest.channel(8), 0, new byte[] {5}),
            Ops.putManager(manager))).get(15, TimeUnit.SECONDS);
        c.awaitApplied(((CommitOutcome.Committed) put).logIndex());
        StartupState st = standby.localStartupState().get(15, TimeUnit.SECONDS);
        assertThat(st.getManager().toByteArray()).isEqualTo(manager);
        assertThat(st.getAppliedIndex()).isGreaterThanOrEqualTo(((CommitOutcome.Committed) put).logIndex());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> wrongSeed.localStartupState().get(15, TimeUnit.SECONDS))
            .hasRootCauseInstanceOf(StateSealer.SealedDataException.class);
      }
    }
  }
}
