package io.lnraft.node.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.StoreMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeerId;
import org.awaitility.Awaitility;

/**
 * The end-to-end fixture, in separate processes on loopback: the chain simulator, a three-replica
 * lnraft node, a counterparty (the same program on a one-replica group) and one active channel
 * between them, half of it pushed to the counterparty so both sides can pay. Helpers pay through
 * the REST API, find the ready leader, and check the ledgers. Every wait is bounded; {@link #close}
 * stops every process (the JUnit temp dir removes the files).
 */
final class NodeCluster implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(60);

  final Path dir;
  final ChainSimulator sim;
  final BitcoindRpcClient rpc;
  final LocalClusterLayout layout;
  final List<NodeProcess> replicas = new ArrayList<>();
  final NodeProcess cp;
  final ReplicaConfig cpConfig;
  String clusterId;
  String cpId;
  /** The cluster's local balance right after the channel opened (msat). */
  long openingLocalMsat;
  private RaftStoreClient store;
  private String testName = "e2e";
  final Placement placement;

  private NodeCluster(Path dir) throws Exception {
    this(dir, Placement.LOOPBACK);
  }

  /** Every process on loopback, or, with another placement, each replica on its own address (and network). */
  private NodeCluster(Path dir, Placement placement) throws Exception {
    this.dir = dir;
    Path pw = dir.resolve("rpc-password");
    Files.writeString(pw, "sim-password");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("lnraft", "sim-password")));
    rpc = new BitcoindRpcClient(sim.clientConfig());
    this.placement = placement;
    String simUrl = placement.chainUrl(sim.address()).orElse(sim.rpcUri().toString());
    List<String> btc = List.of("--bitcoind-url", simUrl, "--bitcoind-user", "lnraft",
        "--bitcoind-password-file", pw.toString());
    layout = placement.place(LocalClusterLayout.generate(dir.resolve("cluster"), 3, placement.clusterOptions()));
    LocalClusterLayout peer = LocalClusterLayout.generate(dir.resolve("counterparty"), 1,
        LocalClusterLayout.Options.defaults().withClusterId("counterparty").withAllowUnsafeGroupSize(true)
            .withHost(placement.counterpartyHost()));
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = layout.configs().get(i);
      NodeProcess p = new NodeProcess(c.replicaId(), layout.configFiles().get(i), c.self().api().toString(),
          layout.apiTokenFile(), btc, dir);
      p.commandPrefix = placement.commandPrefix(i);
      replicas.add(p);
    }
    cpConfig = peer.configs().get(0);
    cp = new NodeProcess("counterparty", peer.configFiles().get(0), cpConfig.self().api().toString(), peer.apiTokenFile(),
        btc, dir);
  }

  /** Starts everything and opens the channel; closes what it started if any step fails. */
  static NodeCluster startWithChannel(Path dir, String testName) throws Exception {
    return startWithChannel(dir, testName, Placement.LOOPBACK);
  }

  /** {@link #startWithChannel(Path, String)} with the replicas where {@code placement} puts them. */
  static NodeCluster startWithChannel(Path dir, String testName, Placement placement) throws Exception {
    NodeCluster c = new NodeCluster(dir, placement);
    c.testName = testName;
    try {
      c.openChannel();
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  /**
   * Starts every process and waits for a ready leader and a ready counterparty, with no peer
   * connection and no channel between them; closes what it started if any step fails.
   */
  static NodeCluster startWithoutChannel(Path dir, String testName) throws Exception {
    NodeCluster c = new NodeCluster(dir);
    c.testName = testName;
    try {
      c.startAll();
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  private NodeProcess startAll() throws Exception {
    for (NodeProcess p : all()) p.start();
    NodeProcess leader = awaitReadyLeader(Optional.empty());
    await("counterparty ready", cp::ready);
    clusterId = leader.ok("GET", "/v1/info", null).get("node_id").asText();
    cpId = cp.ok("GET", "/v1/info", null).get("node_id").asText();
    for (NodeProcess r : replicas) {
      assertThat(r.ok("GET", "/v1/info", null).get("node_id").asText()).as("one node id on every replica").isEqualTo(clusterId);
    }
    return leader;
  }

  private void openChannel() throws Exception {
    NodeProcess leader = startAll();
    // The cluster dials the counterparty (kept in the replicated kv, so every future leader dials it too).
    leader.ok("POST", "/v1/peers", Map.of("node_id", cpId, "host", cpConfig.self().peer().host(), "port", cpConfig.self().peer().port()));
    leader.ok("POST", "/v1/channels", Map.of("node_id", cpId, "capacity_sat", 1_000_000, "push_msat", 500_000_000));
    await("funding broadcast", () -> !rpc.getRawMempool().isEmpty());
    rpc.generateToAddress(6, rpc.getNewAddress());
    await("channel active on both sides", () -> active(leader) && active(cp));
    openingLocalMsat = channel(leader).get("local_balance_msat").asLong();
  }

  List<NodeProcess> all() {
    List<NodeProcess> l = new ArrayList<>(replicas);
    l.add(cp);
    return l;
  }

  // ---- leaders ----

  NodeProcess awaitReadyLeader(Optional<NodeProcess> not) {
    NodeProcess[] found = new NodeProcess[1];
    await("a ready leader" + not.map(n -> " other than " + n.name).orElse(""), () -> {
      found[0] = readyLeader(not).orElse(null);
      return found[0] != null;
    });
    return found[0];
  }

  Optional<NodeProcess> readyLeader(Optional<NodeProcess> not) {
    for (NodeProcess r : replicas) {
      if (not.isPresent() && r == not.get()) continue;
      if (r.alive() && r.ready()) return Optional.of(r);
    }
    return Optional.empty();
  }

  /** A Raft client of the cluster in this JVM (admin info, writer epoch). */
  synchronized RaftStoreClient store() {
    if (store == null) {
      ReplicaConfig c = layout.configs().get(0);
      store = new RaftStoreClient(RaftGroups.group(c), RaftTuning.properties(c.raft(), c.snapshot(), Map.of()),
          Duration.ofSeconds(5), StoreMetrics.inMemory());
    }
    return store;
  }

  /** Waits until replica {@code r} has applied at least {@code index} (a restarted replica caught up). */
  void awaitApplied(NodeProcess r, long index) {
    await(r.name + " applied index " + index, () -> applied(r) >= index);
  }

  long applied(NodeProcess r) throws Exception {
    return store().raftClient().getGroupManagementApi(RaftPeerId.valueOf(r.name))
        .info(RaftGroups.group(layout.configs().get(0)).getGroupId()).getLogInfoProto().getApplied().getIndex();
  }

  long committed(NodeProcess r) throws Exception {
    return store().raftClient().getGroupManagementApi(RaftPeerId.valueOf(r.name))
        .info(RaftGroups.group(layout.configs().get(0)).getGroupId()).getLogInfoProto().getCommitted().getIndex();
  }

  // ---- payments ----

  /** payee creates an invoice, payer pays it; waits for SUCCEEDED on both ledgers; returns the hash. */
  String pay(NodeProcess payer, NodeProcess payee, long msat) throws Exception {
    JsonNode inv = payee.ok("POST", "/v1/invoices", Map.of("amount_msat", msat, "description", "test " + msat));
    return payInvoice(payer, payee, inv.get("bolt11").asText(), inv.get("payment_hash").asText());
  }

  String payInvoice(NodeProcess payer, NodeProcess payee, String bolt11, String hash) throws Exception {
    payer.ok("POST", "/v1/payments", Map.of("invoice", bolt11));
    await("payment " + hash + " settled", () -> {
      String out = status(payer, hash, "outbound");
      if (out.equals("failed")) throw new AssertionError(payer.name + ": payment " + hash + " failed");
      return out.equals("succeeded") && status(payee, hash, "inbound").equals("succeeded");
    }, false);
    return hash;
  }

  /** The payment's status in p's ledger: pending, succeeded, failed, or "unknown" (absent or unreachable). */
  static String status(NodeProcess p, String hash, String direction) {
    try {
      NodeProcess.Reply r = p.call("GET", "/v1/payments/" + hash + "?direction=" + direction, null);
      return r.status() == 200 ? r.body().get("status").asText() : r.status() == 404 ? "absent" : "unknown";
    } catch (Exception e) {
      return "unknown";
    }
  }

  // ---- channel and peers ----

  static boolean active(NodeProcess p) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/channels", null);
    return r.status() == 200 && r.body().get("channels").size() == 1
        && r.body().get("channels").get(0).get("state").asText().equals("active");
  }

  static JsonNode channel(NodeProcess p) throws Exception {
    JsonNode chans = p.ok("GET", "/v1/channels", null).get("channels");
    assertThat(chans.size()).as(p.name + " has exactly one channel").isEqualTo(1);
    return chans.get(0);
  }

  static boolean connected(NodeProcess p, String nodeId) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/peers", null);
    if (r.status() != 200) return false;
    for (JsonNode peer : r.body().get("peers")) {
      if (peer.get("node_id").asText().equals(nodeId) && peer.get("connected").asBoolean()) return true;
    }
    return false;
  }

  /** Both sides see the same split of the channel, and the cluster's side moved by exactly {@code netInMsat}. */
  void assertBalances(NodeProcess leader, long netInMsat) throws Exception {
    JsonNode a = channel(leader);
    JsonNode b = channel(cp);
    assertThat(a.get("state").asText()).as("cluster channel state").isEqualTo("active");
    assertThat(b.get("state").asText()).as("counterparty channel state").isEqualTo("active");
    assertThat(a.get("local_balance_msat").asLong()).as("cluster local = counterparty remote")
        .isEqualTo(b.get("remote_balance_msat").asLong());
    assertThat(a.get("remote_balance_msat").asLong()).as("cluster remote = counterparty local")
        .isEqualTo(b.get("local_balance_msat").asLong());
    assertThat(a.get("local_balance_msat").asLong()).as("cluster balance = opening + received - sent")
        .isEqualTo(openingLocalMsat + netInMsat);
  }

  // ---- ledgers ----

  /** A payment the test expects in the ledgers: who paid, how much. */
  record Expected(String hash, boolean fromCluster, long msat) {}

  /**
   * The whole event feed of p (paged), checked: seq 1, 2, 3... with no gap and no repeat, no
   * channel_closed, no (type, hash) twice, never both payment_sent and payment_failed for a hash.
   * Returns type -> hashes.
   */
  static Map<String, Map<String, JsonNode>> checkFeed(NodeProcess p) throws Exception {
    Map<String, Map<String, JsonNode>> byType = new HashMap<>();
    long after = 0;
    long expect = 1;
    while (true) {
      JsonNode page = p.ok("GET", "/v1/events?after=" + after + "&limit=1000", null);
      JsonNode events = page.get("events");
      for (JsonNode e : events) {
        assertThat(e.get("seq").asLong()).as(p.name + " feed has no gap and no repeat").isEqualTo(expect++);
        String type = e.get("type").asText();
        assertThat(type).as(p.name + ": no channel closed (" + e + ")").isNotEqualTo("channel_closed");
        if (e.has("payment_hash")) {
          String h = e.get("payment_hash").asText();
          JsonNode prev = byType.computeIfAbsent(type, t -> new HashMap<>()).put(h, e);
          assertThat(prev).as(p.name + ": one " + type + " event per payment, " + h).isNull();
        }
      }
      if (events.isEmpty()) break;
      after = page.get("next_after").asLong();
    }
    for (String h : byType.getOrDefault("payment_sent", Map.of()).keySet()) {
      assertThat(byType.getOrDefault("payment_failed", Map.of())).as(p.name + ": " + h + " both sent and failed")
          .doesNotContainKey(h);
    }
    return byType;
  }

  /** Every expected payment is final and succeeded once on both sides, with its amount, in both feeds. */
  void assertLedgers(NodeProcess leader, Collection<Expected> succeeded) throws Exception {
    Map<String, Map<String, JsonNode>> mine = checkFeed(leader);
    Map<String, Map<String, JsonNode>> theirs = checkFeed(cp);
    for (Expected x : succeeded) {
      Map<String, Map<String, JsonNode>> payer = x.fromCluster() ? mine : theirs;
      Map<String, Map<String, JsonNode>> payee = x.fromCluster() ? theirs : mine;
      JsonNode sent = payer.getOrDefault("payment_sent", Map.of()).get(x.hash());
      JsonNode recv = payee.getOrDefault("payment_received", Map.of()).get(x.hash());
      assertThat(sent).as("payer ledger has payment_sent " + x).isNotNull();
      assertThat(recv).as("payee ledger has payment_received " + x).isNotNull();
      assertThat(sent.get("amount_msat").asLong()).as("sent amount of " + x).isEqualTo(x.msat());
      assertThat(recv.get("amount_msat").asLong()).as("received amount of " + x).isEqualTo(x.msat());
    }
  }

  // ---- waits ----

  static void await(String what, Callable<Boolean> condition) {
    await(what, condition, true);
  }

  /** Polls every 100 ms for at most {@link #WAIT}; an AssertionError from the condition fails at once. */
  static void await(String what, Callable<Boolean> condition, boolean ignoreExceptions) {
    var a = Awaitility.await(what).atMost(WAIT.toMillis(), TimeUnit.MILLISECONDS).pollInterval(Duration.ofMillis(100));
    if (ignoreExceptions) a = a.ignoreExceptionsMatching(e -> !(e instanceof AssertionError));
    a.until(condition);
  }

  static long msSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Override
  public void close() {
    for (NodeProcess p : all()) p.close();
    if (store != null) store.close();
    sim.close();
    placement.close();
    keepLogs();
  }

  /** Copies the process logs to target/e2e-logs/TEST (build output) before the temp dir goes. */
  private void keepLogs() {
    try {
      Path to = Files.createDirectories(Path.of("target", "e2e-logs", testName));
      try (var logs = Files.newDirectoryStream(dir, "*.log")) {
        for (Path l : logs) Files.copy(l, to.resolve(l.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (Exception e) {
      System.out.println("could not keep the logs of " + testName + ": " + e);
    }
  }
}
