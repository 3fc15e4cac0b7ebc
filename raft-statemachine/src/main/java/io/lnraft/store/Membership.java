package io.lnraft.store;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.util.TimeDuration;

/**
 * Online membership change of the replica group over Ratis' admin API: who the members are (as
 * the leader reports them, whatever a config file says), whether a new replica is ready to join,
 * and the change itself as ONE compare-and-set {@code setConfiguration} (Ratis stages new members
 * until they caught up, by snapshot install when the log behind the snapshot is purged, then
 * commits the joint and the new configuration). Used by {@code lnraft add-replica},
 * {@code remove-replica} and {@code replace-replica}, and by tests.
 */
public final class Membership {
  private Membership() {}

  /**
   * The group as its leader reports it.
   *
   * @param voters members of the current configuration (they vote and count for commits)
   * @param oldVoters while a change is being committed, the members of the previous configuration
   * @param commitIndex the leader's commit index when asked
   */
  public record View(RaftGroupId groupId, String leaderId, long term, List<RaftPeer> voters, List<RaftPeer> listeners,
      List<RaftPeer> oldVoters, long commitIndex) {
    public boolean inTransition() {
      return !oldVoters.isEmpty();
    }

    public Optional<RaftPeer> voter(String id) {
      return voters.stream().filter(p -> p.getId().toString().equals(id)).findFirst();
    }

    public List<String> voterIds() {
      return voters.stream().map(p -> p.getId().toString()).sorted().toList();
    }

    /** A group of the current voters (a client of it reaches every member, whatever a config file lists). */
    public RaftGroup group() {
      return RaftGroup.valueOf(groupId, voters);
    }

    public String describe() {
      return MembershipCheck.describe(voters);
    }
  }

  /** A new replica's readiness to be added; {@code problem} empty when it is ready. */
  public record JoinerCheck(Optional<String> problem) {}

  /**
   * Asks the replicas of {@code known} (e.g. a config file's list) for the group's leader, then the
   * leader for the configuration; every call bounded by {@code perCall}. Empty if no leader answers.
   */
  public static Optional<View> current(RaftGroup known, RaftProperties base, Duration perCall) {
    Map<String, RaftPeer> asked = new LinkedHashMap<>();
    Map<String, RaftPeer> toAsk = new LinkedHashMap<>();
    for (RaftPeer p : known.getPeers()) toAsk.put(p.getId().toString(), p);
    String hintedLeader = null;
    // Two rounds at most: the file's replicas, then members only the group knows (e.g. an added one).
    for (int round = 0; round < 2 && !toAsk.isEmpty(); round++) {
      Map<String, RaftPeer> next = new LinkedHashMap<>();
      List<String> order = new ArrayList<>(toAsk.keySet());
      if (hintedLeader != null && order.remove(hintedLeader)) order.add(0, hintedLeader);
      try (RaftClient client = client(RaftGroup.valueOf(known.getGroupId(), toAsk.values()), base, perCall, null)) {
        for (String id : order) {
          asked.put(id, toAsk.get(id));
          Optional<GroupInfoReply> reply = info(client, id, known.getGroupId(), perCall);
          if (reply.isEmpty()) continue;
          var role = reply.get().getRoleInfoProto();
          if (role.getRole() == RaftPeerRole.LEADER && role.hasLeaderInfo() && reply.get().getConf().isPresent()) {
            return Optional.of(view(known.getGroupId(), id, role.getLeaderInfo().getTerm(), reply.get()));
          }
          if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
            hintedLeader = role.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
          }
          for (RaftPeer p : reply.get().getGroup().getPeers()) {
            if (!asked.containsKey(p.getId().toString()) && !toAsk.containsKey(p.getId().toString())) {
              next.put(p.getId().toString(), p);
            }
          }
        }
      } catch (IOException e) {
        return Optional.empty();
      }
      toAsk = next;
    }
    return Optional.empty();
  }

  private static View view(RaftGroupId gid, String leader, long term, GroupInfoReply reply) {
    RaftConfigurationProto c = reply.getConf().orElseThrow();
    return new View(gid, leader, term, ProtoUtils.toRaftPeers(c.getPeersList()), ProtoUtils.toRaftPeers(c.getListenersList()),
        ProtoUtils.toRaftPeers(c.getOldPeersList()), reply.getLogInfoProto().getCommitted().getIndex());
  }

  /**
   * Waits (up to {@code wait}) until {@code peer} answers for the group as a replica that is not a
   * member of any configuration: started with {@code --join} on an empty directory.
   */
  public static JoinerCheck checkJoiner(RaftGroupId gid, RaftPeer peer, RaftProperties base, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    String last = "no answer";
    String id = peer.getId().toString();
    try (RaftClient client = client(RaftGroup.valueOf(gid, peer), base, Duration.ofSeconds(2), null)) {
      do {
        try {
          GroupInfoReply r = client.getGroupManagementApi(peer.getId()).info(gid);
          List<String> voters = r.getConf().map(c -> c.getPeersList().stream().map(p -> p.getId().toStringUtf8()).toList())
              .orElse(List.of());
          if (voters.contains(id)) {
            return new JoinerCheck(Optional.of(id + " at " + peer.getAddress() + " is already a member of its own"
                + " configuration [" + String.join(", ", voters.stream().sorted().toList()) + "] (was it started without"
                + " --join, or with a data directory that is not empty?). Adding it could let it act on that"
                + " configuration. Stop it, move its data directory away, start it with --join, and run this again."));
          }
          return new JoinerCheck(Optional.empty());
        } catch (GroupMismatchException e) {
          return new JoinerCheck(Optional.of(id + " at " + peer.getAddress() + " runs, but not as a replica of this"
              + " cluster (group " + gid.getUuid() + "): check cluster-id in its config file and start it with --join"));
        } catch (IOException | RuntimeException e) {
          last = rootMessage(e);
        }
        sleep(200);
      } while (System.nanoTime() < deadline);
    } catch (IOException e) {
      last = rootMessage(e);
    }
    return new JoinerCheck(Optional.of(id + " at " + peer.getAddress() + " did not answer within " + wait.toSeconds()
        + " s (" + last + "). Start it first with `lnraft replica --config <its config> --join` (or `lnraft node ...`"
        + " with --join), and check the address and the firewall between the replicas' raft ports."));
  }

  /**
   * Asks the leader to change the voters from {@code view.voters()} to {@code next}, only if the
   * configuration is still the one in {@code view} (compare-and-set: a concurrent change makes it
   * fail instead of being overwritten). Returns once Ratis committed the new configuration (new
   * members caught up first) or failed; bounded by {@code timeout}.
   */
  public static RaftClientReply change(View view, List<RaftPeer> next, RaftProperties base, Duration timeout)
      throws IOException {
    SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
        .setServersInCurrentConf(view.voters()).setListenersInCurrentConf(view.listeners())
        .setServersInNewConf(next).setListenersInNewConf(view.listeners())
        .build();
    Set<RaftPeer> all = new java.util.LinkedHashSet<>(view.voters());
    all.addAll(next);
    try (RaftClient client = client(RaftGroup.valueOf(view.groupId(), all), base, timeout,
        RaftPeerId.valueOf(view.leaderId()))) {
      CompletableFuture<RaftClientReply> f = CompletableFuture.supplyAsync(() -> {
        try {
          return client.admin().setConfiguration(args);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      try {
        return f.get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        f.cancel(true);
        throw new IOException("the leader " + view.leaderId() + " did not answer within " + timeout.toMillis() + " ms", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IOException(rootMessage(e), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  /** Polls (bounded) until the leader reports exactly {@code voterIds} and no change in progress. */
  public static Optional<View> awaitVoters(RaftGroup known, RaftProperties base, List<String> voterIds, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    List<String> want = voterIds.stream().sorted().toList();
    Optional<View> last = Optional.empty();
    do {
      Optional<View> v = current(known, base, Duration.ofSeconds(2));
      if (v.isPresent()) {
        last = v;
        if (!v.get().inTransition() && v.get().voterIds().equals(want)) return v;
        known = RaftGroup.valueOf(known.getGroupId(), union(known.getPeers(), v.get().voters()));
      }
      sleep(200);
    } while (System.nanoTime() < deadline);
    return last.filter(v -> !v.inTransition() && v.voterIds().equals(want));
  }

  /** Polls (bounded) one replica's own report; returns its applied index once it is at least {@code index}. */
  public static Optional<Long> awaitApplied(RaftGroupId gid, RaftPeer peer, RaftProperties base, long index, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    try (RaftClient client = client(RaftGroup.valueOf(gid, peer), base, Duration.ofSeconds(2), null)) {
      do {
        Optional<GroupInfoReply> r = info(client, peer.getId().toString(), gid, Duration.ofSeconds(2));
        if (r.isPresent()) {
          long applied = r.get().getLogInfoProto().getApplied().getIndex();
          if (applied >= index) return Optional.of(applied);
        }
        sleep(200);
      } while (System.nanoTime() < deadline);
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static List<RaftPeer> union(Iterable<RaftPeer> a, List<RaftPeer> b) {
    Map<String, RaftPeer> m = new LinkedHashMap<>();
    a.forEach(p -> m.put(p.getId().toString(), p));
    b.forEach(p -> m.putIfAbsent(p.getId().toString(), p));
    return List.copyOf(m.values());
  }

  private static Optional<GroupInfoReply> info(RaftClient client, String id, RaftGroupId gid, Duration perCall) {
    CompletableFuture<GroupInfoReply> f = CompletableFuture.supplyAsync(() -> {
      try {
        return client.getGroupManagementApi(RaftPeerId.valueOf(id)).info(gid);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      return Optional.of(f.get(perCall.toMillis() + 500, TimeUnit.MILLISECONDS));
    } catch (Exception e) {
      f.cancel(true);
      return Optional.empty();
    }
  }

  /** A client that tries once per call, each attempt bounded by {@code perCall}. */
  private static RaftClient client(RaftGroup group, RaftProperties base, Duration perCall, RaftPeerId leader) {
    RaftProperties props = new RaftProperties(base);
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(perCall.toMillis(), TimeUnit.MILLISECONDS));
    RaftClient.Builder b = RaftClient.newBuilder().setRaftGroup(group).setProperties(props)
        .setParameters(RaftTuning.parameters(props)).setRetryPolicy(RetryPolicies.noRetry());
    if (leader != null) b.setLeaderId(leader);
    return b.build();
  }

  /** Every cause in the chain, outermost first (Ratis wraps the useful one). */
  static String rootMessage(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.util.concurrent.ExecutionException || t instanceof java.io.UncheckedIOException) continue;
      if (b.length() > 0) b.append(" <- ");
      b.append(t.getClass().getSimpleName()).append(t.getMessage() == null ? "" : ": " + t.getMessage());
      if (b.length() > 600) break;
    }
    return b.toString();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ids of peers, sorted, for messages. */
  public static String ids(List<RaftPeer> peers) {
    return peers.stream().map(p -> p.getId().toString()).sorted().collect(Collectors.joining(", "));
  }
}
