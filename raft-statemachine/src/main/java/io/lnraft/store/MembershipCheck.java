package io.lnraft.store;

import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replica checks about its membership when it (re)starts with a Raft log. Ratis follows the
 * configuration in the log (or installed snapshot), never the config file's list; so a restarted
 * replica whose file lists an older membership still joins the current one, and we only warn that
 * the file is stale. A replica that was REMOVED from the group would sit idle (or, if it missed
 * its removal, keep asking for votes nobody grants): it asks the other replicas, and if the
 * group's leader reports a configuration without it, it refuses to run.
 */
final class MembershipCheck {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipCheck.class);
  private static final long PROBE_MS = 1500;

  private MembershipCheck() {}

  static void onStart(ReplicaServer r) throws MembershipException {
    ReplicaConfig cfg = r.config();
    RaftConfiguration conf;
    try {
      conf = r.raftServer().getDivision(r.group().getGroupId()).getRaftConf();
    } catch (java.io.IOException e) {
      return; // the division did not start; Ratis reports that itself
    }
    List<RaftPeer> members = List.copyOf(conf.getCurrentPeers());
    String self = cfg.replicaId();
    String inLog = describe(members);
    String inFile = cfg.replicas().stream().map(e -> e.id() + "@" + e.raft()).sorted().collect(Collectors.joining(", "));
    if (!inLog.equals(inFile)) {
      LOG.warn("replica {}: the group's configuration (from its Raft log, index {}) is [{}] but this config file lists"
          + " [{}]; Ratis follows the log. Update `replicas` in this replica's config file to the current members"
          + " (lnraft status lists them)", self, conf.getLogEntryIndex(), inLog, inFile);
    }
    Optional<RaftConfigurationProto> leaderConf = leaderConfiguration(r, members);
    if (leaderConf.isEmpty()) return; // no leader answered (first start, or the group is down): nothing to compare
    RaftConfigurationProto lc = leaderConf.get();
    boolean member = contains(lc.getPeersList(), self) || contains(lc.getOldPeersList(), self)
        || contains(lc.getListenersList(), self);
    if (!member) {
      throw new MembershipException("replica " + self + " is not a member of cluster " + cfg.clusterId()
          + ": the group's leader reports the members [" + describe(lc.getPeersList().stream()
              .map(org.apache.ratis.util.ProtoUtils::toRaftPeer).toList())
          + "]. Either it was removed (lnraft remove-replica / replace-replica), or it is a new replica started"
          + " without --join. It was stopped" + (r.freshStart() ? " and the storage this start created was deleted"
              : "; its data directory " + cfg.dataDir() + " is unchanged") + ". To make it a member:"
          + (r.freshStart() ? "" : " move that directory away,") + " start it with --join and run lnraft add-replica"
          + " --id " + self + " --raft " + cfg.self().raft() + " against the group; otherwise remove it from your"
          + " deployment.");
    }
  }

  /** The configuration reported by the leader of the highest term among the other replicas, if any answers. */
  private static Optional<RaftConfigurationProto> leaderConfiguration(ReplicaServer r, List<RaftPeer> members) {
    ReplicaConfig cfg = r.config();
    Map<String, RaftPeer> others = new LinkedHashMap<>();
    for (RaftPeer p : members) others.put(p.getId().toString(), p);
    for (ReplicaEndpoint e : cfg.replicas()) others.putIfAbsent(e.id(), RaftGroups.peer(e));
    others.remove(cfg.replicaId());
    if (others.isEmpty()) return Optional.empty();
    RaftProperties props = new RaftProperties(r.properties());
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(PROBE_MS, TimeUnit.MILLISECONDS));
    RaftGroup probeGroup = RaftGroup.valueOf(r.group().getGroupId(), others.values());
    ExecutorService pool = Executors.newFixedThreadPool(others.size(), t -> {
      Thread th = new Thread(t, "lnraft-membership-probe");
      th.setDaemon(true);
      return th;
    });
    try (RaftClient client = RaftClient.newBuilder().setRaftGroup(probeGroup).setProperties(props)
        .setParameters(RaftTuning.parameters(props))
        .setRetryPolicy(RetryPolicies.noRetry()).build()) {
      List<CompletableFuture<Optional<GroupInfoReply>>> asks = new ArrayList<>();
      for (String id : others.keySet()) {
        asks.add(CompletableFuture.supplyAsync(() -> {
          try {
            return Optional.of(client.getGroupManagementApi(RaftPeerId.valueOf(id)).info(probeGroup.getGroupId()));
          } catch (Exception e) {
            return Optional.<GroupInfoReply>empty();
          }
        }, pool));
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * PROBE_MS);
      GroupInfoReply best = null;
      for (CompletableFuture<Optional<GroupInfoReply>> f : asks) {
        Optional<GroupInfoReply> reply;
        try {
          reply = f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
          continue;
        }
        if (reply.isEmpty() || reply.get().getConf().isEmpty()) continue;
        var role = reply.get().getRoleInfoProto();
        if (role.getRole() != RaftPeerRole.LEADER || !role.hasLeaderInfo()) continue;
        if (best == null || role.getLeaderInfo().getTerm() > best.getRoleInfoProto().getLeaderInfo().getTerm()) {
          best = reply.get();
        }
      }
      return best == null ? Optional.empty() : best.getConf();
    } catch (java.io.IOException e) {
      return Optional.empty();
    } finally {
      pool.shutdownNow();
    }
  }

  private static boolean contains(List<RaftPeerProto> peers, String id) {
    return peers.stream().anyMatch(p -> p.getId().toStringUtf8().equals(id));
  }

  static String describe(Collection<RaftPeer> peers) {
    return peers.stream().map(p -> p.getId() + "@" + p.getAddress()).sorted().collect(Collectors.joining(", "));
  }
}
