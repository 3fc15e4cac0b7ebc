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
 * The leader loses its quorum (both followers paused with SIGSTOP) while a payment arrives: its
 * commits cannot be acknowledged, so its node stops and sends nothing. When the followers come
 * back a node runs again under a new epoch — on this machine Ratis' leader has stepped down by
 * then (its lease expired) and another replica leads; if the same replica had kept leadership,
 * NodeRuntime.recover would start a new node on it. Payments then go on, the channel stays open,
 * the in-flight payment ends the same way on both sides and the ledgers agree.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class QuorumLossTest {
  @TempDir Path dir;
  private NodeCluster c;
  private final List<NodeProcess> paused = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (NodeProcess p : paused) if (p.alive()) p.signal("CONT");
    if (c != null) c.close();
  }

  @Test
  void aLeaderThatLostItsQuorumStopsActingAndANodeServesAgainUnderANewEpoch() throws Exception {
    c = NodeCluster.startWithChannel(dir, "QuorumLossTest");
    NodeProcess cp = c.cp;
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    List<Expected> paid = new ArrayList<>();
    long net = 0;
    paid.add(new Expected(c.pay(cp, leader, 11_000), false, 11_000));
    paid.add(new Expected(c.pay(leader, cp, 12_000), true, 12_000));
    net += 11_000 - 12_000;
    long epochBefore = leader.ok("GET", "/v1/info", null).get("epoch").asLong();
    String clusterId = leader.ok("GET", "/v1/info", null).get("node_id").asText();
    JsonNode invoice = leader.ok("POST", "/v1/invoices", Map.of("amount_msat", 13_000, "description", "during quorum loss"));

    for (NodeProcess r : c.replicas) {
      if (r != leader) {
        r.signal("STOP");
        paused.add(r);
      }
    }
    // A payment arrives while no commit can reach a majority: the node must stop, not act.
    cp.call("POST", "/v1/payments", Map.of("invoice", invoice.get("bolt11").asText()));
    await("the quorum-less leader stops its node", () -> !leader.ready());
    for (NodeProcess r : paused) r.signal("CONT");
    paused.clear();

    NodeProcess next = c.awaitReadyLeader(Optional.empty());
    long epochAfter = next.ok("GET", "/v1/info", null).get("epoch").asLong();
    assertThat(epochAfter).as("a new node instance runs under a new epoch").isGreaterThan(epochBefore);
    assertThat(next.ok("GET", "/v1/info", null).get("node_id").asText()).isEqualTo(clusterId);
    await("counterparty reconnected", () -> connected(cp, clusterId));
    System.out.printf("quorum loss: leader %s, after recovery leader %s, epoch %d -> %d%n", leader.name, next.name,
        epochBefore, epochAfter);

    // The payment sent during the loss ends the same way on both sides; if it failed, pay again.
    String hash = invoice.get("payment_hash").asText();
    await("the in-flight payment settles one way or the other", () -> {
      String out = NodeCluster.status(cp, hash, "outbound");
      return out.equals("succeeded") || out.equals("failed");
    });
    if (NodeCluster.status(cp, hash, "outbound").equals("succeeded")) {
      await("the cluster's ledger has it too", () -> NodeCluster.status(next, hash, "inbound").equals("succeeded"));
      paid.add(new Expected(hash, false, 13_000));
      net += 13_000;
    } else {
      assertThat(NodeCluster.status(next, hash, "inbound")).isNotEqualTo("succeeded");
    }
    paid.add(new Expected(c.pay(cp, next, 14_000), false, 14_000));
    paid.add(new Expected(c.pay(next, cp, 15_000), true, 15_000));
    net += 14_000 - 15_000;
    c.assertLedgers(next, paid);
    c.assertBalances(next, net);
  }
}
