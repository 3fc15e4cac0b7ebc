package io.lnraft.node.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.node.e2e.PaymentDriver.Attempt;
import io.lnraft.node.gate.ServingJournal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;

/**
 * The e2e fixture ({@link NodeCluster} with a {@link PaymentDriver}) as the fault suite
 * (io.lnraft.node.faults) drives it: replicas by name, faults (SIGKILL, SIGSTOP/SIGCONT,
 * restart), the payment load, and the raw facts the invariant checks read (ledgers, channel,
 * chain, serving journals). Every wait is bounded by {@link NodeCluster#WAIT}.
 */
public final class FaultCluster implements AutoCloseable {
  private final NodeCluster c;
  private final PaymentDriver driver;
  /** Transactions in the simulator (mempool and blocks) once the channel was open. */
  private final Set<Sha256Hash> txsAtOpen;
  private final int heightAtOpen;
  /** Extra payments the scenarios made outside the driver (expected in both ledgers). */
  private final List<NodeCluster.Expected> extra = new ArrayList<>();
  private long extraNet;

  private final String name;

  private FaultCluster(NodeCluster c, String name) throws Exception {
    this.c = c;
    this.name = name;
    this.heightAtOpen = c.rpc.getBlockCount();
    this.txsAtOpen = new HashSet<>(chainTxs(0).keySet());
    this.driver = new PaymentDriver(c);
  }

  /** Starts the chain simulator, three replicas and the counterparty, and opens the channel. */
  public static FaultCluster start(Path dir, String name, Placement placement) throws Exception {
    NodeCluster c = NodeCluster.startWithChannel(dir, name, placement);
    try {
      return new FaultCluster(c, name);
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  // ---- replicas ----

  public List<String> replicas() {
    return c.replicas.stream().map(p -> p.name).toList();
  }

  private NodeProcess replica(String name) {
    return c.replicas.stream().filter(p -> p.name.equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no replica " + name));
  }

  public String awaitReadyLeader() {
    return c.awaitReadyLeader(Optional.empty()).name;
  }

  public String awaitReadyLeaderOtherThan(String replica) {
    return c.awaitReadyLeader(Optional.of(replica(replica))).name;
  }

  /** The ready leader, polled every 20 ms for at most {@code ms} (a finer clock than awaitReadyLeader). */
  public Optional<String> pollReadyLeaderOtherThan(String replica, long ms) throws InterruptedException {
    long end = System.nanoTime() + ms * 1_000_000;
    while (System.nanoTime() < end) {
      Optional<NodeProcess> l = c.readyLeader(Optional.of(replica(replica)));
      if (l.isPresent()) return Optional.of(l.get().name);
      Thread.sleep(20);
    }
    return Optional.empty();
  }

  public boolean ready(String replica) {
    return replica(replica).ready();
  }

  public boolean alive(String replica) {
    return replica(replica).alive();
  }

  public long pid(String replica) {
    return replica(replica).pid();
  }

  /** SIGKILL, wait for the exit, then append the harness's "died" record to its serving journal. */
  public void kill(String replica) throws Exception {
    NodeProcess p = replica(replica);
    p.kill();
    if (p.alive()) throw new IllegalStateException(replica + " still alive 10 s after SIGKILL");
    recordDeath(replica);
  }

  /** Appends "died mono=..." to the replica's journal: its process is gone (no act can follow). */
  public void recordDeath(String replica) throws Exception {
    Path j = journal(replica);
    if (Files.exists(j)) {
      Files.writeString(j, "died mono=" + System.nanoTime() + " wall=" + java.time.Instant.now() + "\n",
          StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
    }
  }

  /** Sends a signal by name (STOP, CONT). */
  public void signal(String replica, String signal) throws Exception {
    replica(replica).signal(signal);
  }

  /** Starts the replica's process again (same config, same placement). */
  public void restart(String replica) throws Exception {
    replica(replica).start();
  }

  /** The serving journal of a replica (in its data directory). */
  public Path journal(String replica) {
    int i = replicas().indexOf(replica);
    return c.layout.configs().get(i).dataDir().resolve(ServingJournal.FILE_NAME);
  }

  public Map<String, Path> journals() {
    Map<String, Path> m = new LinkedHashMap<>();
    for (String r : replicas()) m.put(r, journal(r));
    return m;
  }

  /** Waits until the replica applied everything the ready leader committed. */
  public void awaitCaughtUp(String replica) throws Exception {
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    c.awaitApplied(replica(replica), c.committed(leader));
  }

  /**
   * {@link #awaitCaughtUp(String)} with its own bound: after a partition heals, gRPC channels
   * that failed while it lasted reconnect only after their backoff (up to 120 s in grpc-java).
   */
  public void awaitCaughtUp(String replica, java.time.Duration atMost) throws Exception {
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    long index = c.committed(leader);
    NodeProcess r = replica(replica);
    org.awaitility.Awaitility.await(replica + " applied index " + index).atMost(atMost)
        .pollInterval(java.time.Duration.ofMillis(200)).ignoreExceptions().until(() -> c.applied(r) >= index);
  }

  public void awaitCounterpartyConnected() {
    NodeCluster.await("counterparty connected to the cluster", () -> NodeCluster.connected(c.cp, c.clusterId));
  }

  /** The replica's log lines (its process output, all starts). */
  public List<String> log(String replica) throws Exception {
    return Files.readAllLines(replica(replica).logFile, StandardCharsets.UTF_8);
  }

  // ---- load ----

  public void resumeLoad() {
    driver.resume();
  }

  /** Stops the load after the payment in flight is final (bounded). */
  public void pauseLoad() throws InterruptedException {
    driver.pause();
  }

  public long settledPayments() {
    return driver.settled();
  }

  /** Waits until {@code n} more payments are final (or the driver reports an error), at most {@link NodeCluster#WAIT}. */
  public void awaitMorePayments(int n) {
    awaitMorePayments(n, NodeCluster.WAIT);
  }

  /**
   * {@link #awaitMorePayments(int)} with its own bound: after a fault the driver, like a real
   * client, keeps calling the replica it last saw as leader until that call times out (20 s per
   * HTTP request), and the counterparty drops its stale connection only at LDK's ping timeout.
   */
  public void awaitMorePayments(int n, java.time.Duration atMost) {
    long from = driver.settled();
    org.awaitility.Awaitility.await(n + " more payments final").atMost(atMost).pollInterval(java.time.Duration.ofMillis(100))
        .until(() -> driver.settled() >= from + n || !driver.errors.isEmpty());
    if (!driver.errors.isEmpty()) throw new AssertionError("payment driver failed: " + driver.errors.get(0), driver.errors.get(0));
  }

  /** Waits at most {@code atMost} for {@code n} more final payments; returns how many became final. */
  public long paymentsWithin(int n, java.time.Duration atMost) throws InterruptedException {
    long from = driver.settled();
    long end = System.nanoTime() + atMost.toNanos();
    while (System.nanoTime() < end && driver.settled() < from + n && driver.errors.isEmpty()) Thread.sleep(100);
    return driver.settled() - from;
  }

  public List<Throwable> loadErrors() {
    return List.copyOf(driver.errors);
  }

  /** Pays from the counterparty to the cluster once, outside the driver, and expects it in both ledgers. */
  public void payIntoCluster(long msat) throws Exception {
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    extra.add(new NodeCluster.Expected(c.pay(c.cp, leader, msat), false, msat));
    extraNet += msat;
  }

  /** Payments counted: total attempts, succeeded, failed, with no final outcome. */
  public record LoadStats(int attempts, int succeeded, int failed, int unresolved, int retries503, int retriesIo) {}

  public LoadStats loadStats() {
    int s = 0, f = 0, u = 0;
    for (Attempt a : driver.attempts) {
      switch (a.outcome) {
        case "succeeded" -> s++;
        case "failed" -> f++;
        default -> u++;
      }
    }
    return new LoadStats(driver.attempts.size() + extra.size(), s + extra.size(), f, u, driver.retries503.get(),
        driver.retriesIo.get());
  }

  // ---- facts for the invariants ----

  /**
   * Acknowledged payments lost: every payment that succeeded (the driver saw both ledgers say so)
   * is in both ledgers once with its amount; every failed one was in flight at a fault instant,
   * is failed in the payer's ledger and absent from the payee's; none stayed without an outcome.
   * Throws AssertionError naming the first problem.
   */
  public void checkNoAcknowledgedPaymentLost(List<Long> faultInstants) throws Exception {
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    List<NodeCluster.Expected> all = new ArrayList<>(driver.expected());
    all.addAll(extra);
    c.assertLedgers(leader, all);
    var mine = NodeCluster.checkFeed(leader);
    var theirs = NodeCluster.checkFeed(c.cp);
    for (Attempt a : driver.attempts) {
      if (a.outcome.equals("none")) throw new AssertionError("payment without a final outcome: " + a);
      if (a.outcome.equals("failed")) {
        if (faultInstants.stream().noneMatch(a::inFlightAt)) {
          throw new AssertionError("a payment failed that was not in flight at any fault: " + a);
        }
        var payer = a.fromCluster ? mine : theirs;
        var payee = a.fromCluster ? theirs : mine;
        if (!payer.getOrDefault("payment_failed", Map.of()).containsKey(a.hash)) {
          throw new AssertionError("payer ledger lacks the failure of " + a);
        }
        if (payee.getOrDefault("payment_received", Map.of()).containsKey(a.hash)) {
          throw new AssertionError("payee received a payment its payer saw fail: " + a);
        }
      }
    }
  }

  /** Both event feeds run 1, 2, 3... with no gap and no repeat, one event per (type, payment). */
  public void checkLedgerSequences() throws Exception {
    NodeCluster.checkFeed(c.awaitReadyLeader(Optional.empty()));
    NodeCluster.checkFeed(c.cp);
  }

  /** channel_closed events in both feeds (checkFeed refuses them, so count separately) and channel states. */
  public List<String> channelCloses() throws Exception {
    List<String> found = new ArrayList<>();
    for (NodeProcess p : List.of(c.awaitReadyLeader(Optional.empty()), c.cp)) {
      long after = 0;
      while (true) {
        JsonNode page = p.ok("GET", "/v1/events?after=" + after + "&limit=1000", null);
        for (JsonNode e : page.get("events")) {
          if (e.get("type").asText().equals("channel_closed")) found.add(p.name + ": " + e);
        }
        if (page.get("events").isEmpty()) break;
        after = page.get("next_after").asLong();
      }
      JsonNode ch = p.ok("GET", "/v1/channels", null).get("channels");
      if (ch.size() != 1) found.add(p.name + " has " + ch.size() + " channels");
      else if (!ch.get(0).get("state").asText().equals("active")) found.add(p.name + " channel " + ch.get(0));
    }
    return found;
  }

  /** Both sides agree on the split, and the cluster's side moved by exactly what the ledgers say. */
  public void checkBalances() throws Exception {
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    NodeCluster.await("channel active on both sides", () -> NodeCluster.active(leader) && NodeCluster.active(c.cp));
    c.assertBalances(leader, driver.netIntoCluster() + extraNet);
  }

  /**
   * Transactions that reached the chain simulator (mempool or a block) after the channel opened:
   * txid -> what it is ("spends the funding output" for a commitment/close, else "other").
   * Nothing may: the nodes broadcast only to close a channel, and nothing closes.
   */
  public Map<String, String> transactionsSinceOpen() throws Exception {
    Map<Sha256Hash, Transaction> txs = chainTxs(heightAtOpen + 1);
    for (Sha256Hash id : c.rpc.getRawMempool()) c.rpc.getRawTransaction(id).ifPresent(t -> txs.put(id, t));
    Map<String, String> found = new LinkedHashMap<>();
    for (Map.Entry<Sha256Hash, Transaction> e : txs.entrySet()) {
      if (txsAtOpen.contains(e.getKey()) || e.getValue().isCoinBase()) continue;
      boolean spendsOpenTx = false;
      for (TransactionInput in : e.getValue().getInputs()) {
        if (txsAtOpen.contains(in.getOutpoint().hash())) spendsOpenTx = true;
      }
      found.put(e.getKey().toString(), spendsOpenTx ? "spends a transaction of the channel's opening (commitment or close)" : "other");
    }
    return found;
  }

  private Map<Sha256Hash, Transaction> chainTxs(int fromHeight) throws Exception {
    Map<Sha256Hash, Transaction> txs = new LinkedHashMap<>();
    int tip = c.rpc.getBlockCount();
    for (int h = Math.max(fromHeight, tip - 20); h <= tip; h++) { // the channel opened in the last blocks
      Block b = c.rpc.getBlock(c.rpc.getBlockHash(h));
      for (Transaction t : b.getTransactions()) txs.put(t.getTxId(), t);
    }
    if (fromHeight == 0) for (Sha256Hash id : c.rpc.getRawMempool()) c.rpc.getRawTransaction(id).ifPresent(t -> txs.put(id, t));
    return txs;
  }

  /** The writer epoch and its holder, as the store says (linearizable). */
  public String writer() throws Exception {
    var w = c.store().writer().get(10, TimeUnit.SECONDS);
    return w.getReplicaId() + " epoch " + w.getEpoch();
  }

  @Override
  public void close() {
    driver.close();
    c.close();
    // Keep the serving journals next to the process logs (target/e2e-logs/NAME) for a later look.
    for (String r : replicas()) {
      try {
        Path to = Files.createDirectories(Path.of("target", "e2e-logs", name)).resolve(r + ".serving-journal");
        if (Files.exists(journal(r))) Files.copy(journal(r), to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (int k = 1; k <= 1000; k++) { // rotated files, if the journal was rotated (keep-files is at most 1000)
          Path rotated = ServingJournal.rotatedFile(journal(r), k);
          if (Files.exists(rotated)) {
            Files.copy(rotated, to.resolveSibling(to.getFileName() + "." + k), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        }
      } catch (Exception e) {
        System.out.println("could not keep the serving journal of " + r + ": " + e);
      }
    }
  }
}
