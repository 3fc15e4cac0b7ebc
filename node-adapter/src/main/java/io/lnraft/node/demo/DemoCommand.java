package io.lnraft.node.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lnraft.config.ApiToken;
import io.lnraft.config.BitcoindSettings;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft demo}: the whole product on loopback in one command. It starts the chain
 * simulator, a three-replica lnraft node and a counterparty node (the same program on a
 * one-replica group, its own seed), opens a channel, streams payments both ways through the REST
 * API, kills the leader with SIGKILL (--kills times), keeps paying, and reports: a live view, a
 * timeline, a summary, the same as JSON, and a latency-over-time PNG with the kills marked.
 * Everything it started is stopped and deleted at the end, also on Ctrl-C (unless --keep).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the replicated Lightning node on loopback: pay both ways, kill the leader, keep paying.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--kills", defaultValue = "1", description = "leader kills (SIGKILL) during the run (default ${DEFAULT-VALUE})")
  int kills;

  @Option(names = "--duration", defaultValue = "60", description = "seconds of payments (default ${DEFAULT-VALUE})")
  int durationSeconds;

  @Option(names = "--json", description = "also write the summary as JSON to this file")
  Path jsonFile;

  @Option(names = "--png", description = "latency-over-time plot (default: demo-latency.png in the current directory)")
  Path pngFile;

  @Option(names = "--dir", description = "working directory (default: a new temporary directory, deleted at the end)")
  Path dir;

  @Option(names = "--keep", description = "keep everything running after the run (Ctrl-C stops it) and keep the directory")
  boolean keep;

  private final List<NodeProcessLauncher> processes = new CopyOnWriteArrayList<>();
  private ChainSimulator sim;
  private final long t0 = System.nanoTime();
  private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());

  record Payment(double startS, double latencyMs, String direction, boolean ok) {}

  record Failover(int kill, String killed, String newLeader, long readyMs, long reconnectMs, long firstPaymentMs) {}

  @Override
  public Integer call() throws Exception {
    boolean tempDir = dir == null;
    Path base = tempDir ? Files.createTempDirectory("lnraft-demo-") : Files.createDirectories(dir);
    AtomicBoolean cleaned = new AtomicBoolean();
    Runnable cleanup = () -> {
      if (!cleaned.compareAndSet(false, true)) return;
      processes.forEach(NodeProcessLauncher::stop);
      if (sim != null) sim.close();
      if (tempDir && !keep) deleteTree(base);
    };
    Runtime.getRuntime().addShutdownHook(new Thread(cleanup, "lnraft-demo-cleanup"));
    try {
      return run(base);
    } finally {
      if (!keep) cleanup.run();
    }
  }

  private int run(Path base) throws Exception {
    // Chain: the simulator stands in for bitcoind; the nodes only speak bitcoind's JSON-RPC to it.
    String rpcPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    Path pw = base.resolve("bitcoind-password");
    Files.writeString(pw, rpcPassword);
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("lnraft", rpcPassword)));
    BitcoindRpcClient rpc = new BitcoindRpcClient(sim.clientConfig());
    BitcoindSettings btc = BitcoindSettings.password(sim.rpcUri(), "lnraft", pw);
    event("chain simulator on " + sim.rpcUri() + " (regtest, height " + rpc.getBlockCount() + ")");

    LocalClusterLayout cluster = LocalClusterLayout.generate(base.resolve("cluster"), 3,
        LocalClusterLayout.Options.defaults().withBitcoind(btc));
    LocalClusterLayout peer = LocalClusterLayout.generate(base.resolve("counterparty"), 1,
        LocalClusterLayout.Options.defaults().withClusterId("counterparty").withAllowUnsafeGroupSize(true).withBitcoind(btc));
    List<NodeProcessLauncher> replicas = new ArrayList<>();
    List<ApiClient> apis = new ArrayList<>();
    String clusterToken = ApiToken.read(cluster.apiTokenFile());
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = cluster.configs().get(i);
      replicas.add(new NodeProcessLauncher(c.replicaId(), cluster.configFiles().get(i), List.of(), base));
      apis.add(new ApiClient(c.self().api().toString(), clusterToken));
    }
    ReplicaConfig pc = peer.configs().get(0);
    NodeProcessLauncher cpProc = new NodeProcessLauncher("counterparty", peer.configFiles().get(0), List.of(), base);
    ApiClient cp = new ApiClient(pc.self().api().toString(), ApiToken.read(peer.apiTokenFile()));
    processes.addAll(replicas);
    processes.add(cpProc);
    System.out.println("starting 3 replicas and a counterparty (logs in " + base + ") ...");
    for (NodeProcessLauncher p : processes) p.start();

    int leader = awaitLeader(apis, replicas, -1, 60);
    event("r" + (leader + 1) + " is the ready leader");
    await(cp::ready, 60, "counterparty ready");
    String clusterId = apis.get(leader).ok("GET", "/v1/info", null).get("node_id").asText();
    String cpId = cp.ok("GET", "/v1/info", null).get("node_id").asText();
    event("cluster node " + clusterId + ", counterparty " + cpId);
    List<String> nodeIdPerLeader = new ArrayList<>(List.of(clusterId));

    apis.get(leader).ok("POST", "/v1/peers", Map.of("node_id", cpId, "host", pc.self().peer().host(), "port", pc.self().peer().port()));
    apis.get(leader).ok("POST", "/v1/channels", Map.of("node_id", cpId, "capacity_sat", 2_000_000, "push_msat", 1_000_000_000L));
    await(() -> safe(() -> !rpc.getRawMempool().isEmpty()), 30, "funding transaction broadcast");
    rpc.generateToAddress(6, rpc.getNewAddress());
    int l0 = leader;
    await(() -> active(apis.get(l0)) && active(cp), 60, "channel active");
    event("channel of 2,000,000 sat open (1,000,000 sat pushed to the counterparty)");

    // Payments both ways, one at a time, through whichever replica leads.
    AtomicInteger current = new AtomicInteger(leader);
    List<Payment> payments = new CopyOnWriteArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    double payStart = seconds();
    Thread payer = new Thread(() -> {
      boolean toCounterparty = true;
      long n = 0;
      while (running.get()) {
        double s = seconds();
        long t = System.nanoTime();
        boolean ok;
        try {
          ApiClient node = apis.get(current.get());
          ok = toCounterparty ? pay(node, cp, 1_000 + (n % 1000)) : pay(cp, node, 2_000 + (n % 1000));
        } catch (Exception e) {
          ok = false;
        }
        payments.add(new Payment(s - payStart, (System.nanoTime() - t) / 1e6, toCounterparty ? "out" : "in", ok));
        if (!ok) sleep(200); // the leader is changing: give it a moment
        toCounterparty = !toCounterparty;
        n++;
      }
    }, "demo-payer");
    payer.start();

    List<Failover> failovers = new ArrayList<>();
    Thread live = new Thread(() -> {
      while (running.get()) {
        sleep(2000);
        long ok = payments.stream().filter(Payment::ok).count();
        long failed = payments.size() - ok;
        double rate = ok / Math.max(1e-9, seconds() - payStart);
        Optional<Payment> last = payments.isEmpty() ? Optional.empty() : Optional.of(payments.get(payments.size() - 1));
        String commit = "";
        try {
          JsonNode c = apis.get(current.get()).ok("GET", "/v1/info", null);
          commit = String.format(" | epoch %d | commit p50 %.1f ms", c.get("epoch").asLong(),
              c.get("commits").get("latency_p50_us").asLong() / 1000.0);
        } catch (Exception ignored) {
          commit = " | leader changing";
        }
        System.out.printf("[%5.1fs] leader r%d%s | payments %d ok, %d failed | %.1f/s | last %s%n", seconds(),
            current.get() + 1, commit, ok, failed, rate, last.map(p -> String.format("%.0f ms", p.latencyMs())).orElse("-"));
      }
    }, "demo-live");
    live.setDaemon(true);
    live.start();

    for (int k = 1; k <= kills; k++) {
      sleepUntil(payStart + durationSeconds * (double) k / (kills + 1));
      int victim = current.get();
      commitStats.add(stats(apis.get(victim)));
      double killAt = seconds();
      replicas.get(victim).kill();
      event("kill " + k + ": SIGKILL to the leader r" + (victim + 1));
      int next = awaitLeader(apis, replicas, victim, 30);
      long readyMs = Math.round((seconds() - killAt) * 1000);
      current.set(next);
      event("kill " + k + ": r" + (next + 1) + " is the ready leader (" + readyMs + " ms after the kill)");
      String id = apis.get(next).ok("GET", "/v1/info", null).get("node_id").asText();
      nodeIdPerLeader.add(id);
      await(() -> connected(cp, clusterId), 30, "counterparty reconnected");
      long reconnectMs = Math.round((seconds() - killAt) * 1000);
      event("kill " + k + ": the counterparty is connected to the new leader (" + reconnectMs + " ms after the kill)");
      await(() -> payments.stream().anyMatch(p -> p.ok() && p.startS() + payStart > killAt), 60, "a payment after the kill");
      long firstMs = Math.round((payments.stream().filter(p -> p.ok() && p.startS() + payStart > killAt)
          .mapToDouble(p -> p.startS() + payStart + p.latencyMs() / 1000).min().orElse(killAt) - killAt) * 1000);
      event("kill " + k + ": first payment after the kill settled " + firstMs + " ms after it");
      failovers.add(new Failover(k, "r" + (victim + 1), "r" + (next + 1), readyMs, reconnectMs, firstMs));
      replicas.get(victim).start(); // back as a follower: it catches up from the log or a snapshot
      event("kill " + k + ": r" + (victim + 1) + " restarted as a follower");
    }
    sleepUntil(payStart + durationSeconds);
    running.set(false);
    payer.join(60_000);
    event("payments stopped");
    commitStats.add(stats(apis.get(current.get())));

    // Outcome checks from both ledgers.
    int forceCloses = 0;
    for (ApiClient side : List.of(apis.get(current.get()), cp)) {
      for (JsonNode e : side.ok("GET", "/v1/events?after=0&limit=1000", null).get("events")) {
        if (e.get("type").asText().equals("channel_closed")) forceCloses++;
      }
    }
    JsonNode ch = apis.get(current.get()).ok("GET", "/v1/channels", null).get("channels");
    JsonNode chCp = cp.ok("GET", "/v1/channels", null).get("channels");
    boolean balancesAgree = ch.size() == 1 && chCp.size() == 1
        && ch.get(0).get("local_balance_msat").asLong() == chCp.get(0).get("remote_balance_msat").asLong();
    double lastKill = failovers.isEmpty() ? 0 : failovers.get(failovers.size() - 1).readyMs() / 1000.0;
    long ok = payments.stream().filter(Payment::ok).count();
    long failed = payments.size() - ok;
    long after = failovers.isEmpty() ? ok : payments.stream().filter(Payment::ok).filter(p -> p.startS() > lastKillStart(failovers, payStart)).count();

    System.out.println();
    System.out.println("Timeline");
    timeline.forEach(line -> System.out.println("  " + line));
    System.out.println();
    System.out.println("Summary");
    System.out.printf("  payments: %d succeeded (%d out, %d in), %d failed, %d after the last kill%n", ok,
        payments.stream().filter(p -> p.ok() && p.direction().equals("out")).count(),
        payments.stream().filter(p -> p.ok() && p.direction().equals("in")).count(), failed, after);
    for (Failover f : failovers) {
      System.out.printf("  kill %d (%s -> %s): new leader ready %d ms, peer reconnected %d ms, first payment %d ms%n",
          f.kill(), f.killed(), f.newLeader(), f.readyMs(), f.reconnectMs(), f.firstPaymentMs());
    }
    double[] lat = payments.stream().filter(Payment::ok).mapToDouble(Payment::latencyMs).sorted().toArray();
    System.out.printf("  payment latency (API call to settled on both sides): p50 %.0f ms, p99 %.0f ms%n", pct(lat, 0.5), pct(lat, 0.99));
    JsonNode lastCommit = commitStats.get(commitStats.size() - 1);
    System.out.printf("  replicated commit latency (leader): p50 %.2f ms, p99 %.2f ms over %d commits%n",
        lastCommit.get("latency_p50_us").asLong() / 1000.0, lastCommit.get("latency_p99_us").asLong() / 1000.0,
        lastCommit.get("count").asLong());
    System.out.printf("  channel closes: %d; balances agree on both sides: %s; node id per leader: %s%n", forceCloses,
        balancesAgree, nodeIdPerLeader.stream().distinct().count() == 1 ? "always " + clusterId : nodeIdPerLeader);

    ObjectNode json = ApiClient.JSON.createObjectNode();
    json.put("payments_sent", ok);
    json.put("payments_failed", failed);
    json.put("payments_after_last_kill", after);
    json.put("force_closes", forceCloses);
    json.put("balances_agree", balancesAgree);
    ArrayNode fo = json.putArray("failover_ms");
    for (Failover f : failovers) {
      fo.addObject().put("kill", f.kill()).put("killed", f.killed()).put("new_leader", f.newLeader())
          .put("new_leader_ready", f.readyMs()).put("peer_reconnected", f.reconnectMs()).put("first_payment", f.firstPaymentMs());
    }
    json.putObject("commit_latency_ms").put("p50", lastCommit.get("latency_p50_us").asLong() / 1000.0)
        .put("p99", lastCommit.get("latency_p99_us").asLong() / 1000.0);
    json.putObject("payment_latency_ms").put("p50", pct(lat, 0.5)).put("p99", pct(lat, 0.99));
    ArrayNode ids = json.putArray("node_id_per_leader");
    nodeIdPerLeader.forEach(ids::add);
    if (jsonFile != null) {
      ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValue(jsonFile.toFile(), json);
      System.out.println("  JSON summary: " + jsonFile.toAbsolutePath());
    }
    Path png = pngFile != null ? pngFile : Path.of("demo-latency.png");
    LatencyPlot.write(png, payments.stream().filter(Payment::ok).map(p -> new double[] {p.startS(), p.latencyMs()}).toList(),
        failovers.stream().map(f -> lastKillStartOf(f, payStart)).toList());
    System.out.println("  latency plot: " + png.toAbsolutePath());
    if (keep) {
      System.out.println("everything keeps running in " + base + "; cluster API e.g. http://" + cluster.configs().get(current.get()).self().api()
          + " (token in " + cluster.apiTokenFile() + "). Ctrl-C stops it.");
      Thread.currentThread().join();
    }
    boolean good = forceCloses == 0 && balancesAgree && (kills == 0 || after > 0)
        && nodeIdPerLeader.stream().distinct().count() == 1;
    return good ? 0 : 1;
  }

  private final List<JsonNode> commitStats = new ArrayList<>();
  private final List<Double> killStarts = new ArrayList<>();

  private double lastKillStart(List<Failover> failovers, double payStart) {
    return killStarts.isEmpty() ? 0 : killStarts.get(killStarts.size() - 1) - payStart;
  }

  private double lastKillStartOf(Failover f, double payStart) {
    return killStarts.size() >= f.kill() ? killStarts.get(f.kill() - 1) - payStart : 0;
  }

  private void event(String what) {
    if (what.contains("SIGKILL")) killStarts.add(seconds());
    String line = String.format("%7.2fs  %s", seconds(), what);
    timeline.add(line);
    System.out.println(line);
  }

  private static JsonNode stats(ApiClient api) {
    try {
      return api.ok("GET", "/v1/info", null).get("commits");
    } catch (Exception e) {
      return ApiClient.JSON.createObjectNode().put("count", 0).put("latency_p50_us", 0).put("latency_p99_us", 0);
    }
  }

  /** payee makes an invoice, payer pays it; true once it is SUCCEEDED on both sides (30 s at most). */
  private static boolean pay(ApiClient payer, ApiClient payee, long msat) throws Exception {
    JsonNode inv = payee.ok("POST", "/v1/invoices", Map.of("amount_msat", msat, "description", "demo"));
    String hash = inv.get("payment_hash").asText();
    payer.ok("POST", "/v1/payments", Map.of("invoice", inv.get("bolt11").asText()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      String out = status(payer, hash, "outbound");
      if (out.equals("failed")) return false;
      if (out.equals("succeeded") && status(payee, hash, "inbound").equals("succeeded")) return true;
      Thread.sleep(5);
    }
    return false;
  }

  private static String status(ApiClient api, String hash, String direction) throws Exception {
    ApiClient.Reply r = api.call("GET", "/v1/payments/" + hash + "?direction=" + direction, null);
    return r.status() == 200 ? r.body().get("status").asText() : "unknown";
  }

  private static boolean active(ApiClient api) {
    return safe(() -> {
      JsonNode c = api.ok("GET", "/v1/channels", null).get("channels");
      return c.size() == 1 && c.get(0).get("state").asText().equals("active");
    });
  }

  private static boolean connected(ApiClient api, String nodeId) {
    return safe(() -> {
      for (JsonNode p : api.ok("GET", "/v1/peers", null).get("peers")) {
        if (p.get("node_id").asText().equals(nodeId) && p.get("connected").asBoolean()) return true;
      }
      return false;
    });
  }

  private static int awaitLeader(List<ApiClient> apis, List<NodeProcessLauncher> procs, int excluded, int seconds) {
    int[] found = {-1};
    await(() -> {
      for (int i = 0; i < apis.size(); i++) {
        if (i != excluded && procs.get(i).alive() && apis.get(i).ready()) {
          found[0] = i;
          return true;
        }
      }
      return false;
    }, seconds, "a ready leader");
    return found[0];
  }

  interface Check {
    boolean get() throws Exception;
  }

  private static boolean safe(Check c) {
    try {
      return c.get();
    } catch (Exception e) {
      return false;
    }
  }

  private static void await(BooleanSupplier condition, int seconds, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) return;
      sleep(50);
    }
    throw new IllegalStateException("timed out after " + seconds + " s waiting for: " + what);
  }

  private double seconds() {
    return (System.nanoTime() - t0) / 1e9;
  }

  private void sleepUntil(double atSeconds) {
    while (seconds() < atSeconds) sleep(Math.max(1, (long) ((atSeconds - seconds()) * 1000)));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static double pct(double[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * q))];
  }

  private static void deleteTree(Path p) {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (Exception ignored) {
      // best effort
    }
  }
}
