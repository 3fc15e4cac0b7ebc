package io.lnraft.node.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.node.e2e.NodeCluster.Expected;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pays in a loop on its own thread, alternating directions (cluster -> counterparty, then back),
 * one payment at a time, always through whichever replica is the ready leader now. Each payment is
 * an {@link Attempt}: one invoice, POSTed until a payer acknowledges it, then followed until the
 * payer's ledger has a final status (and, for a success, the payee's too). Like a real client it
 * keeps calling the replica that last answered as leader until it gets a 503 or no answer.
 *
 * <p>Client retries, precisely: a 503 not_leader means nothing was done (API contract), so the
 * same invoice is POSTed to the next leader; no reply (connection refused, or the payer died with
 * the request) is settled by reading the new leader's ledger first — POSTed again only if the payment is absent
 * there (a linearizable read: had the old leader committed it, it would be there). Every wait is
 * bounded by {@link #LIMIT}; an attempt still not final then ends with outcome "none".
 */
final class PaymentDriver implements AutoCloseable {
  static final Duration LIMIT = Duration.ofSeconds(60);

  /** One payment. outcome: "succeeded", "failed", or "none" (no final status within the limit). */
  static final class Attempt {
    final int id;
    final boolean fromCluster;
    final long msat;
    final String hash;
    final long startNs;
    volatile long endNs = Long.MAX_VALUE;
    volatile String outcome = "none";
    volatile String note = "";
    volatile int retries;

    Attempt(int id, boolean fromCluster, long msat, String hash, long startNs) {
      this.id = id;
      this.fromCluster = fromCluster;
      this.msat = msat;
      this.hash = hash;
      this.startNs = startNs;
    }

    /** Started before t and not yet final at t. */
    boolean inFlightAt(long t) {
      return startNs < t && endNs > t;
    }

    Expected expected() {
      return new Expected(hash, fromCluster, msat);
    }

    @Override
    public String toString() {
      return "#" + id + (fromCluster ? " cluster->cp " : " cp->cluster ") + msat + " msat " + hash + " " + outcome
          + (note.isEmpty() ? "" : " (" + note + ")") + " retries=" + retries;
    }
  }

  private final NodeCluster c;
  private final Thread thread;
  final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  final AtomicInteger retries503 = new AtomicInteger();
  final AtomicInteger retriesIo = new AtomicInteger();
  /** Payments LDK refused to send (no usable channel at that instant); retried with a new invoice. */
  final AtomicInteger refusedBeforeSend = new AtomicInteger();
  private final Object lock = new Object();
  private boolean paused = true; // guarded by lock
  private boolean idle = true; // guarded by lock
  private volatile boolean stop;
  private int n;

  PaymentDriver(NodeCluster c) {
    this.c = c;
    this.thread = new Thread(this::loop, "payment-driver");
    thread.setDaemon(true);
    thread.start();
  }

  void resume() {
    synchronized (lock) {
      paused = false;
      lock.notifyAll();
    }
  }

  /** Stops after the current attempt is final; returns once idle (bounded). */
  void pause() throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos() * 3;
    synchronized (lock) {
      paused = true;
      while (!idle) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError("payment driver not idle within " + LIMIT.multipliedBy(3));
        lock.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  long settled() {
    return attempts.stream().filter(a -> !a.outcome.equals("none")).count();
  }

  List<Attempt> succeeded() {
    return attempts.stream().filter(a -> a.outcome.equals("succeeded")).toList();
  }

  private void loop() {
    while (!stop) {
      synchronized (lock) {
        while (paused && !stop) {
          idle = true;
          lock.notifyAll();
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        idle = false;
      }
      try {
        one();
      } catch (Throwable t) {
        errors.add(t);
        synchronized (lock) {
          paused = true;
        }
      }
    }
    synchronized (lock) {
      idle = true;
      lock.notifyAll();
    }
  }

  private volatile NodeProcess cachedLeader;

  /** The cluster replica to call: the last one that answered as leader, like a client that caches it. */
  private NodeProcess leader() {
    NodeProcess l = cachedLeader;
    if (l == null) cachedLeader = l = c.awaitReadyLeader(Optional.empty());
    return l;
  }

  private void forgetLeader() {
    cachedLeader = null;
  }

  private void one() throws Exception {
    int id = ++n;
    boolean fromCluster = id % 2 == 1;
    long msat = 1_000 + id;
    long deadline = System.nanoTime() + LIMIT.toNanos();
    JsonNode inv = null;
    while (inv == null) {
      NodeProcess payee = fromCluster ? c.cp : leader();
      try {
        NodeProcess.Reply r = payee.call("POST", "/v1/invoices", Map.of("amount_msat", msat, "description", "driver " + id));
        if (r.status() / 100 == 2) inv = r.body();
      } catch (Exception e) {
        // the cluster's leader went away: ask the next one
      }
      if (inv == null) {
        if (!fromCluster) forgetLeader();
        if (System.nanoTime() > deadline) throw new AssertionError("no invoice for payment #" + id + " within " + LIMIT);
        Thread.sleep(100);
      }
    }
    Attempt a = new Attempt(id, fromCluster, msat, inv.get("payment_hash").asText(), System.nanoTime());
    attempts.add(a);
    String bolt11 = inv.get("bolt11").asText();
    boolean acknowledged = false;
    while (!acknowledged && System.nanoTime() < deadline) {
      NodeProcess payer = fromCluster ? leader() : c.cp;
      // Like a real payer, send only over a usable channel: right after a failover or a handover the
      // peers are still reestablishing, and LDK refuses to send ("no route") - a refusal that would
      // make this invoice final as FAILED although nothing was wrong but the timing.
      long usableBy = Math.min(deadline, System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30));
      while (System.nanoTime() < usableBy && !safeActive(payer)) Thread.sleep(50);
      try {
        NodeProcess.Reply r = payer.call("POST", "/v1/payments", Map.of("invoice", bolt11));
        if (r.status() / 100 == 2) {
          acknowledged = true;
        } else if (r.status() == 503) {
          a.retries++;
          retries503.incrementAndGet();
          forgetLeader();
          Thread.sleep(100);
        } else if (r.status() == 400 && r.body().path("message").asText().contains("Cannot route")) {
          // Refused before anything was sent: the channel went down between our check and the
          // POST (a handover or a kill right then). Nothing moved; a client pays a fresh invoice.
          attempts.remove(a);
          refusedBeforeSend.incrementAndGet();
          Thread.sleep(200);
          return;
        } else {
          // Refused (e.g. 400 "no route" in the instant between a new leader's /ready and the
          // channel's reestablish): what the payer's ledger says is the outcome.
          a.note = "POST /v1/payments -> " + r.status() + " " + r.body().path("message").asText();
          acknowledged = true;
        }
      } catch (java.io.IOException e) {
        // No reply (refused, or lost with the payer): was the payment committed before it died?
        a.retries++;
        retriesIo.incrementAndGet();
        if (fromCluster) forgetLeader();
        while (System.nanoTime() < deadline) {
          String st = NodeCluster.status(fromCluster ? leader() : c.cp, a.hash, "outbound");
          if (st.equals("absent")) break; // never committed: POST it again
          if (!st.equals("unknown")) {
            acknowledged = true;
            a.note = "reply lost, found " + st + " in the new leader's ledger";
            break;
          }
          Thread.sleep(100);
        }
      }
    }
    if (!acknowledged) {
      a.endNs = System.nanoTime();
      if (a.note.isEmpty()) a.note = "never acknowledged";
      return;
    }
    while (System.nanoTime() < deadline) {
      Optional<NodeProcess> clusterSide = c.readyLeader(Optional.empty());
      if (clusterSide.isPresent()) {
        NodeProcess payer = fromCluster ? clusterSide.get() : c.cp;
        NodeProcess payee = fromCluster ? c.cp : clusterSide.get();
        String out = NodeCluster.status(payer, a.hash, "outbound");
        if (out.equals("failed")) {
          a.endNs = System.nanoTime();
          a.outcome = "failed";
          return;
        }
        if (out.equals("succeeded") && NodeCluster.status(payee, a.hash, "inbound").equals("succeeded")) {
          a.endNs = System.nanoTime();
          a.outcome = "succeeded";
          return;
        }
      }
      Thread.sleep(100);
    }
    a.note = "no final status within " + LIMIT;
    a.endNs = System.nanoTime();
  }

  /** Succeeded attempts as the ledgers must show them. */
  List<Expected> expected() {
    List<Expected> l = new ArrayList<>();
    for (Attempt a : succeeded()) l.add(a.expected());
    return l;
  }

  /** Net msat into the cluster over the succeeded attempts. */
  long netIntoCluster() {
    return succeeded().stream().mapToLong(a -> a.fromCluster ? -a.msat : a.msat).sum();
  }

  @Override
  public void close() {
    stop = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean safeActive(NodeProcess p) {
    try {
      return NodeCluster.active(p);
    } catch (Exception e) {
      return false;
    }
  }
}
