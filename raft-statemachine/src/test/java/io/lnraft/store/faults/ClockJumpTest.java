package io.lnraft.store.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.RaftSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 (d): one replica runs with its wall clock moved by libfaketime: it starts one hour ahead,
 * jumps back by 62 minutes while it is a follower, and forward by three hours while it leads.
 * Ratis' election timers and leader lease use System.nanoTime (CLOCK_MONOTONIC, untouched here as
 * by an NTP step), so leadership, the term, linearizable reads through the lease and commits must
 * not notice. Mutual TLS stays on (the default): certificate validity is checked against the wall
 * clock, see OPERATIONS.md.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClockJumpTest {
  @TempDir Path dir;

  @Test
  void wallClockJumpsOnOneReplicaChangeNeitherLeadershipNorCommits() throws Exception {
    FakeClock clock = FakeClock.orSkip(dir.resolve("r3-clock-offset"), "+3600");
    RaftSettings d = RaftSettings.defaults();
    // Election timeouts of 1-2 s so that CPU starvation on a shared CI machine does not move
    // leadership during the observation windows; the timers are monotonic whatever their length.
    RaftSettings raft = new RaftSettings(d.rpcType(), Duration.ofSeconds(1), Duration.ofSeconds(2), d.leaderLease(),
        d.leaderLeaseRatio(), d.requestTimeout(), d.maxEntryBytes(), d.tls());
    int faked = 2;
    try (ReplicaProcesses c = new ReplicaProcesses(dir, "ClockJumpTest",
        LocalClusterLayout.Options.defaults().withRaft(raft), Map.of()); CommitLoad load = new CommitLoad(c)) {
      assertThat(c.start(0)).isTrue();
      assertThat(c.start(1)).isTrue();
      assertThat(c.start(faked, clock.environment())).as("r3 starts with its clock at +1 h; output in %s",
          c.logFile(faked)).isTrue();
      load.start().awaitMore(30, Duration.ofSeconds(90));
      assertClockOffset(c, faked, 3600);

      // Follower: jump back 62 minutes.
      if (c.awaitLeader(Duration.ofSeconds(30)).position() == faked) c.transferLeadership(0);
      DataCorruptionTest.awaitCaughtUp(c, faked);
      ReplicaProcesses.Leader before = c.awaitLeader(Duration.ofSeconds(30));
      clock.set("-120");
      assertClockOffset(c, faked, -120); // the jump is in effect before anything is judged
      load.awaitMore(60, Duration.ofSeconds(60));
      DataCorruptionTest.awaitCaughtUp(c, faked);
      assertThat(c.awaitLeader(Duration.ofSeconds(30))).as("leader and term after the follower's jump").isEqualTo(before);
      assertClockOffset(c, faked, -120);

      // Leader: jump forward three hours while it serves commits and lease reads.
      c.transferLeadership(faked);
      load.awaitMore(20, Duration.ofSeconds(60));
      before = c.awaitLeader(Duration.ofSeconds(30));
      assertThat(before.position()).isEqualTo(faked);
      long epochs = load.epochs.get();
      clock.set("+10800");
      assertClockOffset(c, faked, 10800); // the jump is in effect before anything is judged
      load.awaitMore(60, Duration.ofSeconds(60));
      assertThat(c.client.startupState().get(20, TimeUnit.SECONDS).getChannelsCount()).as("linearizable read").isEqualTo(1);
      assertThat(c.awaitLeader(Duration.ofSeconds(30))).as("leader and term after the leader's jump").isEqualTo(before);
      assertThat(load.epochs.get()).as("no new writer epoch: the writer was never fenced").isEqualTo(epochs);
      assertClockOffset(c, faked, 10800);

      load.stop();
      load.verify();
      c.awaitEqualDigests(c.leaderAppliedIndex(), Duration.ofSeconds(60));
    }
  }

  /**
   * The replica's own log timestamps (its wall clock) are {@code seconds} off the real time. A
   * snapshot makes the replica log a line now; asked again (bounded) until its newest line shows
   * the offset: libfaketime picks up a changed offset file within about a second, and a snapshot
   * request may log nothing new (CI once judged a line from before the jump).
   */
  static void assertClockOffset(ReplicaProcesses c, int i, long seconds) throws Exception {
    String[] last = {"(no timestamped line)"};
    try {
      org.awaitility.Awaitility.await("a log line of " + ReplicaProcesses.id(i) + " with its clock " + seconds + " s off")
          .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().until(() -> {
            c.client.raftClient().getSnapshotManagementApi(RaftPeerId.valueOf(ReplicaProcesses.id(i))).create(1, 30_000);
            LocalTime now = LocalTime.now(ZoneId.systemDefault());
            last[0] = c.output(i).stream().filter(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d .*"))
                .reduce((a, b) -> b).orElseThrow();
            long logged = LocalTime.parse(last[0].substring(0, 12)).toSecondOfDay();
            long diff = Math.floorMod(logged - now.toSecondOfDay() - seconds + 43_200, 86_400) - 43_200;
            return Math.abs(diff) < 60;
          });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(ReplicaProcesses.id(i) + " does not log with its clock " + seconds + " s off within 90 s"
          + " (last line: " + last[0] + ")", e);
    }
  }
}
