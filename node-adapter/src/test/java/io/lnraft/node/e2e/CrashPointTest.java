package io.lnraft.node.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import io.lnraft.node.gate.FaultInjection;
import io.lnraft.node.gate.FaultInjection.CrashSpec;
import io.lnraft.node.gate.FaultInjection.Point;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, the crash-point test: the leader is crashed ({@code Runtime.halt}, as SIGKILL) at chosen
 * instants of the gated commit cycle — before the Raft commit, after the commit but before any
 * byte of it is released, after the release — at several commit-cycle numbers spread over the
 * commits of payments flowing both ways; after each crash the next leader must start (no refusal
 * to start), no channel may close on either side (no channel_closed event, channel active, no
 * transaction spending the funding outpoint in the simulator's mempool or blocks), the payment in
 * flight must end the same way on both ledgers with the invoice's amount, and the balances must be
 * what the succeeded payments say.
 *
 * <p>How a crash is armed (see {@link FaultInjection}): a replica process is started with {@code
 * -Dlnraft.fault.crash=<point>:<N>}; only the leader runs commit cycles, so it crashes at its N-th
 * cycle once it leads. The sweep is rolling and needs one restart per crash: a crashed replica is
 * restarted at once, armed with the next crash of the plan; whenever the ready leader is unarmed
 * while crashes of the plan are still to happen, it is stopped gracefully (SIGTERM) and restarted
 * armed with the next one, which hands leadership to another replica. Payments are driven
 * alternately in both directions throughout, so each crash lands on whichever commit of a payment
 * (or of a leader's start) its cycle number hits; the table prints where.
 *
 * <p>CI: 3 points x cycles {@code lnraft.crashpoints.cycles} (default 3,6,9) = 9 crashes.
 * {@code -Dlnraft.crashpoints.long=true}: cycles 1..12 (36 crashes).
 */
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class CrashPointTest {
  private static final boolean LONG = Boolean.getBoolean("lnraft.crashpoints.long");
  private static final List<String> START_FAILURE_PATTERNS = List.of("could not start its node", "cannot be read with its monitors",
      "InvalidSerializedData", "refusing to start", "does not apply to its monitor", "cannot be decoded");
  private static final List<String> STOP_PATTERNS = List.of("commit refused", "stopping this node instance");

  @TempDir Path dir;
  private final List<NodeProcess> procs = new ArrayList<>();
  private ChainSimulator sim;
  private BitcoindRpcClient rpc;
  private List<NodeProcess> replicas;
  private NodeProcess cp;
  private String clusterId;

  private final Deque<CrashSpec> plan = new ArrayDeque<>();
  private final Map<NodeProcess, CrashSpec> armed = new HashMap<>();
  private final List<Row> rows = new ArrayList<>();
  private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
  private final java.util.Set<NodeProcess> restarting = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.ExecutorService restarter = java.util.concurrent.Executors.newSingleThreadExecutor();
  private Attempt current;
  private int handovers;
  private Sha256Hash fundingTxid;
  private int chainHeightAfterOpen;
  private long expectedClusterMsat;

  /** One injected crash. */
  private static final class Row {
    final CrashSpec spec;
    final String replica;
    final String lastCycle;
    final long crashedAt = System.nanoTime();
    final Attempt payment;
    long readyMs = -1;
    Boolean restoreOk;
    int forceCloses = -1;

    Row(CrashSpec spec, String replica, String lastCycle, Attempt payment) {
      this.spec = spec;
      this.replica = replica;
      this.lastCycle = lastCycle;
      this.payment = payment;
    }
  }

  /** One payment: inbound = the counterparty pays the cluster (a deposit). */
  private static final class Attempt {
    final int seq;
    final boolean inbound;
    final long msat;
    String hash = "-";
    String leaderAtStart; // the replica that led when the payment began
    long cyclesBefore; // its commit cycles before the payment began
    boolean sendUncertain; // the cluster's POST /v1/payments did not answer (its leader crashed)
    String outcome = "?";

    Attempt(int seq, boolean inbound, long msat) {
      this.seq = seq;
      this.inbound = inbound;
      this.msat = msat;
    }

    String label() {
      return "#" + seq + (inbound ? " cp->cluster " : " cluster->cp ") + msat;
    }
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    restarter.shutdown();
    restarter.awaitTermination(100, TimeUnit.SECONDS);
    procs.forEach(NodeProcess::close);
    if (sim != null) sim.close();
  }

  @Test
  void crashesInsideTheCommitCycleNeverForceCloseNorStopTheRestore() throws Exception {
    long t0 = System.nanoTime();
    List<Long> cycles = LONG ? java.util.stream.LongStream.rangeClosed(1, 12).boxed().toList()
        : Arrays.stream(System.getProperty("lnraft.crashpoints.cycles", "3,6,9").split(",")).map(String::trim).map(Long::parseLong).toList();
    // Interleave the points so consecutive crashes differ.
    for (long n : cycles) {
      for (Point p : Point.values()) plan.add(new CrashSpec(p, n));
    }
    int planned = plan.size();
    setUp();
    long setupMs = ms(t0);

    long sweepStart = System.nanoTime();
    long deadline = sweepStart + TimeUnit.SECONDS.toNanos(LONG ? 1500 : 600);
    int seq = 0;
    boolean nextInbound = true;
    NodeProcess lastLeader = null;
    int paymentsOnThisLeader = 0;
    while (!plan.isEmpty() || !armed.isEmpty()) {
      if (System.nanoTime() > deadline) {
        problems.add("sweep deadline passed with " + plan.size() + " crashes not armed and " + armed.size() + " not fired");
        break;
      }
      NodeProcess leader = readyLeader();
      if (!armed.containsKey(leader)) {
        handOver(leader);
        continue;
      }
      paymentsOnThisLeader = leader == lastLeader ? paymentsOnThisLeader + 1 : 0;
      lastLeader = leader;
      if (paymentsOnThisLeader > 30) {
        problems.add(leader.name + " armed with " + armed.get(leader).value() + " made 30 payments without crashing");
        break;
      }
      Attempt a = new Attempt(++seq, nextInbound, 10_000 + seq);
      runPayment(a);
      verifyQuiescent(a);
      // After a failure (or a payment that never started), try the same direction again.
      nextInbound = a.outcome.equals("SUCCEEDED") ? !nextInbound : nextInbound;
    }
    long sweepMs = ms(sweepStart);

    // The end state: unarmed replicas, payments both ways, nothing closed.
    for (int i = 0; i < 2; i++) {
      Attempt a = new Attempt(++seq, i == 0, 10_000 + seq);
      runPayment(a);
      verifyQuiescent(a);
      if (!a.outcome.equals("SUCCEEDED")) problems.add("payment after the sweep " + a.label() + " ended " + a.outcome);
    }
    printTable(setupMs, sweepMs, seq);
    assertThat(rows).as("injected crashes").hasSize(planned);
    assertThat(problems).as("problems (table above, logs in " + dir + ")").isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // setup

  private void setUp() throws Exception {
    Path pw = dir.resolve("rpc-password");
    Files.writeString(pw, "sim-password");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("lnraft", "sim-password")));
    rpc = new BitcoindRpcClient(sim.clientConfig());
    List<String> btc = List.of("--bitcoind-url", sim.rpcUri().toString(), "--bitcoind-user", "lnraft",
        "--bitcoind-password-file", pw.toString());
    LocalClusterLayout cluster = LocalClusterLayout.generate(dir.resolve("cluster"), 3);
    LocalClusterLayout peer = LocalClusterLayout.generate(dir.resolve("counterparty"), 1,
        LocalClusterLayout.Options.defaults().withClusterId("counterparty").withAllowUnsafeGroupSize(true));
    replicas = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = cluster.configs().get(i);
      replicas.add(new NodeProcess(c.replicaId(), cluster.configFiles().get(i), c.self().api().toString(),
          cluster.apiTokenFile(), btc, dir));
    }
    ReplicaConfig pc = peer.configs().get(0);
    cp = new NodeProcess("counterparty", peer.configFiles().get(0), pc.self().api().toString(), peer.apiTokenFile(), btc, dir);
    procs.addAll(replicas);
    procs.add(cp);
    for (NodeProcess p : procs) p.start();

    NodeProcess leader = readyLeader();
    until("counterparty ready", 60, cp::ready);
    clusterId = leader.ok("GET", "/v1/info", null).get("node_id").asText();
    String cpId = cp.ok("GET", "/v1/info", null).get("node_id").asText();
    leader.ok("POST", "/v1/peers", Map.of("node_id", cpId, "host", pc.self().peer().host(), "port", pc.self().peer().port()));
    leader.ok("POST", "/v1/channels", Map.of("node_id", cpId, "capacity_sat", 1_000_000, "push_msat", 500_000_000));
    until("funding broadcast", 60, () -> !rpc.getRawMempool().isEmpty());
    List<Sha256Hash> mempool = rpc.getRawMempool();
    assertThat(mempool).hasSize(1);
    fundingTxid = mempool.get(0);
    rpc.generateToAddress(6, rpc.getNewAddress());
    chainHeightAfterOpen = rpc.getBlockCount();
    until("channel active on both sides", 60, () -> active(leader) && active(cp));
    expectedClusterMsat = channel(leader).get("local_balance_msat").asLong();
  }

  // ---------------------------------------------------------------------------------------------
  // crashes and the rolling arming

  private static List<String> jvmArgs(CrashSpec s) {
    return s == null ? List.of() : List.of("-D" + FaultInjection.CRASH_PROPERTY + "=" + s.value());
  }

  /** Restarts a replica armed with the next crash of the plan (or unarmed when the plan is done). */
  private void restartArmed(NodeProcess r) throws Exception {
    CrashSpec next = plan.poll();
    if (next != null) armed.put(r, next);
    else armed.remove(r);
    r.start(jvmArgs(next));
  }

  /** {@link #restartArmed} in the background: the failover is measured without the restarted JVM's start. */
  private void restartArmedAsync(NodeProcess r) {
    CrashSpec next = plan.poll();
    if (next != null) armed.put(r, next);
    else armed.remove(r);
    restarting.add(r);
    restarter.execute(() -> {
      try {
        r.start(jvmArgs(next));
      } catch (Exception e) {
        synchronized (problems) {
          problems.add("restart of " + r.name + " failed: " + e);
        }
      } finally {
        restarting.remove(r);
      }
    });
  }

  /** The ready leader is unarmed: stop it gracefully so leadership moves, restart it armed. */
  private void handOver(NodeProcess leader) throws Exception {
    until("restarts finished", 100, restarting::isEmpty);
    handovers++;
    leader.stop();
    restartArmed(leader);
  }

  /** Records and restarts every replica that crashed since the last call. */
  private void reap() throws Exception {
    for (NodeProcess r : replicas) {
      if (r.process == null || r.alive() || restarting.contains(r)) continue;
      r.awaitOutputDrained();
      CrashSpec spec = armed.remove(r);
      String line = r.crashLine;
      if (line == null || spec == null) {
        throw new AssertionError(r.name + " died without an injected crash (exit " + r.process.exitValue() + ", armed " + spec
            + "); see " + r.logFile);
      }
      assertThat(r.process.exitValue()).isEqualTo(FaultInjection.CRASH_EXIT_STATUS);
      assertThat(line).contains(spec.point().label()).endsWith("commit cycle " + spec.cycle());
      Row row = new Row(spec, r.name, r.lastCycleLine, current);
      rows.add(row);
      System.out.printf("crash %d: %s at %s (%s), payment in flight %s%n", rows.size(), r.name, spec.value(), r.lastCycleLine,
          current == null ? "none" : current.label());
      restartArmedAsync(r);
    }
  }

  private NodeProcess readyLeader() throws Exception {
    NodeProcess[] found = new NodeProcess[1];
    until("a ready leader", 90, () -> {
      for (NodeProcess r : replicas) {
        if (!restarting.contains(r) && r.alive() && r.ready()) {
          found[0] = r;
          return true;
        }
      }
      return false;
    });
    noteReady();
    return found[0];
  }

  /** A ready leader is seen now: the failover of every crash not yet served is complete. */
  private void noteReady() {
    for (Row row : rows) {
      if (row.readyMs < 0) row.readyMs = (System.nanoTime() - row.crashedAt) / 1_000_000;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // payments

  private void runPayment(Attempt a) throws Exception {
    current = a;
    NodeProcess startLeader = readyLeader();
    a.leaderAtStart = startLeader.name;
    a.cyclesBefore = cycleNumber(startLeader.lastCycleLine);
    until("channel active on both sides before " + a.label(), 90, () -> active(readyLeader()) && active(cp));
    if (a.inbound) {
      JsonNode inv = onLeader("invoice for " + a.label(),
          l -> l.ok("POST", "/v1/invoices", Map.of("amount_msat", a.msat, "description", "crash test " + a.seq)));
      a.hash = inv.get("payment_hash").asText();
      NodeProcess.Reply r = cp.call("POST", "/v1/payments", Map.of("invoice", inv.get("bolt11").asText()));
      if (r.status() / 100 != 2) System.out.printf("%s: counterparty's pay answered %d %s%n", a.label(), r.status(), r.body());
    } else {
      JsonNode inv = cp.ok("POST", "/v1/invoices", Map.of("amount_msat", a.msat, "description", "crash test " + a.seq));
      a.hash = inv.get("payment_hash").asText();
      try {
        NodeProcess.Reply r = readyLeader().call("POST", "/v1/payments", Map.of("invoice", inv.get("bolt11").asText()));
        if (r.status() / 100 != 2) {
          a.sendUncertain = true;
          System.out.printf("%s: cluster's pay answered %d %s%n", a.label(), r.status(), r.body());
        }
      } catch (java.io.IOException e) {
        a.sendUncertain = true; // the leader crashed during the call
      }
    }
    resolve(a);
    current = null;
  }

  /** Waits until the payment is final on the payer's ledger, then checks the payee's ledger agrees. */
  private void resolve(Attempt a) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      reap();
      currentLeader(); // notes when a crash's failover completed
      if (System.nanoTime() > end) {
        problems.add(a.label() + " " + a.hash + ": not final on the payer's ledger after 120 s");
        a.outcome = "STUCK";
        return;
      }
      String payer = a.inbound ? status(cp, a.hash, "outbound") : clusterStatus(a.hash, "outbound");
      if (payer.equals("succeeded") || payer.equals("failed")) {
        a.outcome = payer.toUpperCase();
        break;
      }
      if (payer.equals("absent") && (a.inbound || a.sendUncertain) && quiet()) {
        // Nothing committed on the payer's side, channel re-established: it will never appear.
        a.outcome = "NOT_STARTED";
        break;
      }
      Thread.sleep(100);
    }
    // The payee's ledger must agree: succeeded iff the payer's succeeded.
    String want = a.outcome.equals("SUCCEEDED") ? "succeeded" : null;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(want == null ? 3 : 60);
    String payee;
    do {
      reap();
      payee = a.inbound ? clusterStatus(a.hash, "inbound") : status(cp, a.hash, "inbound");
      if (want != null && payee.equals(want)) break;
      Thread.sleep(100);
    } while (System.nanoTime() < until);
    if (want != null && !payee.equals(want)) problems.add(a.label() + " " + a.hash + ": payer SUCCEEDED, payee " + payee);
    if (want == null && payee.equals("succeeded")) problems.add(a.label() + " " + a.hash + ": payer " + a.outcome + ", payee succeeded");
    // Amounts on both ledgers are the invoice's.
    for (boolean payerSide : List.of(true, false)) {
      boolean onCluster = a.inbound != payerSide;
      String dir = payerSide ? "outbound" : "inbound";
      Optional<JsonNode> rec = onCluster ? clusterRecord(a.hash, dir) : record(cp, a.hash, dir);
      if (rec.isPresent() && !rec.get().get("status").asText().equals("pending") && rec.get().get("amount_msat").asLong() != a.msat) {
        problems.add(a.label() + " " + a.hash + ": " + (onCluster ? "cluster" : "counterparty") + " " + dir + " ledger amount "
            + rec.get().get("amount_msat").asLong() + " != " + a.msat);
      }
    }
  }

  /** The channel is re-established on both sides (after a crash, the restored node reconnected). */
  private boolean quiet() throws Exception {
    Optional<NodeProcess> l = currentLeader();
    return l.isPresent() && active(l.get()) && active(cp);
  }

  /** Balances, closes, restores: what must hold once the payment is final and the channel idle. */
  private void verifyQuiescent(Attempt a) throws Exception {
    if (a.outcome.equals("SUCCEEDED")) expectedClusterMsat += a.inbound ? a.msat : -a.msat;
    until("channel active on both sides after " + a.label(), 90, () -> active(readyLeader()) && active(cp));
    long[] seen = new long[3];
    boolean balanced = untilQuietly(30, () -> {
      JsonNode x = channel(readyLeader());
      JsonNode y = channel(cp);
      seen[0] = x.get("local_balance_msat").asLong();
      seen[1] = y.get("remote_balance_msat").asLong();
      seen[2] = x.get("remote_balance_msat").asLong() - y.get("local_balance_msat").asLong();
      return seen[0] == expectedClusterMsat && seen[1] == expectedClusterMsat && seen[2] == 0;
    });
    if (!balanced) {
      problems.add("after " + a.label() + ": cluster local " + seen[0] + ", counterparty remote " + seen[1] + ", expected "
          + expectedClusterMsat);
      expectedClusterMsat = seen[0]; // report once, go on from what the channel says
    }
    int closes = clusterClosedEvents() + closedEvents(cp) + fundingSpends();
    if (closes > 0) problems.add("after " + a.label() + ": " + closes + " close(s) (channel_closed events or funding spends)");
    int startFailures = countInLogs(START_FAILURE_PATTERNS);
    int stops = countInLogs(STOP_PATTERNS);
    for (Row row : rows) {
      if (row.restoreOk != null) continue;
      row.restoreOk = startFailures == 0 && row.readyMs >= 0;
      row.forceCloses = closes;
    }
    if (startFailures > 0) problems.add(startFailures + " start failure line(s) in the replica logs");
    if (stops > 0) problems.add(stops + " node stop(s) on a refused/failed commit in the replica logs");
  }

  // ---------------------------------------------------------------------------------------------
  // reading the nodes and the chain

  interface LeaderCall<T> {
    T call(NodeProcess leader) throws Exception;
  }

  private <T> T onLeader(String what, LeaderCall<T> call) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    Exception last = null;
    while (System.nanoTime() < end) {
      try {
        return call.call(readyLeader());
      } catch (Exception e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw new AssertionError(what + ": no ready leader answered", last);
  }

  private Optional<NodeProcess> currentLeader() {
    for (NodeProcess r : replicas) {
      if (!restarting.contains(r) && r.alive() && r.ready()) {
        noteReady();
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** "succeeded" | "failed" | "pending" | "absent" | "unknown" (no ready leader answered). */
  private String clusterStatus(String hash, String direction) {
    Optional<NodeProcess> l = currentLeader();
    if (l.isEmpty()) return "unknown";
    return status(l.get(), hash, direction);
  }

  private Optional<JsonNode> clusterRecord(String hash, String direction) throws Exception {
    return onLeader("payment record", l -> {
      NodeProcess.Reply r = l.call("GET", "/v1/payments/" + hash + "?direction=" + direction, null);
      if (r.status() == 200) return Optional.of(r.body());
      if (r.status() == 404) return Optional.<JsonNode>empty();
      throw new IllegalStateException("status " + r.status());
    });
  }

  private static Optional<JsonNode> record(NodeProcess p, String hash, String direction) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/payments/" + hash + "?direction=" + direction, null);
    return r.status() == 200 ? Optional.of(r.body()) : Optional.empty();
  }

  private static String status(NodeProcess p, String hash, String direction) {
    try {
      NodeProcess.Reply r = p.call("GET", "/v1/payments/" + hash + "?direction=" + direction, null);
      if (r.status() == 200) return r.body().get("status").asText();
      if (r.status() == 404) return "absent";
      return "unknown";
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static boolean active(NodeProcess p) throws Exception {
    NodeProcess.Reply r = p.call("GET", "/v1/channels", null);
    return r.status() == 200 && r.body().get("channels").size() == 1
        && r.body().get("channels").get(0).get("state").asText().equals("active");
  }

  private static JsonNode channel(NodeProcess p) throws Exception {
    return p.ok("GET", "/v1/channels", null).get("channels").get(0);
  }

  /** The cluster's count, asked of whichever replica leads; an armed leader may crash mid-question. */
  private int clusterClosedEvents() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return closedEvents(readyLeader());
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) throw e;
        Thread.sleep(200);
      }
    }
  }

  private static int closedEvents(NodeProcess p) throws Exception {
    int n = 0;
    for (JsonNode e : p.ok("GET", "/v1/events?after=0&limit=1000", null).get("events")) {
      if (e.get("type").asText().equals("channel_closed")) n++;
    }
    return n;
  }

  /** Transactions spending the funding output, in the mempool or in a block mined after the open. */
  private int fundingSpends() {
    List<Transaction> txs = new ArrayList<>();
    for (Sha256Hash id : rpc.getRawMempool()) rpc.getRawTransaction(id).ifPresent(txs::add);
    for (int h = chainHeightAfterOpen + 1; h <= rpc.getBlockCount(); h++) txs.addAll(rpc.getBlock(rpc.getBlockHash(h)).getTransactions());
    int n = 0;
    for (Transaction tx : txs) {
      for (TransactionInput in : tx.getInputs()) {
        if (in.getOutpoint().hash().equals(fundingTxid)) n++;
      }
    }
    return n;
  }

  private int countInLogs(List<String> patterns) throws Exception {
    int n = 0;
    for (NodeProcess p : procs) {
      if (!Files.exists(p.logFile)) continue;
      for (String line : Files.readAllLines(p.logFile, StandardCharsets.UTF_8)) {
        for (String pat : patterns) {
          if (line.contains(pat)) n++;
        }
      }
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------

  private void printTable(long setupMs, long sweepMs, int payments) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%nCrash-point sweep: %d injected crashes, %d graceful handovers, %d payments; setup %d ms, sweep %d ms%n",
        rows.size(), handovers, payments, setupMs, sweepMs));
    sb.append(String.format("%-28s %5s %-8s %-6s %8s %-7s %-26s %-12s %-13s %s%n", "point", "cycle", "replica", "restore", "ready ms",
        "closes", "payment in flight", "outcome", "where", "crashed cycle"));
    for (Row r : rows) {
      String cyc = r.lastCycle == null ? "-" : r.lastCycle.replace("fault injection: commit cycle ", "");
      sb.append(String.format("%-28s %5d %-8s %-6s %8d %-7s %-26s %-12s %-13s %s%n", r.spec.point().label(), r.spec.cycle(), r.replica,
          r.restoreOk == null ? "?" : r.restoreOk ? "ok" : "FAILED", r.readyMs, r.forceCloses < 0 ? "?" : r.forceCloses,
          r.payment == null ? "none (between payments)" : r.payment.label(), r.payment == null ? "-" : r.payment.outcome,
          positionInPayment(r), cyc));
    }
    if (!problems.isEmpty()) sb.append("problems:\n  ").append(String.join("\n  ", problems)).append('\n');
    System.out.println(sb);
  }

  private static long cycleNumber(String cycleLine) {
    if (cycleLine == null) return 0;
    String rest = cycleLine.replace("fault injection: commit cycle ", "");
    return Long.parseLong(rest.substring(0, rest.indexOf(' ')));
  }

  /** Which commit of the payment in flight the crash hit ("3rd" = the payment's 3rd commit cycle on that leader). */
  private static String positionInPayment(Row r) {
    if (r.payment == null || !r.replica.equals(r.payment.leaderAtStart)) return "took over";
    return "commit " + (r.spec.cycle() - r.payment.cyclesBefore) + " of it";
  }

  private static long ms(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }

  /** Polls until true (reaping and restarting crashed replicas meanwhile); fails after the limit. */
  private void until(String what, int seconds, Callable<Boolean> condition) throws Exception {
    if (!untilQuietly(seconds, condition)) throw new AssertionError("timed out (" + seconds + " s) waiting for " + what);
  }

  private boolean untilQuietly(int seconds, Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (replicas != null) reap();
      try {
        if (condition.call()) return true;
      } catch (AssertionError e) {
        throw e;
      } catch (Exception e) {
        // not yet
      }
      Thread.sleep(100);
    }
    return false;
  }
}
