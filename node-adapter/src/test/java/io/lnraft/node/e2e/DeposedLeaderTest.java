package io.lnraft.node.e2e;

import static io.lnraft.node.e2e.NodeCluster.await;
import static io.lnraft.node.e2e.NodeCluster.connected;
import static io.lnraft.node.e2e.NodeCluster.msSince;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.node.e2e.NodeCluster.Expected;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader that is paused (SIGSTOP: a GC pause, a frozen VM) past the election timeout and then
 * resumes must not act: another replica takes over and serves payments; when the old one wakes it
 * sends no byte to the counterparty and commits nothing — its node stops, its /ready is 503 and
 * its role FOLLOWER within seconds, the writer epoch stays the new leader's, the counterparty's
 * channel and ledger see only what the new leader did, and payments keep succeeding.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DeposedLeaderTest {
  @TempDir Path dir;
  private NodeCluster c;
  private NodeProcess stopped;

  @AfterEach
  void stopAll() throws Exception {
    if (stopped != null && stopped.alive()) stopped.signal("CONT"); // never leave a stopped process behind
    if (c != null) c.close();
  }

  @Test
  void pausedLeaderResumesAsAFollowerAndSendsNothing() throws Exception {
    long t0 = System.nanoTime();
    c = NodeCluster.startWithChannel(dir, "DeposedLeaderTest");
    NodeProcess cp = c.cp;
    int cpPeerPort = c.cpConfig.self().peer().port();
    NodeProcess old = c.awaitReadyLeader(Optional.empty());
    List<Expected> paid = new ArrayList<>();
    long net = 0;
    paid.add(new Expected(c.pay(cp, old, 11_000), false, 11_000));
    paid.add(new Expected(c.pay(old, cp, 12_000), true, 12_000));
    net += 11_000 - 12_000;
    long oldEpoch = old.ok("GET", "/v1/info", null).get("epoch").asLong();
    OptionalInt connsBefore = peerConnections(old.pid(), cpPeerPort);
    if (connsBefore.isPresent()) {
      assertThat(connsBefore.getAsInt()).as("the leader holds a connection to the counterparty before the pause").isPositive();
    }

    long stopAt = System.nanoTime();
    old.signal("STOP");
    stopped = old;
    NodeProcess next = c.awaitReadyLeader(Optional.of(old));
    long readyMs = msSince(stopAt);
    await("counterparty reconnected to the new leader", () -> connected(cp, c.clusterId));
    long reconnectMs = msSince(stopAt);
    JsonNode nextInfo = next.ok("GET", "/v1/info", null);
    assertThat(nextInfo.get("node_id").asText()).isEqualTo(c.clusterId);
    long newEpoch = nextInfo.get("epoch").asLong();
    assertThat(newEpoch).as("the new leader took a newer writer epoch").isGreaterThan(oldEpoch);
    for (int i = 0; i < 2; i++) {
      paid.add(new Expected(c.pay(cp, next, 21_000 + i), false, 21_000 + i));
      paid.add(new Expected(c.pay(next, cp, 22_000 + i), true, 22_000 + i));
      net += 21_000 - 22_000;
    }
    c.assertLedgers(next, paid);
    c.assertBalances(next, net);
    long cpLastSeq = lastSeq(cp);
    long clusterLastSeq = lastSeq(next);
    JsonNode cpChannel = NodeCluster.channel(cp);

    // Wake the old leader.
    long contAt = System.nanoTime();
    int logLinesAtCont = Files.readAllLines(old.logFile, StandardCharsets.UTF_8).size();
    old.signal("CONT");
    stopped = null;
    await("the old leader's /ready is 503", () -> readyStatus(old) == 503);
    await("the old leader reports FOLLOWER", () -> old.call("GET", "/v1/info", null).body().path("role").asText()
        .equals("follower"));
    long followerMs = msSince(contAt);
    assertThat(followerMs).as("the old leader steps down within a few seconds").isLessThan(10_000);
    if (connsBefore.isPresent()) {
      await("the old leader holds no connection to the counterparty", () -> peerConnections(old.pid(), cpPeerPort).getAsInt() == 0);
    } else {
      System.out.println("skipping the socket check: `ss -tnp` is not available here");
    }
    Thread.sleep(3_000); // give a misbehaving old leader time to act

    // Nothing changed on the counterparty's side nor in the ledger while only the old leader was awake.
    assertThat(lastSeq(cp)).as("counterparty ledger untouched after the old leader resumed").isEqualTo(cpLastSeq);
    assertThat(lastSeq(next)).as("cluster ledger untouched after the old leader resumed").isEqualTo(clusterLastSeq);
    JsonNode cpNow = NodeCluster.channel(cp);
    assertThat(cpNow.get("local_balance_msat").asLong()).isEqualTo(cpChannel.get("local_balance_msat").asLong());
    assertThat(cpNow.get("state").asText()).isEqualTo("active");
    WriterEpoch w = c.store().writer().get(10, TimeUnit.SECONDS);
    assertThat(w.getEpoch()).as("the writer epoch is still the new leader's").isEqualTo(newEpoch);
    assertThat(w.getReplicaId()).isEqualTo(next.name);
    assertThat(readyStatus(old)).isEqualTo(503);
    assertThat(c.readyLeader(Optional.empty())).as("exactly one ready leader, the new one").contains(next);
    List<String> after = Files.readAllLines(old.logFile, StandardCharsets.UTF_8);
    List<String> resumed = after.subList(Math.min(logLinesAtCont, after.size()), after.size());
    assertThat(resumed).as("the old leader acquired no epoch and started no node after resuming")
        .noneMatch(l -> l.contains("acquired writer epoch") || l.contains("is the ready leader"));

    // Payments keep succeeding through the new leader; no channel closed anywhere.
    for (int i = 0; i < 2; i++) {
      paid.add(new Expected(c.pay(cp, next, 31_000 + i), false, 31_000 + i));
      paid.add(new Expected(c.pay(next, cp, 32_000 + i), true, 32_000 + i));
      net += 31_000 - 32_000;
    }
    c.assertLedgers(next, paid);
    c.assertBalances(next, net);
    System.out.printf("deposed: stop -> new leader ready %d ms, stop -> counterparty reconnected %d ms,"
        + " cont -> old leader follower %d ms, run %d ms%n", readyMs, reconnectMs, followerMs, msSince(t0));
  }

  private static int readyStatus(NodeProcess p) throws Exception {
    return p.call("GET", "/ready", null).status();
  }

  private static long lastSeq(NodeProcess p) throws Exception {
    long after = 0;
    while (true) {
      JsonNode page = p.ok("GET", "/v1/events?after=" + after + "&limit=1000", null);
      if (page.get("events").isEmpty()) return after;
      after = page.get("next_after").asLong();
    }
  }

  /** TCP connections of process pid to port (either end), from `ss -tnp`; empty if ss is unusable here. */
  static OptionalInt peerConnections(long pid, int port) {
    try {
      Process p = new ProcessBuilder("ss", "-tnpH").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) return OptionalInt.empty();
      int n = 0;
      for (String line : out.split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 6 || !f[0].equals("ESTAB")) continue;
        boolean toPort = f[4].endsWith(":" + port);
        if (toPort && line.contains("pid=" + pid + ",")) n++;
      }
      return OptionalInt.of(n);
    } catch (Exception e) {
      return OptionalInt.empty();
    }
  }
}
