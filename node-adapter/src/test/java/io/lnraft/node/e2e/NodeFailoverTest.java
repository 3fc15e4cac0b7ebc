package io.lnraft.node.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end in separate processes on loopback: the chain simulator, a three-replica lnraft node
 * and a counterparty (the same program on a one-replica group). A channel is opened, invoices are
 * paid both ways through the REST API, the leader is killed with SIGKILL, and a new leader serves
 * the same node id: the invoice created before the kill is paid after it, no channel is closed,
 * balances agree and the ledger feed has no gap and no duplicate.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NodeFailoverTest {
  @TempDir Path dir;
  private final List<NodeProcess> procs = new ArrayList<>();
  private ChainSimulator sim;

  @AfterEach
  void stopAll() {
    procs.forEach(NodeProcess::close);
    if (sim != null) sim.close();
  }

  @Test
  void leaderKilledWhilePaymentsFlowAndTheSameNodeKeepsServing() throws Exception {
    Path pw = dir.resolve("rpc-password");
    Files.writeString(pw, "sim-password");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("lnraft", "sim-password")));
    BitcoindRpcClient rpc = new BitcoindRpcClient(sim.clientConfig());
    List<String> btc = List.of("--bitcoind-url", sim.rpcUri().toString(), "--bitcoind-user", "lnraft",
        "--bitcoind-password-file", pw.toString());

    LocalClusterLayout cluster = LocalClusterLayout.generate(dir.resolve("cluster"), 3);
    LocalClusterLayout peer = LocalClusterLayout.generate(dir.resolve("counterparty"), 1,
        LocalClusterLayout.Options.defaults().withClusterId("counterparty").withAllowUnsafeGroupSize(true));
    List<NodeProcess> replicas = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = cluster.configs().get(i);
      replicas.add(new NodeProcess(c.replicaId(), cluster.configFiles().get(i), c.self().api().toString(),
          cluster.apiTokenFile(), btc, dir));
    }
    ReplicaConfig pc = peer.configs().get(0);
    NodeProcess cp = new NodeProcess("counterparty", peer.configFiles().get(0), pc.self().api().toString(),
        peer.apiTokenFile(), btc, dir);
    procs.addAll(replicas);
    procs.add(cp);
    for (NodeProcess p : procs) p.start();

    NodeProcess leader = awaitReadyLeader(replicas, Optional.empty());
    await("counterparty ready", cp::ready);
    String clusterId = leader.ok("GET", "/v1/info", null).get("node_id").asText();
    String cpId = cp.ok("GET", "/v1/info", null).get("node_id").asText();
    for (NodeProcess r : replicas) {
      assertThat(r.ok("GET", "/v1/info", null).get("node_id").asText()).as("one node id on every replica").isEqualTo(clusterId);
    }

    // The cluster dials the counterparty (kept in the replicated kv, so every future leader dials it too)
    // and opens a channel with half of it pushed to the counterparty, so both sides can pay.
    leader.ok("POST", "/v1/peers", Map.of("node_id", cpId, "host", pc.self().peer().host(), "port", pc.self().peer().port()));
    leader.ok("POST", "/v1/channels", Map.of("node_id", cpId, "capacity_sat", 1_000_000, "push_msat", 500_000_000));
    await("funding broadcast", () -> !rpc.getRawMempool().isEmpty());
    rpc.generateToAddress(6, rpc.getNewAddress());
    await("channel active on both sides", () -> active(leader) && active(cp));

    List<String> paidHashes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      paidHashes.add(pay(cp, leader, 10_000 + i)); // counterparty -> cluster (a deposit)
      paidHashes.add(pay(leader, cp, 20_000 + i)); // cluster -> counterparty (a withdrawal)
    }
    JsonNode before = leader.ok("POST", "/v1/invoices", Map.of("amount_msat", 77_000, "description", "before the kill"));

    long killAt = System.nanoTime();
    leader.kill();
    NodeProcess next = awaitReadyLeader(replicas, Optional.of(leader));
    long readyMs = (System.nanoTime() - killAt) / 1_000_000;
    await("counterparty reconnected to the new leader", () -> connected(cp, clusterId));
    long reconnectMs = (System.nanoTime() - killAt) / 1_000_000;
    System.out.printf("failover: kill -> new leader ready %d ms, kill -> counterparty reconnected %d ms%n", readyMs, reconnectMs);
    assertThat(next.ok("GET", "/v1/info", null).get("node_id").asText()).isEqualTo(clusterId);

    // The invoice created before the kill is paid after it, and payments go on both ways.
    paidHashes.add(payInvoice(cp, next, before.get("bolt11").asText(), before.get("payment_hash").asText()));
    for (int i = 0; i < 2; i++) {
      paidHashes.add(pay(cp, next, 30_000 + i));
      paidHashes.add(pay(next, cp, 40_000 + i));
    }

    // Ledger: every acknowledged payment present, feed contiguous, no channel closed on either side.
    for (NodeProcess side : List.of(next, cp)) {
      JsonNode events = side.ok("GET", "/v1/events?after=0&limit=1000", null).get("events");
      Set<Long> seqs = new HashSet<>();
      long expect = 1;
      Set<String> hashes = new HashSet<>();
      for (JsonNode e : events) {
        assertThat(e.get("seq").asLong()).as(side.name + " feed has no gap").isEqualTo(expect++);
        assertThat(seqs.add(e.get("seq").asLong())).isTrue();
        assertThat(e.get("type").asText()).as(side.name + " no channel closed").isNotEqualTo("channel_closed");
        if (e.has("payment_hash")) {
          assertThat(hashes.add(e.get("type").asText() + e.get("payment_hash").asText())).as("no duplicate credit").isTrue();
        }
      }
      for (String h : paidHashes) {
        assertThat(hashes.stream().anyMatch(x -> x.endsWith(h))).as(side.name + " ledger has " + h).isTrue();
      }
    }
    JsonNode a = channel(next);
    JsonNode b = channel(cp);
    assertThat(a.get("local_balance_msat").asLong()).isEqualTo(b.get("remote_balance_msat").asLong());
    assertThat(a.get("remote_balance_msat").asLong()).isEqualTo(b.get("local_balance_msat").asLong());
  }

  /** payee creates an invoice, payer pays it; waits for SUCCEEDED on both ledgers; returns the hash. */
  private String pay(NodeProcess payer, NodeProcess payee, long msat) throws Exception {
    JsonNode inv = payee.ok("POST", "/v1/invoices", Map.of("amount_msat", msat, "description", "test " + msat));
    return payInvoice(payer, payee, inv.get("bolt11").asText(), inv.get("payment_hash").asText());
  }

  private String payInvoice(NodeProcess payer, NodeProcess payee, String bolt11, String hash) throws Exception {
    payer.ok("POST", "/v1/payments", Map.of("invoice", bolt11));
    await("payment " + hash + " settled", () -> status(payer, hash, "outbound").equals("succeeded")
        && status(payee, hash, "inbound").equals("succeeded"));
    return hash;
  }

  private static String status(NodeProcess p, String hash, String direction) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/payments/" + hash + "?direction=" + direction, null);
    if (r.status() == 200 && r.body().get("status").asText().equals("failed")) {
      throw new AssertionError(p.name + ": payment " + hash + " failed: " + r.body());
    }
    return r.status() == 200 ? r.body().get("status").asText() : "unknown";
  }

  private static boolean active(NodeProcess p) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/channels", null);
    return r.status() == 200 && r.body().get("channels").size() == 1
        && r.body().get("channels").get(0).get("state").asText().equals("active");
  }

  private static JsonNode channel(NodeProcess p) throws Exception {
    return p.ok("GET", "/v1/channels", null).get("channels").get(0);
  }

  private static boolean connected(NodeProcess p, String nodeId) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/peers", null);
    if (r.status() != 200) return false;
    for (JsonNode peer : r.body().get("peers")) {
      if (peer.get("node_id").asText().equals(nodeId) && peer.get("connected").asBoolean()) return true;
    }
    return false;
  }

  private NodeProcess awaitReadyLeader(List<NodeProcess> replicas, Optional<NodeProcess> not) {
    NodeProcess[] found = new NodeProcess[1];
    await("a ready leader", () -> {
      for (NodeProcess r : replicas) {
        if (not.isPresent() && r == not.get()) continue;
        if (r.alive() && r.ready()) {
          found[0] = r;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static void await(String what, java.util.concurrent.Callable<Boolean> condition) {
    Awaitility.await(what).atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
        .until(condition);
  }
}
