package io.lnraft.node.e2e;

import static io.lnraft.node.e2e.NodeCluster.await;
import static io.lnraft.node.e2e.NodeCluster.connected;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.node.e2e.NodeCluster.Expected;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end in separate processes on loopback ({@link NodeCluster}): invoices are paid both ways
 * through the REST API, the leader is killed with SIGKILL, and a new leader serves the same node
 * id: the invoice created before the kill is paid after it, no channel is closed, balances agree
 * and the ledger feed has no gap and no duplicate.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NodeFailoverTest {
  @TempDir Path dir;
  private NodeCluster c;

  @AfterEach
  void stopAll() {
    if (c != null) c.close();
  }

  @Test
  void leaderKilledWhilePaymentsFlowAndTheSameNodeKeepsServing() throws Exception {
    c = NodeCluster.startWithChannel(dir, "NodeFailoverTest");
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    NodeProcess cp = c.cp;
    List<Expected> paid = new ArrayList<>();
    long net = 0;
    for (int i = 0; i < 3; i++) {
      paid.add(new Expected(c.pay(cp, leader, 10_000 + i), false, 10_000 + i)); // counterparty -> cluster (a deposit)
      paid.add(new Expected(c.pay(leader, cp, 20_000 + i), true, 20_000 + i)); // cluster -> counterparty (a withdrawal)
      net += 10_000 - 20_000;
    }
    assertBadInputChangesNothing(leader);
    JsonNode before = leader.ok("POST", "/v1/invoices", Map.of("amount_msat", 77_000, "description", "before the kill"));

    long killAt = System.nanoTime();
    leader.kill();
    NodeProcess next = c.awaitReadyLeader(Optional.of(leader));
    long readyMs = NodeCluster.msSince(killAt);
    await("counterparty reconnected to the new leader", () -> connected(cp, c.clusterId));
    long reconnectMs = NodeCluster.msSince(killAt);
    System.out.printf("failover: kill -> new leader ready %d ms, kill -> counterparty reconnected %d ms%n", readyMs, reconnectMs);
    assertThat(next.ok("GET", "/v1/info", null).get("node_id").asText()).isEqualTo(c.clusterId);

    // The invoice created before the kill is paid after it, and payments go on both ways.
    paid.add(new Expected(c.payInvoice(cp, next, before.get("bolt11").asText(), before.get("payment_hash").asText()), false, 77_000));
    net += 77_000;
    for (int i = 0; i < 2; i++) {
      paid.add(new Expected(c.pay(cp, next, 30_000 + i), false, 30_000 + i));
      paid.add(new Expected(c.pay(next, cp, 40_000 + i), true, 40_000 + i));
      net += 30_000 - 40_000;
    }

    // A payment that fails (more than the channel holds) is final; paying its invoice again is
    // refused with 409 and leaves the node serving (it used to make the ledger refuse a commit,
    // which stops the node).
    JsonNode big = cp.ok("POST", "/v1/invoices", Map.of("amount_msat", 900_000_000L, "description", "too big"));
    NodeProcess.Reply first = next.call("POST", "/v1/payments", Map.of("invoice", big.get("bolt11").asText()));
    assertThat(first.status()).as("paying more than the channel holds: " + first.body()).isEqualTo(400);
    assertThat(NodeCluster.status(next, big.get("payment_hash").asText(), "outbound")).isEqualTo("failed");
    NodeProcess.Reply again = next.call("POST", "/v1/payments", Map.of("invoice", big.get("bolt11").asText()));
    assertThat(again.status()).as("a failed invoice paid again: " + again.body()).isEqualTo(409);
    paid.add(new Expected(c.pay(next, cp, 45_000), true, 45_000));
    net -= 45_000;
    assertThat(next.ready()).as("the leader still serves").isTrue();

    // Ledger: every acknowledged payment present once, feed contiguous, no channel closed on either side.
    c.assertLedgers(next, paid);
    c.assertBalances(next, net);

    // The thin CLI clients: asked through a follower's config, `channels` follows the 503 to the
    // leader; `snapshot` checkpoints every live replica.
    int follower = -1;
    for (int i = 0; i < c.replicas.size(); i++) {
      if (c.replicas.get(i) != next && c.replicas.get(i).alive()) follower = i;
    }
    assertThat(follower).isNotNegative();
    String channels = cli("channels", "--config", c.layout.configFiles().get(follower).toString());
    assertThat(channels).contains("\"state\" : \"active\"");
    String snapshot = cli("snapshot", "--config", c.layout.configFiles().get(follower).toString(),
        "--replica", c.layout.configs().get(c.replicas.indexOf(next)).replicaId());
    assertThat(snapshot).contains("snapshot at log index");
  }

  /** Runs an lnraft command in this JVM and returns its standard output; fails on a non-zero exit. */
  private static String cli(String... args) {
    java.io.PrintStream saved = System.out;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
      code = io.lnraft.node.cli.LnraftCli.run(args);
    } finally {
      System.setOut(saved);
    }
    String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(code).as("lnraft " + String.join(" ", args) + " printed: " + text).isZero();
    return text;
  }

  /**
   * Bad input against the real node (not the HTTP layer's test double): a garbage invoice, an
   * unknown channel, an unknown peer, a missing token, and garbage bytes on the peer port. Each
   * gets a clear error; the ledger and the channel do not change; the node keeps serving.
   */
  private void assertBadInputChangesNothing(NodeProcess leader) throws Exception {
    JsonNode eventsBefore = leader.ok("GET", "/v1/events?after=0&limit=1000", null).get("events");
    JsonNode channelBefore = leader.ok("GET", "/v1/channels", null).get("channels");

    NodeProcess.Reply garbageInvoice = leader.call("POST", "/v1/payments", Map.of("invoice", "lnbcrt1thisisnotaninvoice"));
    assertThat(garbageInvoice.status()).isEqualTo(400);
    assertThat(garbageInvoice.body().get("message").asText()).isNotBlank();
    NodeProcess.Reply unknownChannel = leader.call("DELETE", "/v1/channels/" + "ab".repeat(32) + "?force=false", null);
    assertThat(unknownChannel.status()).isEqualTo(404);
    NodeProcess.Reply unknownPeer = leader.call("POST", "/v1/channels",
        Map.of("node_id", "02" + "11".repeat(32), "capacity_sat", 100_000, "push_msat", 0));
    assertThat(unknownPeer.status()).isBetween(400, 409);
    NodeProcess.Reply malformed = leader.call("POST", "/v1/invoices", Map.of("amount_msat", -5, "description", "x"));
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.body().get("message").asText()).contains("amount_msat");
    java.net.http.HttpResponse<String> noToken = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(leader.apiBase + "/v1/info")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(noToken.statusCode()).isEqualTo(401);
    // Garbage on the peer port: the handshake fails, that socket is closed, the listener stays up.
    var peerAddr = c.layout.configs().get(c.replicas.indexOf(leader)).self().peer();
    try (java.net.Socket raw = new java.net.Socket(peerAddr.host(), peerAddr.port())) {
      raw.setSoTimeout(10_000);
      raw.getOutputStream().write(new byte[] {(byte) 0xff, 0x00, 0x13, 0x37, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
          0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
          0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42});
      assertThat(raw.getInputStream().read()).as("the node closes a socket that sends garbage").isEqualTo(-1);
    }
    assertThat(leader.ok("GET", "/v1/events?after=0&limit=1000", null).get("events")).isEqualTo(eventsBefore);
    JsonNode channelAfter = leader.ok("GET", "/v1/channels", null).get("channels");
    assertThat(channelAfter.get(0).get("local_balance_msat")).isEqualTo(channelBefore.get(0).get("local_balance_msat"));
    assertThat(channelAfter.get(0).get("state").asText()).isEqualTo("active");
    assertThat(leader.ready()).isTrue();
  }
}
