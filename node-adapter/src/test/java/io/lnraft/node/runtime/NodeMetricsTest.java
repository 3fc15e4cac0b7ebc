package io.lnraft.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.node.gate.GatedCommitter;
import io.lnraft.node.testing.StoreCluster;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.StoreMetrics;
import com.google.protobuf.ByteString;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The process registry against a real in-process store: a commit shows up in the exposition. */
@Timeout(90)
class NodeMetricsTest {
  @TempDir Path dir;

  static final ChannelKey CH = Ops.channel(new byte[32], 0);

  @Test
  void aGatedCommitShowsUpInTheStoreAndGateMetersOfTheExposition() throws Exception {
    try (NodeMetrics metrics = new NodeMetrics();
        StoreCluster c = new StoreCluster(dir, new StoreMetrics(metrics.registry()))) {
      // Registered at construction: present, and zero, before any commit.
      assertThat(count(metrics.scrape(), "lnraft_store_commit_latency_seconds_count")).isZero();
      RaftStoreClient client = c.client(new StoreMetrics(metrics.registry()));
      WriterEpoch e = c.acquire(client);
      AtomicReference<String> failure = new AtomicReference<>();
      try (GatedCommitter g = new GatedCommitter(client, e.getEpoch(), () -> new byte[] {7}, tx -> {},
          Duration.ofSeconds(10), Duration.ofMillis(250), failure::set).meteredBy(metrics.registry()).start()) {
        g.runUnderGate(() -> g.stage(Ops.putBaseMonitor(CH, 0, new byte[] {1})));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> g.stats().commits() >= 1);
      }
      assertThat(failure.get()).isNull();
      String text = metrics.scrape();
      assertThat(text).contains("# TYPE lnraft_store_commit_latency_seconds histogram");
      // The epoch acquisition and the gated commit both went through the store client.
      assertThat(count(text, "lnraft_store_commit_latency_seconds_count")).isGreaterThanOrEqualTo(2);
      assertThat(count(text, "lnraft_gate_commit_latency_seconds_count")).isGreaterThanOrEqualTo(1);
      assertThat(count(text, "lnraft_gate_commits_total")).isGreaterThanOrEqualTo(1);
      assertThat(count(text, "lnraft_gate_committed_bytes_total")).isPositive();
      Awaitility.await().atMost(10, TimeUnit.SECONDS)
          .until(() -> count(metrics.scrape(), "lnraft_store_apply_latency_seconds_count") >= 1);
      assertThat(text).contains("# TYPE jvm_memory_used_bytes gauge", "# TYPE process_uptime_seconds gauge");
    }
  }

  @Test
  void paymentsThatBecomeFinalAreCountedByDirectionAndResultOnce() throws Exception {
    try (NodeMetrics metrics = new NodeMetrics();
        StoreCluster c = new StoreCluster(dir, new StoreMetrics(metrics.registry()))) {
      RaftStoreClient client = c.client(new StoreMetrics(metrics.registry()));
      WriterEpoch e = c.acquire(client);
      AtomicReference<String> failure = new AtomicReference<>();
      try (GatedCommitter g = new GatedCommitter(client, e.getEpoch(), () -> new byte[] {7}, tx -> {},
          Duration.ofSeconds(10), Duration.ofMillis(250), failure::set).meteredBy(metrics.registry()).start()) {
        String text0 = metrics.scrape();
        assertThat(payments(text0, "inbound", "succeeded")).as("registered at zero").isZero();
        assertThat(payments(text0, "outbound", "failed")).isZero();
        g.runUnderGate(() -> {
          g.stage(Ops.recordPayment(payment(1, PaymentDirection.INBOUND, PaymentStatus.SUCCEEDED)));
          g.stage(Ops.recordPayment(payment(2, PaymentDirection.OUTBOUND, PaymentStatus.PENDING)));
        });
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> g.stats().commits() >= 1);
        long before = g.stats().commits();
        g.runUnderGate(() -> {
          g.stage(Ops.recordPayment(payment(2, PaymentDirection.OUTBOUND, PaymentStatus.FAILED)));
          g.stage(Ops.recordPayment(payment(3, PaymentDirection.OUTBOUND, PaymentStatus.SUCCEEDED)));
        });
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> g.stats().commits() > before);
        long before2 = g.stats().commits();
        // A replay of a final record (after a restart) appends no ledger event and is not counted again.
        g.runUnderGate(() -> g.stage(Ops.recordPayment(payment(1, PaymentDirection.INBOUND, PaymentStatus.SUCCEEDED))));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> g.stats().commits() > before2);
      }
      assertThat(failure.get()).isNull();
      String text = metrics.scrape();
      assertThat(text).contains("# TYPE lnraft_node_payments_total counter");
      assertThat(payments(text, "inbound", "succeeded")).isEqualTo(1);
      assertThat(payments(text, "inbound", "failed")).isZero();
      assertThat(payments(text, "outbound", "succeeded")).isEqualTo(1);
      assertThat(payments(text, "outbound", "failed")).isEqualTo(1);
    }
  }

  static PaymentRecord payment(int n, PaymentDirection d, PaymentStatus s) {
    byte[] hash = new byte[32];
    hash[0] = (byte) n;
    PaymentRecord.Builder p = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(hash)).setDirection(d)
        .setStatus(s).setAmountMsat(1000L * n);
    if (s == PaymentStatus.SUCCEEDED) p.setPreimage(ByteString.copyFrom(new byte[32]));
    return p.build();
  }

  static double payments(String exposition, String direction, String result) {
    Matcher m = Pattern.compile("(?m)^lnraft_node_payments_total\\{(?=[^}]*direction=\"" + direction + "\")(?=[^}]*result=\""
        + result + "\")[^}]*\\} (\\S+)$").matcher(exposition);
    assertThat(m.find()).as("payments %s %s in the exposition", direction, result).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** The value of an untagged sample line {@code name value}. */
  static double count(String exposition, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? (\\S+)$").matcher(exposition);
    assertThat(m.find()).as("%s in the exposition", name).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
