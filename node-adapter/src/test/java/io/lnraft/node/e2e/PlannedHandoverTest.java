package io.lnraft.node.e2e;

import static io.lnraft.node.e2e.NodeCluster.await;
import static io.lnraft.node.e2e.NodeCluster.connected;
import static io.lnraft.node.e2e.NodeCluster.msSince;
import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.node.cli.LnraftCli;
import io.lnraft.node.e2e.PaymentDriver.Attempt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planned handover with the real command, {@code lnraft transfer-leader}, run as its own
 * process while a {@link PaymentDriver} pays both ways: leadership moves to the chosen replica
 * (twice, so every replica leads once), the new leader becomes ready and the old one a follower,
 * the counterparty reconnects, and no payment fails. A payment POST refused with 503 not_leader
 * during the handover is retried by the client against the new leader (counted and printed); that
 * is the only kind of retry allowed, and every payment must end SUCCEEDED.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PlannedHandoverTest {
  @TempDir Path dir;
  private NodeCluster c;
  private PaymentDriver driver;

  @AfterEach
  void stopAll() {
    if (driver != null) driver.close();
    if (c != null) c.close();
  }

  @Test
  void leadershipHandedOverTwiceWhilePaymentsFlow() throws Exception {
    long t0 = System.nanoTime();
    c = NodeCluster.startWithChannel(dir, "PlannedHandoverTest");
    driver = new PaymentDriver(c);
    Path config = c.layout.configFiles().get(0);
    assertThat(LnraftCli.run("transfer-leader", "--config", config.toString(), "--to", "r9"))
        .as("an unknown replica is a usage error").isEqualTo(2);

    Set<NodeProcess> led = new HashSet<>();
    for (int round = 1; round <= 2; round++) {
      NodeProcess from = c.awaitReadyLeader(Optional.empty());
      led.add(from);
      NodeProcess to = c.replicas.stream().filter(r -> !led.contains(r)).findFirst().orElseThrow();
      long settled = driver.settled();
      driver.resume();
      await("payments flow before handover " + round, () -> driver.settled() >= settled + 2 || !driver.errors.isEmpty());

      long start = System.nanoTime();
      Result r = transferLeader(config, to.name);
      long commandMs = msSince(start);
      assertThat(r.exit()).as("transfer-leader exit code; output:\n" + r.output()).isZero();
      assertThat(r.output()).contains("leader: " + to.name);
      await("the chosen replica is the ready leader", to::ready);
      long readyMs = msSince(start);
      await("counterparty reconnected after the handover", () -> connected(c.cp, c.clusterId));
      long reconnectMs = msSince(start);
      await("the old leader is a follower", () -> !from.ready()
          && from.call("GET", "/v1/info", null).body().path("role").asText().equals("follower"));
      assertThat(c.readyLeader(Optional.of(to))).as("no other ready leader").isEmpty();
      long settledAfter = driver.settled();
      await("payments flow after handover " + round, () -> driver.settled() >= settledAfter + 2 || !driver.errors.isEmpty());
      driver.pause();
      assertThat(driver.errors).as("payment driver errors").isEmpty();
      for (Attempt a : driver.attempts) assertThat(a.outcome).as("outcome of " + a).isEqualTo("succeeded");
      c.assertLedgers(to, driver.expected());
      c.assertBalances(to, driver.netIntoCluster());
      String t = String.format("%s->%s command %d ms, ready %d ms, reconnected %d ms", from.name, to.name, commandMs, readyMs,
          reconnectMs);
      System.out.println("handover " + round + ": " + t + "; output: " + r.output().strip().replace('\n', '|'));
    }
    System.out.printf("handover payments=%d failed=0 retries_503=%d retries_io=%d run_ms=%d%n",
        driver.attempts.size(), driver.retries503.get(), driver.retriesIo.get(), msSince(t0));
    assertThat(driver.retriesIo.get()).as("a planned handover loses no reply").isZero();
  }

  record Result(int exit, String output) {}

  /** Runs `lnraft transfer-leader` as a separate process (the operator's view), bounded. */
  private static Result transferLeader(Path config, String to) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), LnraftCli.class.getName(),
        "transfer-leader", "--config", config.toString(), "--to", to, "--timeout", "10s");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[][] out = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        out[0] = p.getInputStream().readAllBytes();
      } catch (java.io.IOException e) {
        out[0] = new byte[0];
      }
    });
    reader.start();
    if (!p.waitFor(40, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      throw new AssertionError("lnraft transfer-leader did not finish within 40 s");
    }
    reader.join(5_000);
    return new Result(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
  }
}
