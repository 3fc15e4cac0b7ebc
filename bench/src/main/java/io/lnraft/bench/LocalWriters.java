package io.lnraft.bench;

import io.lnraft.node.gate.GatedCommitter;
import io.lnraft.node.gate.PeerChannel;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.Op;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The harness's writers, run inside the leader replica's JVM: the same closed loop as {@link
 * CommitLatencyHarness}, but through a {@link RaftStoreClient} that submits straight into this
 * process's Raft server, as the node does on its own replica. Two modes:
 *
 * <ul>
 *   <li>{@code direct}: each writer commits its own [AppendMonitorUpdate, PutManager] and waits for
 *       it (one Raft entry per channel update);
 *   <li>{@code gated}: the node's real {@link GatedCommitter} between the writers and the store.
 *       Each writer, under the gate's read side as an LDK call would be, stages its channel's
 *       monitor update and holds a peer message; the committer puts everything staged meanwhile
 *       plus one ChannelManager blob into ONE entry, and the writer's clock stops when its held
 *       message is released (= the time a peer waits for the node's answer to an update).
 * </ul>
 *
 * <p>Asked by the line {@code WRITE epoch writers warmupMs measureMs updateBytes managerBytes mode}
 * on the replica's stdin; answers {@code RESULT errors updatesPerEntry histogram} (HdrHistogram,
 * compressed, Base64; updatesPerEntry = channel updates per Raft entry over the whole request, 1
 * in direct mode) or {@code WRITE_FAILED reason} on stdout.
 */
final class LocalWriters {
  private LocalWriters() {}

  /** One timed step of one writer; returns normally once the update is durable (and released). */
  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }

  static String run(ReplicaServer server, String[] f) throws Exception {
    long epoch = Long.parseLong(f[1]);
    int writers = Integer.parseInt(f[2]);
    long warmupMs = Long.parseLong(f[3]);
    long measureMs = Long.parseLong(f[4]);
    int updateBytes = Integer.parseInt(f[5]);
    int managerBytes = Integer.parseInt(f[6]);
    String mode = f[7].toLowerCase(Locale.ROOT);
    if (!mode.equals("direct") && !mode.equals("gated")) return "WRITE_FAILED unknown mode " + mode + " (direct or gated)";
    try (RaftStoreClient client = new RaftStoreClient(server.group(), server.properties(), Duration.ofSeconds(10),
        StoreMetrics.inMemory(), Optional.of(server.raftServer().getId()), Optional.of(server))) {
      if (!client.submitsLocally()) return "WRITE_FAILED this replica is not the ready leader";
      List<ChannelKey> channels = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        byte[] txid = new byte[32];
        ThreadLocalRandom.current().nextBytes(txid);
        ChannelKey ch = Ops.channel(txid, w);
        CommitOutcome o = client.commit(epoch, List.of(Ops.putBaseMonitor(ch, 0, random(managerBytes))))
            .get(15, TimeUnit.SECONDS);
        if (!(o instanceof CommitOutcome.Committed)) return "WRITE_FAILED base monitor refused: " + o;
        channels.add(ch);
      }
      AtomicReference<String> committerFailure = new AtomicReference<>();
      GatedCommitter gate = null;
      if (mode.equals("gated")) {
        // Lease as the node computes it (election-timeout-min x leader-lease-ratio, 150 ms x 0.9 by default);
        // the commit that precedes every release confirms the epoch anyway.
        gate = new GatedCommitter(client, epoch, () -> random(managerBytes), tx -> { }, Duration.ofSeconds(10),
            Duration.ofMillis(135), committerFailure::set).start();
      }
      List<Step> steps = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        ChannelKey ch = channels.get(w);
        long[] updateId = {0};
        if (gate == null) {
          steps.add(() -> {
            List<Op> ops = List.of(Ops.appendMonitorUpdate(ch, updateId[0] + 1, random(updateBytes)),
                Ops.putManager(random(managerBytes)));
            CommitOutcome o = client.commit(epoch, ops).get(30, TimeUnit.SECONDS);
            if (!(o instanceof CommitOutcome.Committed)) throw new IllegalStateException("commit refused: " + o);
            updateId[0]++;
          });
        } else {
          GatedCommitter g = gate;
          int idx = w;
          Semaphore released = new Semaphore(0);
          PeerChannel peer = new PeerChannel() {
            @Override
            public void release(byte[] data) {
              released.release();
            }

            @Override
            public void close() { }

            @Override
            public String describe() {
              return "bench writer " + idx;
            }
          };
          byte[] message = new byte[100]; // ~ a commitment_signed/revoke_and_ack after encryption
          steps.add(() -> {
            byte[] update = random(updateBytes);
            g.runUnderGate(() -> {
              g.stage(Ops.appendMonitorUpdate(ch, updateId[0] + 1, update));
              g.hold(peer, message);
            });
            if (!released.tryAcquire(30, TimeUnit.SECONDS)) {
              throw new IllegalStateException("held message not released within 30 s"
                  + (committerFailure.get() != null ? ": " + committerFailure.get() : ""));
            }
            updateId[0]++;
          });
        }
      }
      LoopResult r;
      try {
        r = loop(steps, warmupMs, measureMs);
      } finally {
        if (gate != null) gate.close();
      }
      if (r.timedOut() != null) return "WRITE_FAILED writer " + r.timedOut() + " did not finish within 40 s of the end";
      if (r.firstError() != null) {
        System.err.println(r.errors() + " local writer(s) stopped on error; first: " + r.firstError()
            + (committerFailure.get() != null ? "; committer: " + committerFailure.get() : ""));
      }
      long entries = gate == null ? r.steps() : gate.stats().commits();
      double perEntry = entries == 0 ? 0 : (double) r.steps() / entries;
      ByteBuffer buf = ByteBuffer.allocate(r.histogram().getNeededByteBufferCapacity());
      int n = r.histogram().encodeIntoCompressedByteBuffer(buf);
      byte[] bytes = new byte[n];
      buf.flip();
      buf.get(bytes);
      return String.format(Locale.ROOT, "RESULT %d %.3f %s", r.errors(), perEntry, Base64.getEncoder().encodeToString(bytes));
    }
  }

  private record LoopResult(Histogram histogram, long errors, long steps, Throwable firstError, String timedOut) {}

  /** Closed loop per writer: warm-up unmeasured, then measured; a writer stops at its first error. */
  private static LoopResult loop(List<Step> steps, long warmupMs, long measureMs) throws Exception {
    int writers = steps.size();
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(warmupMs);
    long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(measureMs);
    List<Histogram> hs = new ArrayList<>();
    long[] errors = new long[writers];
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    AtomicLong done = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
      hs.add(h);
      Step step = steps.get(w);
      int idx = w;
      Thread t = new Thread(() -> {
        while (System.nanoTime() < end) {
          long a = System.nanoTime();
          try {
            step.run();
          } catch (Exception e) {
            errors[idx]++;
            firstError.compareAndSet(null, e);
            return;
          }
          long b = System.nanoTime();
          done.incrementAndGet();
          if (a >= measureFrom) h.recordValue(b - a);
        }
      }, "local-writer-" + w);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    long joinDeadline = end + TimeUnit.SECONDS.toNanos(40);
    for (Thread t : threads) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
    for (Thread t : threads) {
      if (t.isAlive()) return new LoopResult(null, 0, 0, null, t.getName());
    }
    Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    hs.forEach(all::add);
    long errs = 0;
    for (long e : errors) errs += e;
    return new LoopResult(all, errs, done.get(), firstError.get(), null);
  }

  static Histogram decode(String base64) throws java.util.zip.DataFormatException {
    return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }
}
