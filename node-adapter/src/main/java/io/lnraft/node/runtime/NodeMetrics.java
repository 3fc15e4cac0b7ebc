package io.lnraft.node.runtime;

import io.lnraft.node.api.ChannelView;
import io.lnraft.node.ldk.ChannelInfo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meters of one replica process, in one Prometheus registry, served at {@code GET /metrics}.
 * Holds counts and timings only: never a seed, token, preimage, payment hash or node id.
 *
 * <p>Node gauges: {@code lnraft.node.ready.leader} (0/1), {@code lnraft.node.epoch} (0 unless the
 * ready leader), {@code lnraft.node.peers.connected}, {@code lnraft.node.channels{state}},
 * {@code lnraft.replica.term}, {@code lnraft.replica.commit.index}, {@code
 * lnraft.replica.applied.index}, {@code lnraft.replica.apply.lag}. Peers and channels are read
 * under the LDK gate, which a slow commit can hold: a sampler thread reads them every {@value
 * #SAMPLE_SECONDS} s, so a scrape never waits on the gate. The store's meters ({@code
 * lnraft.store.*}) and the gated committer's ({@code lnraft.gate.*}) record into the same
 * registry; JVM meters too.
 */
public final class NodeMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);
  static final int SAMPLE_SECONDS = 5;

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "lnraft-metrics-sampler");
    t.setDaemon(true);
    return t;
  });
  /** Last sample of the gated values; all zero when not the ready leader. */
  private volatile GatedSample sample = GatedSample.NONE;

  private record GatedSample(int peers, Map<ChannelView.State, Integer> channels) {
    static final GatedSample NONE = new GatedSample(0, Map.of());
  }

  public NodeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** Registers the node's gauges on {@code node} and starts sampling. Once. */
  void bindNode(NodeRuntime node) {
    Gauge.builder("lnraft.node.ready.leader", node, n -> n.isReadyLeader() ? 1 : 0)
        .description("1 while this replica is the ready Raft leader running the node").register(registry);
    Gauge.builder("lnraft.node.epoch", node, n -> n.readyLeader().map(l -> (double) l.epoch().getEpoch()).orElse(0.0))
        .description("writer epoch of the running node; 0 on followers").register(registry);
    Gauge.builder("lnraft.node.peers.connected", this, m -> m.sample.peers())
        .description("Lightning peers connected (sampled)").register(registry);
    for (ChannelView.State st : ChannelView.State.values()) {
      Gauge.builder("lnraft.node.channels", this, m -> m.sample.channels().getOrDefault(st, 0))
          .tag("state", st.name().toLowerCase(Locale.ROOT)).description("channels by state (sampled)").register(registry);
    }
    RaftServer server = node.replica().raftServer();
    var groupId = node.replica().group().getGroupId();
    Gauge.builder("lnraft.replica.term", node, n -> Math.max(0, n.replica().currentTerm()))
        .description("current Raft term of this replica").register(registry);
    Gauge.builder("lnraft.replica.commit.index", server, s -> raftIndex(s, groupId, false))
        .description("Raft commit index of this replica's log").register(registry);
    Gauge.builder("lnraft.replica.applied.index", server, s -> raftIndex(s, groupId, true))
        .description("last log index applied by this replica's state machine").register(registry);
    Gauge.builder("lnraft.replica.apply.lag", server,
            s -> Math.max(0, raftIndex(s, groupId, false) - raftIndex(s, groupId, true)))
        .description("entries committed but not yet applied on this replica").register(registry);
    sampler.scheduleWithFixedDelay(() -> sample(node), 0, SAMPLE_SECONDS, TimeUnit.SECONDS);
  }

  private static double raftIndex(RaftServer s, org.apache.ratis.protocol.RaftGroupId groupId, boolean applied) {
    try {
      var div = s.getDivision(groupId);
      return applied ? div.getInfo().getLastAppliedIndex() : div.getRaftLog().getLastCommittedIndex();
    } catch (Exception e) {
      return Double.NaN; // closed or not yet started: Prometheus shows NaN, not a made-up 0
    }
  }

  private void sample(NodeRuntime node) {
    try {
      Optional<LeaderNode> l = node.readyLeader();
      if (l.isEmpty()) {
        sample = GatedSample.NONE;
        return;
      }
      LeaderNode leader = l.get();
      int peers = leader.transport().connectedPeers().size();
      List<ChannelInfo> infos = leader.committer().underGate(() -> leader.ldk().listChannels());
      Map<ChannelView.State, Integer> byState = new EnumMap<>(ChannelView.State.class);
      for (ChannelInfo c : infos) {
        ChannelView.State st = c.usable() ? ChannelView.State.ACTIVE : c.ready() ? ChannelView.State.INACTIVE
            : ChannelView.State.PENDING_OPEN;
        byState.merge(st, 1, Integer::sum);
      }
      sample = new GatedSample(peers, byState);
    } catch (RuntimeException e) {
      // The node stopped while we looked (leadership moved): the next sample sees a follower.
      LOG.debug("metrics sample failed: {}", e.toString());
      sample = GatedSample.NONE;
    }
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    gc.close();
    registry.close();
  }
}
