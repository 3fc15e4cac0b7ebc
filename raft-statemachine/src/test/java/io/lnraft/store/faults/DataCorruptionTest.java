package io.lnraft.store.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.LocalClusterLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 (b) and (c): bytes of a stopped follower's Raft log segment, RocksDB table file and
 * MANIFEST are damaged; on restart the replica refuses to start with an error naming the file and
 * the repair, while the other two keep committing; after the operator moves its data directory
 * away and starts it empty, it is refilled from the others and its digest equals theirs. Three
 * real replica processes, real RocksDB and Raft log files, a payment-shaped commit load throughout.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DataCorruptionTest {
  /** Small segments: the log rolls often (closed segments to damage) and a snapshot purges it. */
  static final Map<String, String> SMALL_SEGMENTS = Map.of(
      "raft.server.log.segment.size.max", "64KB",
      "raft.server.log.purge.gap", "1",
      "raft.grpc.server.install_snapshot.request.timeout", "2s");

  @TempDir Path dir;

  @Test
  void damagedFilesStopTheReplicaAtStartAndAReplacedDirectoryRejoins() throws Exception {
    try (ReplicaProcesses c = new ReplicaProcesses(dir, "DataCorruptionTest", LocalClusterLayout.Options.defaults(),
        SMALL_SEGMENTS); CommitLoad load = new CommitLoad(c)) {
      for (int i = 0; i < 3; i++) assertThat(c.start(i)).as("r%d started", i + 1).isTrue();
      load.start().awaitMore(40, Duration.ofSeconds(90));
      int victim = (c.awaitLeader(Duration.ofSeconds(30)).position() + 1) % 3;
      Path data = c.config(victim).dataDir();
      // A snapshot flushes the follower's RocksDB into SST files (and closes log segments).
      c.client.raftClient().getSnapshotManagementApi(RaftPeerId.valueOf(ReplicaProcesses.id(victim))).create(1, 30_000);
      load.awaitMore(40, Duration.ofSeconds(60)); // closed segments after the snapshot's purge
      awaitCaughtUp(c, victim);
      c.kill(victim);

      // (b) a closed Raft log segment: 16 bytes inverted in an entry. The database is intact.
      List<Path> closed = DataFiles.closedLogSegments(data);
      assertThat(closed).as("closed log segments of %s", ReplicaProcesses.id(victim)).isNotEmpty();
      Path segment = closed.get(closed.size() / 2);
      DataFiles.flipBytes(segment, DataFiles.dataEnd(segment) / 2, 16);
      expectRefusal(c, victim, segment.getFileName().toString());
      load.awaitMore(20, Duration.ofSeconds(60)); // the other two commit meanwhile

      // (c) an SST file of the live RocksDB (checked before the log, so this is what is named now).
      List<Path> ssts = DataFiles.liveDbFiles(data, "", ".sst");
      assertThat(ssts).as("SST files after a snapshot").isNotEmpty();
      Path sst = ssts.get(ssts.size() - 1);
      DataFiles.flipBytes(sst, Files.size(sst) / 3, 16);
      expectRefusal(c, victim, sst.getFileName().toString());

      // (c) its MANIFEST: the open itself fails, before any table file is read.
      List<Path> manifests = DataFiles.liveDbFiles(data, "MANIFEST-", "");
      assertThat(manifests).as("MANIFEST").hasSize(1);
      DataFiles.flipBytes(manifests.get(0), Files.size(manifests.get(0)) / 2, 16);
      expectRefusal(c, victim, manifests.get(0).getFileName().toString());

      replaceAndRejoin(c, load, victim, "damaged");

      load.stop();
      load.verify();
      long last = c.leaderAppliedIndex();
      c.awaitEqualDigests(last, Duration.ofSeconds(60));
    }
  }

  static void awaitCaughtUp(ReplicaProcesses c, int i) throws Exception {
    long target = c.leaderAppliedIndex();
    org.awaitility.Awaitility.await(ReplicaProcesses.id(i) + " applied " + target).atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> c.digest(i).getAppliedIndex() >= target);
  }

  /** The restarted replica exits with code 1 and an error naming {@code file} and the repair. */
  static void expectRefusal(ReplicaProcesses c, int i, String file) throws Exception {
    assertThat(c.start(i)).as("%s must not start with a damaged %s", ReplicaProcesses.id(i), file).isFalse();
    assertThat(c.process(i).waitFor(60, TimeUnit.SECONDS)).as("refusing replica exits").isTrue();
    assertThat(c.process(i).exitValue()).as("exit code; output in %s", c.logFile(i)).isEqualTo(1);
    String out = String.join("\n", c.output(i));
    assertThat(out).as("error names the file; output in %s", c.logFile(i)).contains(file)
        .contains("REFUSES TO START").contains("move the data directory away");
  }

  /**
   * The documented repair (OPERATIONS.md, "A damaged data directory"): directory moved aside,
   * replica started empty with its old config, leadership moved once. Ratis' leader remembers how
   * far the replica's old log matched and never sends it anything below (Raft assumes a replica
   * keeps what it fsynced); a new leader starts without that memory.
   */
  static void replaceAndRejoin(ReplicaProcesses c, CommitLoad load, int i, String aside) throws Exception {
    DataFiles.moveAside(c.config(i).dataDir(), aside);
    assertThat(c.start(i)).as("%s starts with an empty data directory", ReplicaProcesses.id(i)).isTrue();
    int other = 3 - i - c.awaitLeader(Duration.ofSeconds(30)).position();
    c.transferLeadership(other);
    load.awaitMore(10, Duration.ofSeconds(60));
    awaitCaughtUp(c, i);
    load.awaitMore(10, Duration.ofSeconds(60));
  }
}
