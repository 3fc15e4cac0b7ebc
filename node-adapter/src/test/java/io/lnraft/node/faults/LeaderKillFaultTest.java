package io.lnraft.node.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.node.e2e.FaultCluster;
import io.lnraft.node.e2e.Placement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario (a): SIGKILL of the Raft leader at a random instant while payments flow both ways,
 * {@code kills} times (short mode 3, long mode 100); each killed replica is restarted and caught
 * up before the next kill, so every kill hits a full group. Failover time = kill to a ready leader
 * on another replica (polled every 20 ms). Afterwards every invariant of {@link InvariantChecker}.
 */
@Timeout(value = 4, unit = TimeUnit.HOURS) // long mode; short mode takes about a minute and a half
class LeaderKillFaultTest {
  @TempDir Path dir;
  private FaultCluster c;

  @AfterEach
  void stop() {
    if (c != null) c.close();
  }

  @Test
  void leaderKilledAtRandomInstants() throws Exception {
    int kills = FaultMode.count("kills", 3, 100);
    long seed = Long.getLong("lnraft.faults.seed", System.nanoTime());
    System.out.println("leader-sigkill: " + kills + " kills, seed " + seed + " (-Dlnraft.faults.seed to repeat)");
    Random random = new Random(seed);
    long t0 = System.nanoTime();
    c = FaultCluster.start(dir, "LeaderKillFaultTest", Placement.LOOPBACK);
    List<Long> faults = new ArrayList<>();
    List<Long> failoverMs = new ArrayList<>();
    c.resumeLoad();
    for (int k = 1; k <= kills; k++) {
      String leader = c.awaitReadyLeader();
      c.awaitMorePayments(1);
      Thread.sleep(random.nextInt(400)); // anywhere in the current payment
      long at = System.nanoTime();
      faults.add(at);
      c.kill(leader);
      String next = c.pollReadyLeaderOtherThan(leader, 60_000)
          .orElseThrow(() -> new AssertionError("no ready leader within 60 s of killing " + leader));
      failoverMs.add((System.nanoTime() - at) / 1_000_000);
      CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
        try {
          c.restart(leader);
        } catch (Exception e) {
          throw new IllegalStateException("restart of " + leader + " failed", e);
        }
      });
      c.awaitCounterpartyConnected();
      c.awaitMorePayments(1);
      restart.get(120, TimeUnit.SECONDS);
      c.awaitCaughtUp(leader);
      System.out.printf("kill %d/%d: %s killed, %s ready in %d ms%n", k, kills, leader, next, failoverMs.get(k - 1));
    }
    c.awaitMorePayments(2);
    c.pauseLoad();
    assertThat(c.loadErrors()).as("payment driver errors").isEmpty();
    List<InvariantChecker.Verdict> verdicts = InvariantChecker.check(c, faults);
    verdicts.forEach(v -> System.out.println("leader-sigkill " + v));
    FaultCluster.LoadStats s = c.loadStats();
    ResultsTable.print(ResultsTable.row("leader SIGKILL (" + FaultMode.mode() + ")", kills, failoverMs, verdicts,
        s.attempts() + " payments, " + s.failed() + " failed in flight, seed " + seed + ", "
            + (System.nanoTime() - t0) / 1_000_000_000 + " s"));
    InvariantChecker.assertAllHold("leader SIGKILL", verdicts);
  }
}
