package io.lnraft.store;

import io.lnraft.store.proto.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Meters of the store. Exposition (Prometheus) is the operations issue's job; this only records.
 * Names: {@code lnraft.store.commit.latency} (client side, submit to reply),
 * {@code lnraft.store.apply.latency} (state machine apply), {@code lnraft.store.rejected}
 * (by reason), {@code lnraft.store.leader.changes}, {@code lnraft.store.committed.bytes}.
 */
public final class StoreMetrics {
  private final MeterRegistry registry;
  private final Timer commitLatency;
  private final Timer applyLatency;
  private final Counter leaderChanges;
  private final Counter committedBytes;
  private final Map<Status, Counter> rejected = new EnumMap<>(Status.class);

  public StoreMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.commitLatency = Timer.builder("lnraft.store.commit.latency").description("commit submit to reply")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    this.applyLatency = Timer.builder("lnraft.store.apply.latency").description("state machine apply of one entry")
        .publishPercentileHistogram().register(registry);
    this.leaderChanges = Counter.builder("lnraft.store.leader.changes").register(registry);
    this.committedBytes = Counter.builder("lnraft.store.committed.bytes").baseUnit("bytes").register(registry);
    for (Status s : new Status[] {Status.FENCED, Status.CONFLICT, Status.INVALID}) {
      rejected.put(s, Counter.builder("lnraft.store.rejected").tag("reason", s.name()).register(registry));
    }
  }

  /** Meters kept in memory only (tests, tools). */
  public static StoreMetrics inMemory() {
    return new StoreMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Timer commitLatency() {
    return commitLatency;
  }

  void applied(long nanos, Status status, int bytes) {
    applyLatency.record(Duration.ofNanos(nanos));
    Counter c = rejected.get(status);
    if (c != null) {
      c.increment();
    } else {
      committedBytes.increment(bytes);
    }
  }

  void rejectedBeforeLog() {
    rejected.get(Status.INVALID).increment();
  }

  void leaderChanged() {
    leaderChanges.increment();
  }

  public double rejectedCount(Status s) {
    Counter c = rejected.get(s);
    return c == null ? 0 : c.count();
  }
}
