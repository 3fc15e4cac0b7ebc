package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.RpcType;
import io.lnraft.config.SnapshotSettings;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots, snapshot install into a wiped replica, and a full-cluster restart. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RecoveryTest {
  @TempDir Path dir;

  /** Small log segments so that a snapshot lets Ratis purge the log behind it. */
  static final Map<String, String> SMALL_SEGMENTS = Map.of(
      "raft.server.log.segment.size.max", "64KB",
      "raft.server.log.purge.gap", "1",
      "raft.grpc.server.install_snapshot.request.timeout", "500ms");

  static long writeSome(RaftStoreClient client, long epoch, int channel, long fromUpdate, int n) throws Exception {
    CommitOutcome.Committed last = null;
    for (long u = fromUpdate; u < fromUpdate + n; u++) {
      CommitOutcome o = client.commit(epoch, List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(channel), u,
          new byte[400]), Ops.putManager(new byte[4096]))).get(15, TimeUnit.SECONDS);
      assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
      last = (CommitOutcome.Committed) o;
    }
    return last.logIndex();
  }

  @Test
  void aWipedReplicaRejoinsBySnapshotInstallAndMatchesTheOthers() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, RpcType.GRPC, new SnapshotSettings(false, 10_000, 2), SMALL_SEGMENTS)) {
      RaftStoreClient client = c.client();
      WriterEpoch e = c.acquireOnLeader(client);
      int leader = c.lastWriter;
      client.commit(e.getEpoch(), List.of(Ops.putBaseMonitor(ReplicatedStoreTest.channel(1), 0, new byte[4096]))).get();
      long idx = writeSome(client, e.getEpoch(), 1, 1, 60);
      c.awaitApplied(idx);

      // Wipe a follower's whole data directory while it is down.
      int victim = (leader + 1) % 3;
      c.stop(victim);
      CheckpointSnapshotStorage.deleteTree(c.configs.get(victim).dataDir());
      idx = writeSome(client, e.getEpoch(), 1, 61, 60);
      // Snapshot every live replica: the leader purges its log behind the snapshot, so the wiped
      // replica cannot be fed from the log and must install the snapshot.
      for (int i = 0; i < 3; i++) if (c.servers[i] != null) c.servers[i].takeSnapshot();
      idx = writeSome(client, e.getEpoch(), 1, 121, 5);
      Path leaderLog = c.configs.get(leader).dataDir().resolve("raft");
      assertThat(firstLogIndex(leaderLog)).as("leader purged its log").isGreaterThan(1);

      c.start(victim);
      c.awaitApplied(idx);
      assertThat(c.localDigest(victim)).isEqualTo(c.localDigest(leader));
      // It never took a snapshot itself (auto snapshots are off): a snapshot here was installed.
      assertThat(c.servers[victim].stateMachine().getLatestSnapshot()).as("installed snapshot").isNotNull();
      // It serves the same content as a voter: it can lead after the others stop.
      StartupState s = c.servers[victim].stateMachine().read(StoreQueries::startupState);
      assertThat(s.getChannels(0).getRecord().getLatestUpdateId()).isEqualTo(125);
    }
  }

  static long firstLogIndex(Path raftDir) throws Exception {
    try (var files = Files.walk(raftDir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log_"))
          .map(n -> n.replace("log_inprogress_", "").replace("log_", "").split("-")[0])
          .mapToLong(Long::parseLong).min().orElse(-1);
    }
  }

  @Test
  void fullClusterRestartKeepsEveryRecord() throws Exception {
    byte[] digest;
    long idx;
    try (TestCluster c = new TestCluster(dir, 3, RpcType.NETTY, new SnapshotSettings(true, 50, 2), Map.of())) {
      RaftStoreClient client = c.client();
      WriterEpoch e = c.acquireOnLeader(client);
      int leader = c.lastWriter;
      client.commit(e.getEpoch(), List.of(Ops.putBaseMonitor(ReplicatedStoreTest.channel(2), 0, new byte[4096]))).get();
      idx = writeSome(client, e.getEpoch(), 2, 1, 80); // crosses the auto-snapshot threshold
      c.awaitApplied(idx);
      digest = c.localDigest(leader);
      for (int i = 0; i < 3; i++) c.stop(i);

      for (int i = 0; i < 3; i++) c.start(i);
      c.awaitApplied(idx);
      for (int i = 0; i < 3; i++) assertThat(c.localDigest(i)).isEqualTo(digest);
      // The state is intact and writable: epochs keep going up, update ids continue.
      WriterEpoch e2 = c.acquireOnLeader(client);
      assertThat(e2.getEpoch()).isGreaterThan(e.getEpoch());
      assertThat(client.commit(e2.getEpoch(), List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(2), 81,
          new byte[10]))).get(15, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
      assertThat(client.commit(e2.getEpoch(), List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(2), 81,
          new byte[10]))).get(15, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Conflict.class);
    }
  }
}
