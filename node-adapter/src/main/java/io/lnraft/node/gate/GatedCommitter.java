package io.lnraft.node.gate;

import io.lnraft.store.CommitOutcome;
import io.lnraft.store.ReplicatedStore;
import io.lnraft.store.proto.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gated commit (DESIGN.md): every LDK call runs under the read side of the gate; persistence
 * callbacks, the broadcaster and the peer transport only stage. A committer thread takes the
 * write side (no LDK call in flight), serializes the ChannelManager, takes every staged op, peer
 * byte and broadcast, releases the gate, commits {manager, ops} as ONE replicated entry, and only
 * then writes the bytes and hands out the broadcasts — and only while this writer's leadership is
 * confirmed within the lease. What queues during a commit goes in the next one (group commit).
 *
 * <p>Any commit that is not acknowledged (FENCED, CONFLICT, INVALID, timeout, lost lease) is
 * fatal for this node instance: queued bytes are dropped unsent and {@code onFailure} is told
 * once; the leader lifecycle then stops the node. Nothing is ever reported to LDK as a failure.
 */
public final class GatedCommitter implements CommitStage, BroadcastStage, OutboundGate, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatedCommitter.class);

  /** What the committer needs from the node while it holds the gate's write side. */
  public interface ManagerSource {
    /** The serialized ChannelManager; called with no LDK call in flight. */
    byte[] serializeManager();
  }

  /** Hands a committed transaction to the chain backend. */
  public interface Broadcaster {
    void broadcast(byte[] rawTransaction);
  }

  /**
   * Statistics of the committer (for metrics, the demo and tests). Latency percentiles cover the
   * last {@value #LATENCY_WINDOW} commits, submit to acknowledgement, in microseconds.
   */
  public record Stats(long commits, long opsCommitted, long bytesCommitted, long peerBytesReleased, long leaseChecks,
      long latencyP50Micros, long latencyP99Micros) {}

  static final int LATENCY_WINDOW = 4096;
  private final long[] latencies = new long[LATENCY_WINDOW]; // guarded by itself
  private long latencyCount; // guarded by latencies

  private record HeldBytes(PeerChannel channel, byte[] data) {}

  private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
  private final ReplicatedStore store;
  private final long epoch;
  private final ManagerSource manager;
  private final Broadcaster broadcaster;
  private final Consumer<String> onFailure;
  private final Duration commitTimeout;
  private final long leaseNanos;

  private final Object stageLock = new Object();
  private List<Op> ops = new ArrayList<>(); // guarded by stageLock
  private List<HeldBytes> bytes = new ArrayList<>(); // guarded by stageLock
  private List<byte[]> broadcasts = new ArrayList<>(); // guarded by stageLock

  private final ReentrantLock wakeLock = new ReentrantLock();
  private final Condition wake = wakeLock.newCondition();
  private boolean wakeRequested; // guarded by wakeLock

  private final AtomicBoolean failed = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread thread;
  private byte[] lastManager = new byte[0];
  /** Replicates only the changed chunks of the manager (the bytes per commit must not grow with channels). */
  private final io.lnraft.store.ManagerChunker chunker;
  /** System.nanoTime() at which a request was sent that the writer epoch was later confirmed for. */
  private long leaseFrom = Long.MIN_VALUE;
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong opsCommitted = new AtomicLong();
  private final AtomicLong bytesCommitted = new AtomicLong();
  private final AtomicLong peerBytesReleased = new AtomicLong();
  private final AtomicLong leaseChecks = new AtomicLong();
  /** Process-wide meters (shared by every term's committer, so they never reset); null if unmetered. */
  private io.micrometer.core.instrument.Timer commitTimer;
  private io.micrometer.core.instrument.Counter commitCounter;
  private io.micrometer.core.instrument.Counter commitBytesCounter;
  /** lnraft.node.payments by (direction, result); see {@link #countFinalPayments}. */
  private final java.util.Map<String, io.micrometer.core.instrument.Counter> paymentCounters = new java.util.HashMap<>();
  /** Where this writer's acts (commits, releases) are recorded; see {@link #journaledBy}. */
  private ServingJournal journal = ServingJournal.disabled();

  /**
   * @param epoch the writer epoch this node instance acquired
   * @param lease how long a confirmation of leadership stays valid (below the election timeout)
   * @param onFailure told once, with the reason, when this node instance must stop
   */
  public GatedCommitter(ReplicatedStore store, long epoch, ManagerSource manager, Broadcaster broadcaster,
      Duration commitTimeout, Duration lease, Consumer<String> onFailure) {
    this.store = store;
    this.epoch = epoch;
    this.manager = manager;
    this.broadcaster = broadcaster;
    this.commitTimeout = commitTimeout;
    this.leaseNanos = lease.toNanos();
    this.onFailure = onFailure;
    this.chunker = new io.lnraft.store.ManagerChunker(store::managerChunkId);
    this.thread = new Thread(this::run, "lnraft-committer-e" + epoch);
    this.thread.setDaemon(true);
  }

  /**
   * Records into {@code registry}: {@code lnraft.gate.commit.latency} (timer, submit to
   * acknowledgement, with a percentile histogram), {@code lnraft.gate.commits} and {@code
   * lnraft.gate.committed.bytes}. Before {@link #start()} only (the thread start publishes them).
   */
  public GatedCommitter meteredBy(io.micrometer.core.instrument.MeterRegistry registry) {
    if (thread.isAlive()) throw new IllegalStateException("meteredBy after start");
    commitTimer = io.micrometer.core.instrument.Timer.builder("lnraft.gate.commit.latency")
        .description("gated commit of one batch, submit to acknowledgement")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
        .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    commitCounter = io.micrometer.core.instrument.Counter.builder("lnraft.gate.commits")
        .description("batches committed by the gated committer").register(registry);
    commitBytesCounter = io.micrometer.core.instrument.Counter.builder("lnraft.gate.committed.bytes")
        .baseUnit("bytes").description("op bytes committed by the gated committer").register(registry);
    for (String dir : List.of("inbound", "outbound")) {
      for (String result : List.of("succeeded", "failed")) {
        paymentCounters.put(dir + "/" + result, io.micrometer.core.instrument.Counter.builder("lnraft.node.payments")
            .tag("direction", dir).tag("result", result)
            .description("payments that became final (succeeded or failed) in a commit of this process").register(registry));
      }
    }
    return this;
  }

  /**
   * Records every commit and every release of peer bytes or broadcasts in {@code journal} (begin
   * before, end after). Before {@link #start()} only.
   */
  public GatedCommitter journaledBy(ServingJournal journal) {
    if (thread.isAlive()) throw new IllegalStateException("journaledBy after start");
    this.journal = java.util.Objects.requireNonNull(journal, "journal");
    return this;
  }

  /** Starts the committer thread. Separate from the constructor so the node can be wired first. */
  public GatedCommitter start() {
    thread.start();
    return this;
  }

  public long epoch() {
    return epoch;
  }

  @Override
  public <T> T underGate(Supplier<T> ldkCall) {
    gate.readLock().lock();
    try {
      return ldkCall.get();
    } finally {
      gate.readLock().unlock();
    }
  }

  /** {@link #underGate} for calls without a result. */
  public void runUnderGate(Runnable ldkCall) {
    underGate(() -> {
      ldkCall.run();
      return null;
    });
  }

  @Override
  public void stage(Op op) {
    synchronized (stageLock) {
      ops.add(op);
    }
    wakeCommitter();
  }

  @Override
  public void stageBroadcast(byte[] rawTransaction) {
    synchronized (stageLock) {
      broadcasts.add(rawTransaction);
    }
    wakeCommitter();
  }

  @Override
  public void hold(PeerChannel channel, byte[] data) {
    if (failed.get() || closed.get()) return; // a stopping node sends nothing
    synchronized (stageLock) {
      bytes.add(new HeldBytes(channel, data));
    }
    wakeCommitter();
  }

  @Override
  public void wakeCommitter() {
    wakeLock.lock();
    try {
      wakeRequested = true;
      wake.signal();
    } finally {
      wakeLock.unlock();
    }
  }

  public boolean failed() {
    return failed.get();
  }

  public Stats stats() {
    long[] window;
    synchronized (latencies) {
      window = java.util.Arrays.copyOf(latencies, (int) Math.min(latencyCount, LATENCY_WINDOW));
    }
    java.util.Arrays.sort(window);
    long p50 = window.length == 0 ? 0 : window[(int) ((window.length - 1) * 0.50)] / 1000;
    long p99 = window.length == 0 ? 0 : window[(int) ((window.length - 1) * 0.99)] / 1000;
    return new Stats(commits.get(), opsCommitted.get(), bytesCommitted.get(), peerBytesReleased.get(), leaseChecks.get(),
        p50, p99);
  }

  private void run() {
    while (!closed.get() && !failed.get()) {
      wakeLock.lock();
      try {
        while (!wakeRequested && !closed.get()) {
          wake.await(1, TimeUnit.SECONDS);
        }
        wakeRequested = false;
      } catch (InterruptedException e) {
        return;
      } finally {
        wakeLock.unlock();
      }
      if (closed.get()) return;
      try {
        cycle();
      } catch (RuntimeException e) {
        fail("commit cycle failed: " + e);
      }
    }
  }

  /** One commit cycle. Package-visible for tests. */
  void cycle() {
    List<Op> takenOps;
    List<HeldBytes> takenBytes;
    List<byte[]> takenTx;
    byte[] mgr;
    gate.writeLock().lock(); // no LDK call in flight: manager and staged state agree
    try {
      synchronized (stageLock) {
        if (ops.isEmpty() && bytes.isEmpty() && broadcasts.isEmpty()) return;
        takenOps = ops;
        takenBytes = bytes;
        takenTx = broadcasts;
        ops = new ArrayList<>();
        bytes = new ArrayList<>();
        broadcasts = new ArrayList<>();
      }
      mgr = manager.serializeManager();
    } finally {
      gate.writeLock().unlock();
    }
    List<Op> commitOps = new ArrayList<>(takenOps.size() + 1);
    commitOps.addAll(takenOps);
    boolean managerChanged = !Arrays.equals(mgr, lastManager);
    if (managerChanged) commitOps.add(chunker.op(mgr));
    long crashCycle = 0; // fault injection (test hook, off by default): see FaultInjection
    if (!commitOps.isEmpty()) {
      if (FaultInjection.ARMED) {
        crashCycle = FaultInjection.nextCycle(commitOps.size(), takenBytes.size(), takenTx.size());
        FaultInjection.reached(FaultInjection.Point.BEFORE_COMMIT, crashCycle);
      }
      // The journal's act ends only on an answer: an unanswered entry may still be committed
      // later, so its act stays open (it ends with this process). begin throws: nothing committed.
      ServingJournal.Act act = journal.begin(ServingJournal.Kind.COMMIT, epoch);
      long sentAt = System.nanoTime();
      CommitOutcome outcome;
      try {
        outcome = store.commit(epoch, commitOps).get(commitTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        chunker.reset();
        fail("commit not acknowledged within " + commitTimeout.toMillis() + " ms: " + rootMessage(e));
        return;
      }
      act.end();
      if (!(outcome instanceof CommitOutcome.Committed)) {
        chunker.reset();
        fail("commit refused: " + describe(outcome));
        return;
      }
      if (managerChanged) chunker.committed();
      lastManager = mgr;
      leaseFrom = sentAt; // a majority accepted our epoch after sentAt
      long tookNanos = System.nanoTime() - sentAt;
      synchronized (latencies) {
        latencies[(int) (latencyCount++ % LATENCY_WINDOW)] = tookNanos;
      }
      long batchBytes = commitOps.stream().mapToLong(Op::getSerializedSize).sum();
      commits.incrementAndGet();
      opsCommitted.addAndGet(commitOps.size());
      bytesCommitted.addAndGet(batchBytes);
      if (commitTimer != null) {
        commitTimer.record(tookNanos, TimeUnit.NANOSECONDS);
        commitCounter.increment();
        commitBytesCounter.increment(batchBytes);
        countFinalPayments(commitOps, (CommitOutcome.Committed) outcome);
      }
      if (FaultInjection.ARMED) FaultInjection.reached(FaultInjection.Point.AFTER_COMMIT_BEFORE_RELEASE, crashCycle);
    }
    if (!takenBytes.isEmpty() || !takenTx.isEmpty()) {
      if (!leaseValid()) return; // fail() already called
      ServingJournal.Act act = journal.begin(ServingJournal.Kind.RELEASE, epoch); // throws: nothing released
      // The act ends when the last byte is out of the process (written on the transport's own
      // thread, later) and every broadcast was answered: one count per write, one for this thread.
      java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger(1);
      Runnable oneDone = () -> {
        if (pending.decrementAndGet() == 0) act.end();
      };
      try {
        for (HeldBytes b : takenBytes) {
          if (failed.get() || closed.get()) return;
          pending.incrementAndGet();
          b.channel().release(b.data(), oneDone);
          peerBytesReleased.addAndGet(b.data().length);
        }
        for (byte[] tx : takenTx) {
          try {
            broadcaster.broadcast(tx);
          } catch (RuntimeException e) {
            // Broadcasting again is always safe; LDK rebroadcasts on its own timers.
            LOG.warn("broadcast failed (LDK will rebroadcast): {}", e.toString());
          }
        }
      } finally {
        oneDone.run();
      }
    }
    if (FaultInjection.ARMED && crashCycle > 0) FaultInjection.reached(FaultInjection.Point.AFTER_RELEASE, crashCycle);
  }

  /** Whether this writer's epoch was confirmed by a majority within the lease; confirms it if not. */
  private boolean leaseValid() {
    long now = System.nanoTime();
    if (leaseFrom != Long.MIN_VALUE && now - leaseFrom < leaseNanos) return true;
    leaseChecks.incrementAndGet();
    long sentAt = System.nanoTime();
    try {
      long current = store.writer().get(commitTimeout.toMillis(), TimeUnit.MILLISECONDS).getEpoch();
      if (current != epoch) {
        fail("writer epoch is now " + current + ", not " + epoch + ": another replica took over");
        return false;
      }
    } catch (Exception e) {
      fail("leadership not confirmed within " + commitTimeout.toMillis() + " ms: " + rootMessage(e));
      return false;
    }
    leaseFrom = sentAt;
    return true;
  }

  private void fail(String reason) {
    if (!failed.compareAndSet(false, true)) return;
    synchronized (stageLock) {
      bytes.clear();
      broadcasts.clear();
      ops.clear();
    }
    LOG.warn("epoch {}: stopping this node instance, nothing more is sent: {}", epoch, reason);
    onFailure.accept(reason);
  }

  static String describe(CommitOutcome o) {
    if (o instanceof CommitOutcome.Fenced f) return "FENCED: " + f.message();
    if (o instanceof CommitOutcome.Conflict c) return "CONFLICT at op " + c.failedOp() + ": " + c.message();
    if (o instanceof CommitOutcome.Invalid i) return "INVALID: " + i.message();
    return o.toString();
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) t = t.getCause();
    return t.toString();
  }

  /** Stops the committer; anything still held is dropped unsent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    wakeCommitter();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5) + commitTimeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (stageLock) {
      bytes.clear();
      broadcasts.clear();
      ops.clear();
    }
  }

  /**
   * Counts the payment records of a committed batch that became final. The store appends one
   * ledger event per payment that becomes final and per channel event, and none for a final
   * status recorded again (a replay after a restart): when the event count shows such a replay in
   * the batch, which record it was is unknown, so that batch's payments are not counted rather
   * than counted twice.
   */
  private void countFinalPayments(List<Op> ops, CommitOutcome.Committed committed) {
    int finals = 0;
    int channelEvents = 0;
    for (Op op : ops) {
      if (op.hasRecordChannelEvent()) channelEvents++;
      if (op.hasRecordPayment() && isFinal(op.getRecordPayment().getPayment().getStatus())) finals++;
    }
    if (finals == 0 || committed.eventSeqs().size() != finals + channelEvents) return;
    for (Op op : ops) {
      if (!op.hasRecordPayment()) continue;
      io.lnraft.store.proto.PaymentRecord p = op.getRecordPayment().getPayment();
      if (!isFinal(p.getStatus())) continue;
      String dir = p.getDirection() == io.lnraft.store.proto.PaymentDirection.INBOUND ? "inbound" : "outbound";
      String result = p.getStatus() == io.lnraft.store.proto.PaymentStatus.SUCCEEDED ? "succeeded" : "failed";
      paymentCounters.get(dir + "/" + result).increment();
    }
  }

  private static boolean isFinal(io.lnraft.store.proto.PaymentStatus s) {
    return s == io.lnraft.store.proto.PaymentStatus.SUCCEEDED || s == io.lnraft.store.proto.PaymentStatus.FAILED;
  }
}
