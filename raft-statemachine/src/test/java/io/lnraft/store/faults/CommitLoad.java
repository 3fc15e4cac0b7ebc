package io.lnraft.store.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.Ops;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.StartupState;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A payment-shaped commit load on one channel, like the gated node's commits: each commit carries
 * monitor update {@code u} (exactly last+1), a 4 KB manager and one settled payment (one ledger
 * event). It follows leadership (a FENCED or failed commit takes a new writer epoch on the current
 * leader) and records what was acknowledged, so that {@link #verify} can check that nothing
 * acknowledged was lost and that the ledger has no gap and no duplicate.
 */
final class CommitLoad implements AutoCloseable {
  static final ChannelKey CHANNEL = Ops.channel(new byte[32], 0);

  private final ReplicaProcesses cluster;
  private final Thread thread;
  private volatile boolean running = true;
  /** Highest update id whose commit was acknowledged (Committed reply). */
  final AtomicLong acked = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  final AtomicLong epochs = new AtomicLong();
  private final AtomicReference<Throwable> broken = new AtomicReference<>();

  CommitLoad(ReplicaProcesses cluster) {
    this.cluster = cluster;
    this.thread = new Thread(this::run, "commit-load");
    thread.setDaemon(true);
  }

  CommitLoad start() {
    thread.start();
    return this;
  }

  static PaymentRecord payment(long u) {
    byte[] hash = ByteBuffer.allocate(32).putLong(0, u).array();
    return PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(hash)).setDirection(PaymentDirection.INBOUND)
        .setStatus(PaymentStatus.SUCCEEDED).setAmountMsat(1000 + u).build();
  }

  private void run() {
    long epoch = -1;
    long u = 0; // next update id to commit; 0 = the channel's base monitor
    while (running) {
      try {
        if (epoch < 0) {
          ReplicaProcesses.Leader l = cluster.awaitLeader(java.time.Duration.ofSeconds(30));
          epoch = cluster.client.acquireEpoch(ReplicaProcesses.id(l.position()), l.term()).get(20, TimeUnit.SECONDS)
              .getEpoch();
          epochs.incrementAndGet();
          // Resume after whatever is committed (a commit that failed without an answer may be in).
          StartupState s = cluster.client.startupState().get(20, TimeUnit.SECONDS);
          u = s.getChannelsCount() == 0 ? 0 : s.getChannels(0).getRecord().getLatestUpdateId() + 1;
        }
        List<io.lnraft.store.proto.Op> ops = u == 0
            ? List.of(Ops.putBaseMonitor(CHANNEL, 0, new byte[4096]), Ops.putManager(new byte[4096]))
            : List.of(Ops.appendMonitorUpdate(CHANNEL, u, new byte[400]), Ops.putManager(new byte[4096]),
                Ops.recordPayment(payment(u)));
        CommitOutcome o = cluster.client.commit(epoch, ops).get(25, TimeUnit.SECONDS);
        if (o instanceof CommitOutcome.Committed) {
          acked.set(u);
          u++;
        } else {
          epoch = -1; // fenced (a new leader took the epoch) or conflict after an unanswered retry
        }
      } catch (Exception e) {
        failures.incrementAndGet();
        epoch = -1;
        sleep(200);
      } catch (Throwable t) {
        broken.set(t);
        return;
      }
    }
  }

  /** Waits (bounded) until {@code n} more commits were acknowledged than now. */
  void awaitMore(int n, java.time.Duration atMost) {
    long target = acked.get() + n;
    org.awaitility.Awaitility.await(n + " more acknowledged commits (now " + acked.get() + ")").atMost(atMost)
        .pollInterval(java.time.Duration.ofMillis(50)).until(() -> acked.get() >= target);
  }

  void stop() throws InterruptedException {
    running = false;
    thread.join(40_000);
    assertThat(thread.isAlive()).as("commit load stopped").isFalse();
    assertThat(broken.get()).as("commit load error").isNull();
  }

  /**
   * Nothing acknowledged lost (linearizable read through the leader), update ids contiguous (the
   * state machine accepts exactly last+1), and one ledger event per committed update, seq 1..n
   * without gap or duplicate.
   */
  void verify() throws Exception {
    StartupState s = cluster.client.startupState().get(20, TimeUnit.SECONDS);
    long latest = s.getChannels(0).getRecord().getLatestUpdateId();
    assertThat(latest).as("latest update id >= last acknowledged").isGreaterThanOrEqualTo(acked.get());
    List<LedgerEvent> events = new java.util.ArrayList<>();
    for (long after = 0; ; ) {
      EventsResult page = cluster.client.events(after, 500).get(20, TimeUnit.SECONDS);
      if (page.getEventsCount() == 0) break;
      events.addAll(page.getEventsList());
      after = page.getEvents(page.getEventsCount() - 1).getSeq();
    }
    Set<Long> amounts = new HashSet<>();
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).getSeq()).as("ledger seq without gap").isEqualTo(i + 1L);
      assertThat(amounts.add(events.get(i).getPayment().getAmountMsat())).as("no duplicate payment event").isTrue();
    }
    assertThat(events).as("one ledger event per update 1..%d", latest).hasSize((int) latest);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(40_000);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
