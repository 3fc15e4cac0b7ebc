package io.lnraft.store.cli;

import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.store.GroupProbe;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.StoreMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft transfer-leader --config FILE --to r2 [--timeout 10s]}: a planned handover (before
 * maintenance of the leader's machine). Asks the current leader to hand Raft leadership to the
 * given replica (Ratis transfers only to a replica whose log is caught up), then waits until that
 * replica reports itself leader. The old leader's node stops when it loses leadership and the new
 * one starts its node as after any election; the API is 503 in between. Everything is bounded by
 * the timeout. Exit 0: the replica leads (printed); 1: it does not within the timeout; 2: usage.
 */
@Command(name = "transfer-leader", mixinStandardHelpOptions = true,
    description = "Hand Raft leadership (and so the Lightning node) to another replica, e.g. before maintenance.")
public final class TransferLeaderCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "any replica's HOCON config file")
  Path config;

  @Option(names = "--to", required = true, description = "id of the replica that should lead, e.g. r2")
  String to;

  @Option(names = "--timeout", defaultValue = "10s", description = "deadline for the whole handover (default ${DEFAULT-VALUE})",
      converter = StatusCommand.DurationConverter.class)
  Duration timeout;

  @Override
  public Integer call() {
    Optional<ReplicaConfig> loaded = AdminClients.load(config);
    if (loaded.isEmpty()) return 2;
    ReplicaConfig cfg = loaded.get();
    RaftGroup fileGroup = RaftGroups.group(cfg);
    RaftProperties props = RaftTuning.properties(cfg.raft(), cfg.snapshot(), Map.of());
    // The members as the leader reports them (the file may be stale after a membership change).
    Optional<io.lnraft.store.Membership.View> view = io.lnraft.store.Membership.current(fileGroup, props,
        Duration.ofSeconds(3));
    java.util.List<String> members = view.map(io.lnraft.store.Membership.View::voterIds)
        .orElse(cfg.replicas().stream().map(ReplicaEndpoint::id).toList());
    if (!members.contains(to)) {
      System.err.println("no replica '" + to + "' in this cluster; members: " + members);
      return 2;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    java.util.Map<String, org.apache.ratis.protocol.RaftPeer> peers = new java.util.LinkedHashMap<>();
    view.ifPresent(v -> v.voters().forEach(p -> peers.put(p.getId().toString(), p)));
    fileGroup.getPeers().forEach(p -> peers.putIfAbsent(p.getId().toString(), p));
    RaftGroup group = RaftGroup.valueOf(fileGroup.getGroupId(), peers.values());
    try (RaftStoreClient probe = new RaftStoreClient(group, props, Duration.ofSeconds(2), StoreMetrics.inMemory())) {
      Optional<GroupProbe.Leader> current = findLeader(probe, group);
      if (current.isEmpty()) {
        System.err.println("no replica reports itself leader; try again after the election (lnraft status)");
        return 1;
      }
      if (current.get().replicaId().equals(to)) {
        System.out.println("leader: " + to + " (term " + current.get().term() + "), already");
        return 0;
      }
      System.out.println("transferring leadership from " + current.get().replicaId() + " (term " + current.get().term()
          + ") to " + to);
      long asked = System.nanoTime();
      Optional<String> refused = transfer(group, props, current.get().replicaId(), remainingMs(deadline));
      System.out.println("request " + refused.orElse("accepted") + " after " + (System.nanoTime() - asked) / 1_000_000 + " ms");
      // Whatever the admin call said, the group's own report decides.
      while (System.nanoTime() < deadline) {
        Optional<GroupProbe.Leader> now = GroupProbe.leaderSelfReport(probe, group, to);
        if (now.isPresent()) {
          System.out.println("leader: " + to + " (term " + now.get().term() + "), " + (System.nanoTime() - asked) / 1_000_000
              + " ms after the request");
          return 0;
        }
        sleep(100);
      }
      Optional<GroupProbe.Leader> now = findLeader(probe, group);
      System.err.println("leadership did not move to " + to + " within " + timeout.toMillis() + " ms"
          + refused.map(r -> " (" + r + ")").orElse("") + "; leader now: "
          + now.map(l -> l.replicaId() + " (term " + l.term() + ")").orElse("none"));
      return 1;
    }
  }

  /** Sends the request to the leader; empty if accepted, else why not. Bounded by timeoutMs. */
  private Optional<String> transfer(RaftGroup group, RaftProperties base, String leaderId, long timeoutMs) {
    RaftProperties props = new RaftProperties(base);
    // One attempt that may take the whole transfer timeout (the default request timeout is shorter).
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(timeoutMs, TimeUnit.MILLISECONDS));
    try (RaftClient client = RaftClient.newBuilder().setRaftGroup(group).setProperties(props)
        .setParameters(io.lnraft.store.RaftTuning.parameters(props))
        .setLeaderId(RaftPeerId.valueOf(leaderId)).setRetryPolicy(RetryPolicies.noRetry()).build()) {
      CompletableFuture<RaftClientReply> f = CompletableFuture.supplyAsync(() -> {
        try {
          return client.admin().transferLeadership(RaftPeerId.valueOf(to), RaftPeerId.valueOf(leaderId), timeoutMs);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      RaftClientReply reply = f.get(timeoutMs + 1000, TimeUnit.MILLISECONDS);
      return reply.isSuccess() ? Optional.empty() : Optional.of("refused: " + reply.getException());
    } catch (java.util.concurrent.TimeoutException e) {
      return Optional.of("no answer from " + leaderId + " within " + timeoutMs + " ms");
    } catch (Exception e) {
      Throwable t = e;
      while (t.getCause() != null) t = t.getCause();
      return Optional.of("request failed: " + t);
    }
  }

  private static Optional<GroupProbe.Leader> findLeader(RaftStoreClient probe, RaftGroup group) {
    GroupProbe.Leader best = null;
    for (org.apache.ratis.protocol.RaftPeer r : group.getPeers()) {
      Optional<GroupProbe.Leader> l = GroupProbe.leaderSelfReport(probe, group, r.getId().toString());
      if (l.isPresent() && (best == null || l.get().term() > best.term())) best = l.get();
    }
    return Optional.ofNullable(best);
  }

  private static long remainingMs(long deadline) {
    return Math.max(100, (deadline - System.nanoTime()) / 1_000_000);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
