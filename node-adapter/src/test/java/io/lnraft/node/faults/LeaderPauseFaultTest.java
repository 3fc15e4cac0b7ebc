package io.lnraft.node.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.node.e2e.FaultCluster;
import io.lnraft.node.e2e.Placement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario (b): the leader is paused with SIGSTOP (a GC pause, a frozen VM) at a random instant
 * during payments, past the election timeout; another replica takes over and serves; then SIGCONT.
 * The woken leader must step down without acting: its /ready goes 503, the writer epoch stays the
 * new leader's, and the serving journals show no act of it overlapping the new leader's (the
 * overlap check). Short mode 1 pause, long mode 10.
 */
@Timeout(value = 1, unit = TimeUnit.HOURS)
class LeaderPauseFaultTest {
  @TempDir Path dir;
  private FaultCluster c;
  private String stopped;

  @AfterEach
  void stop() throws Exception {
    if (stopped != null && c != null && c.alive(stopped)) c.signal(stopped, "CONT"); // never leave a stopped process
    if (c != null) c.close();
  }

  @Test
  void leaderPausedPastTheElectionTimeoutThenResumed() throws Exception {
    int pauses = FaultMode.count("pauses", 1, 10);
    long seed = Long.getLong("lnraft.faults.seed", System.nanoTime());
    Random random = new Random(seed);
    long t0 = System.nanoTime();
    c = FaultCluster.start(dir, "LeaderPauseFaultTest", Placement.LOOPBACK);
    List<Long> faults = new ArrayList<>();
    List<Long> failoverMs = new ArrayList<>();
    List<Long> stepDownMs = new ArrayList<>();
    c.resumeLoad();
    for (int k = 1; k <= pauses; k++) {
      String leader = c.awaitReadyLeader();
      c.awaitMorePayments(1);
      Thread.sleep(random.nextInt(400));
      long at = System.nanoTime();
      faults.add(at);
      c.signal(leader, "STOP");
      stopped = leader;
      String next = c.pollReadyLeaderOtherThan(leader, 60_000)
          .orElseThrow(() -> new AssertionError("no ready leader within 60 s of pausing " + leader));
      failoverMs.add((System.nanoTime() - at) / 1_000_000);
      c.awaitCounterpartyConnected();
      c.awaitMorePayments(2); // the new leader serves while the old one sleeps
      long contAt = System.nanoTime();
      faults.add(contAt); // a payment in flight when the old leader wakes may fail too
      c.signal(leader, "CONT");
      stopped = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.ready(leader) && System.nanoTime() < deadline) Thread.sleep(20);
      assertThat(c.ready(leader)).as("the woken leader " + leader + " is not ready").isFalse();
      stepDownMs.add((System.nanoTime() - contAt) / 1_000_000);
      c.awaitMorePayments(2); // and payments go on
      assertThat(c.writer()).as("writer epoch holder after the old leader woke").startsWith(next + " ");
      c.awaitCaughtUp(leader);
      System.out.printf("pause %d/%d: %s stopped, %s ready in %d ms, %s not ready %d ms after SIGCONT%n", k, pauses,
          leader, next, failoverMs.get(k - 1), leader, stepDownMs.get(k - 1));
    }
    c.awaitMorePayments(2);
    c.pauseLoad();
    assertThat(c.loadErrors()).as("payment driver errors").isEmpty();
    List<InvariantChecker.Verdict> verdicts = InvariantChecker.check(c, faults);
    verdicts.forEach(v -> System.out.println("leader-sigstop " + v));
    FaultCluster.LoadStats s = c.loadStats();
    ResultsTable.print(ResultsTable.row("leader SIGSTOP past election timeout, SIGCONT (" + FaultMode.mode() + ")", pauses,
        failoverMs, verdicts, s.attempts() + " payments, " + s.failed() + " failed in flight, step-down after SIGCONT max "
            + ResultsTable.max(stepDownMs) + " ms, seed " + seed + ", " + (System.nanoTime() - t0) / 1_000_000_000 + " s"));
    InvariantChecker.assertAllHold("leader SIGSTOP", verdicts);
  }
}
