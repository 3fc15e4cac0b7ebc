package io.lnraft.store.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.store.StorageFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 (a): one replica's Raft log directory ({@code raft/}) and database directory
 * ({@code state/}) are each a small tmpfs, filled to ENOSPC while a payment-shaped commit load
 * flows: the database's while the replica is a follower, the Raft log's while it leads. Expected:
 * it stops (process exit {@link StorageFailure#EXIT_CODE} with an error naming the failed write and
 * what to do), the other two keep committing (with a new leader when it led), and after space is
 * freed and it is restarted it catches up; nothing acknowledged is lost, the ledger has no gap and
 * no duplicate, and all three digests are equal.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DiskFullTest {
  @TempDir Path dir;

  @Test
  void aReplicaWhoseDiskFillsStopsAndCatchesUpAfterSpaceIsFreed() throws Exception {
    int victim = 2;
    try (ReplicaProcesses c = new ReplicaProcesses(dir, "DiskFullTest", LocalClusterLayout.Options.defaults(),
        DataCorruptionTest.SMALL_SEGMENTS);
        Tmpfs raftDisk = Tmpfs.mountOrSkip(c.config(victim).dataDir().resolve("raft"), 64);
        Tmpfs stateDisk = Tmpfs.mountOrSkip(c.config(victim).dataDir().resolve("state"), 32);
        CommitLoad load = new CommitLoad(c)) {
      for (int i = 0; i < 3; i++) assertThat(c.start(i)).as("r%d started", i + 1).isTrue();
      load.start().awaitMore(40, Duration.ofSeconds(90));

      // As a follower: its RocksDB write fails.
      if (c.awaitLeader(Duration.ofSeconds(30)).position() == victim) c.transferLeadership(0);
      fillAndExpectStop(c, stateDisk, load, victim, "to its channel-state database");
      heal(c, stateDisk, load, victim);

      // As the leader: its Raft log write fails. Ratis alone would keep it leading on its
      // followers' logs; it must stop and let another lead.
      c.transferLeadership(victim);
      load.awaitMore(20, Duration.ofSeconds(60));
      fillAndExpectStop(c, raftDisk, load, victim, "cannot write its Raft log");
      assertThat(c.awaitLeader(Duration.ofSeconds(30)).position()).as("a new leader").isNotEqualTo(victim);
      heal(c, raftDisk, load, victim);

      load.stop();
      load.verify();
      c.awaitEqualDigests(c.leaderAppliedIndex(), Duration.ofSeconds(60));
      assertThat(load.acked.get()).as("acknowledged commits").isGreaterThan(100);
    }
  }

  static void fillAndExpectStop(ReplicaProcesses c, Tmpfs disk, CommitLoad load, int victim, String what)
      throws Exception {
    long filled = disk.fill("filler");
    assertThat(disk.free()).as("tmpfs full after %d bytes", filled).isLessThan(256 << 10);
    assertThat(c.process(victim).waitFor(90, TimeUnit.SECONDS)).as("%s stops once its disk is full; output in %s",
        ReplicaProcesses.id(victim), c.logFile(victim)).isTrue();
    assertThat(c.process(victim).exitValue()).as("exit code; output in %s", c.logFile(victim))
        .isEqualTo(StorageFailure.EXIT_CODE);
    assertThat(String.join("\n", c.output(victim))).as("error says what failed and what to do; output in %s",
        c.logFile(victim)).contains(what).contains("this replica STOPS").contains("Free space on");
    load.awaitMore(30, Duration.ofSeconds(60)); // the other two commit
  }

  static void heal(ReplicaProcesses c, Tmpfs disk, CommitLoad load, int victim) throws Exception {
    disk.delete("filler");
    assertThat(c.start(victim)).as("%s restarts once space is free; output in %s", ReplicaProcesses.id(victim),
        c.logFile(victim)).isTrue();
    load.awaitMore(10, Duration.ofSeconds(60));
    DataCorruptionTest.awaitCaughtUp(c, victim);
  }
}
