package io.lnraft.bench;

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
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The harness's writers, run inside the leader replica's JVM ({@code --submit local}): the same
 * closed loop as {@link CommitLatencyHarness}, but through a {@link RaftStoreClient} that submits
 * straight into this process's Raft server, as the node does on its own replica.
 *
 * <p>Asked by the line {@code WRITE epoch writers warmupMs measureMs updateBytes managerBytes} on
 * the replica's stdin; answers {@code RESULT errors histogram} (HdrHistogram, compressed, Base64)
 * or {@code WRITE_FAILED reason} on stdout.
 */
final class LocalWriters {
  private LocalWriters() {}

  static String run(ReplicaServer server, String[] f) throws Exception {
    long epoch = Long.parseLong(f[1]);
    int writers = Integer.parseInt(f[2]);
    long warmupMs = Long.parseLong(f[3]);
    long measureMs = Long.parseLong(f[4]);
    int updateBytes = Integer.parseInt(f[5]);
    int managerBytes = Integer.parseInt(f[6]);
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
      long start = System.nanoTime();
      long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(warmupMs);
      long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(measureMs);
      List<Histogram> hs = new ArrayList<>();
      long[] errors = new long[writers];
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
        hs.add(h);
        ChannelKey ch = channels.get(w);
        int idx = w;
        Thread t = new Thread(() -> {
          long updateId = 0;
          while (System.nanoTime() < end) {
            List<Op> ops = List.of(Ops.appendMonitorUpdate(ch, updateId + 1, random(updateBytes)),
                Ops.putManager(random(managerBytes)));
            long a = System.nanoTime();
            CommitOutcome o;
            try {
              o = client.commit(epoch, ops).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
              errors[idx]++;
              firstError.compareAndSet(null, e);
              return;
            }
            long b = System.nanoTime();
            if (!(o instanceof CommitOutcome.Committed)) {
              errors[idx]++;
              firstError.compareAndSet(null, new IllegalStateException("commit refused: " + o));
              return;
            }
            updateId++;
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
        if (t.isAlive()) return "WRITE_FAILED writer " + t.getName() + " did not finish within 40 s of the end";
      }
      Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
      hs.forEach(all::add);
      long errs = 0;
      for (long e : errors) errs += e;
      if (firstError.get() != null) System.err.println(errs + " local writer(s) stopped on error; first: " + firstError.get());
      ByteBuffer buf = ByteBuffer.allocate(all.getNeededByteBufferCapacity());
      int n = all.encodeIntoCompressedByteBuffer(buf);
      byte[] bytes = new byte[n];
      buf.flip();
      buf.get(bytes);
      return "RESULT " + errs + " " + Base64.getEncoder().encodeToString(bytes);
    }
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
