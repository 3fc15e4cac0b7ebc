package io.lnraft.store.cli;

import io.lnraft.config.HostPort;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.store.Membership;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftTuning;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft add-replica / remove-replica / replace-replica}: online membership change of the
 * running group through Ratis' admin API ({@link Membership}). Every request is checked against
 * the configuration the LEADER reports (not the config file, which may be stale) and refused,
 * with nothing changed, when it is unsafe: an id that is already a member, removing the leader,
 * fewer than 3 voters without --force, a new replica that is not running empty with --join. The
 * change is one compare-and-set; a replace is a single joint-consensus change (the group is never
 * at 2 or 4 members in between). Exit 0: done; 1: failed or timed out (run lnraft status);
 * 2: refused, nothing changed.
 */
public final class MembershipCommands {
  private MembershipCommands() {}

  /** What a command wants to change, or why it refuses. */
  record Plan(List<RaftPeer> next, Optional<RaftPeer> joiner, Optional<String> leaving, String what) {}

  abstract static class Base implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "any replica's HOCON config file (it finds the group;"
        + " the members are taken from the group's leader)")
    Path config;

    @Option(names = "--timeout", defaultValue = "120s", converter = StatusCommand.DurationConverter.class,
        description = "deadline for the change, including the new replica's catch-up (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--wait-new", defaultValue = "10s", converter = StatusCommand.DurationConverter.class,
        description = "how long to wait for a new replica to answer before refusing (default ${DEFAULT-VALUE})")
    Duration waitNew;

    /** peer/api addresses of a new replica, only to print the config line operators need. */
    @Option(names = "--peer", description = "the new replica's Lightning peer address (only printed in the suggested config)")
    String peer;

    @Option(names = "--api", description = "the new replica's API address (only printed in the suggested config)")
    String api;

    abstract Object plan(ReplicaConfig cfg, Membership.View view);

    @Override
    public Integer call() {
      Optional<ReplicaConfig> loaded = AdminClients.load(config);
      if (loaded.isEmpty()) return 2;
      ReplicaConfig cfg = loaded.get();
      long deadline = System.nanoTime() + timeout.toNanos();
      RaftProperties props = RaftTuning.properties(cfg.raft(), cfg.snapshot(), Map.of());
      RaftGroup known = RaftGroups.group(cfg);
      // Bounded retries: right after an election (or on a loaded machine) no replica may report a
      // leader for a moment.
      Optional<Membership.View> found = findView(known, props);
      if (found.isEmpty()) {
        System.err.println("no leader answered (asked " + MembershipCheckNames.of(known) + "): the group needs a leader"
            + " to change its members. Check lnraft status --config " + config + "; nothing was changed.");
        return 1;
      }
      Membership.View view = found.get();
      System.out.println("members: " + view.describe() + "; leader " + view.leaderId() + " (term " + view.term() + ")");
      if (view.inTransition()) {
        System.err.println("refused: a membership change is being committed (from [" + Membership.ids(view.oldVoters())
            + "] to [" + Membership.ids(view.voters()) + "]); wait for it, check lnraft status, then run this again."
            + " Nothing was changed.");
        return 2;
      }
      Object p = plan(cfg, view);
      if (p instanceof String refusal) {
        System.err.println("refused: " + refusal + " Nothing was changed.");
        return 2;
      }
      Plan plan = (Plan) p;
      if (plan.joiner().isPresent()) {
        RaftPeer j = plan.joiner().get();
        Membership.JoinerCheck check = Membership.checkJoiner(view.groupId(), j, props, waitNew);
        if (check.problem().isPresent()) {
          System.err.println("refused: " + check.problem().get() + " Nothing was changed.");
          return 2;
        }
        System.out.println(j.getId() + " at " + j.getAddress() + " answers and waits to join");
      }
      System.out.println(plan.what() + ": [" + Membership.ids(view.voters()) + "] -> [" + Membership.ids(plan.next()) + "]"
          + (plan.joiner().isPresent() ? " (the new replica catches up first: snapshot install, or the log if the"
              + " leader still holds it)" : ""));
      long t0 = System.nanoTime();
      List<String> nextIds = plan.next().stream().map(x -> x.getId().toString()).toList();
      RaftClientReply reply = null;
      // A request can fail without an answer (leadership moving, a loaded machine). The change is a
      // compare-and-set, so it is safe to ask again, bounded: if the members are still the old
      // ones, nothing happened; if they are the new ones, the first attempt did it.
      for (int attempt = 1; reply == null; attempt++) {
        try {
          reply = Membership.change(view, plan.next(), props, remaining(deadline));
        } catch (java.io.IOException e) {
          Optional<Membership.View> now = findView(known, props);
          if (now.isPresent() && !now.get().inTransition() && now.get().voterIds().equals(nextIds.stream().sorted().toList())) {
            break; // it was committed
          }
          boolean unchanged = now.isPresent() && !now.get().inTransition()
              && now.get().voterIds().equals(view.voterIds());
          if (attempt >= 3 || !unchanged || System.nanoTime() > deadline) {
            System.err.println("the change failed: " + e.getMessage() + ". Members now: "
                + now.map(Membership.View::describe).orElse("unknown (no leader answered)")
                + "; run lnraft status --config " + config + " and compare.");
            return 1;
          }
          System.out.println("attempt " + attempt + " failed (" + e.getMessage() + "); members unchanged, asking "
              + now.get().leaderId() + " again");
          view = now.get();
        }
      }
      if (reply != null && !reply.isSuccess()) {
        System.err.println("the leader refused or could not complete the change: " + reply.getException()
            + ". Members now: " + Membership.current(known, props, Duration.ofSeconds(3)).map(Membership.View::describe)
                .orElse("unknown (no leader answered)")
            + (plan.joiner().isPresent() ? ". Is the new replica reachable from the leader, and fast enough to catch up"
                + " within --timeout? Run this again to retry." : ""));
        return 1;
      }
      RaftGroup wider = RaftGroup.valueOf(view.groupId(), union(view.voters(), plan.next()));
      Optional<Membership.View> after = Membership.awaitVoters(wider, props, nextIds, remaining(deadline));
      if (after.isEmpty()) {
        System.err.println("the leader accepted the change but does not report members [" + String.join(", ", nextIds)
            + "] within the timeout; run lnraft status --config " + config);
        return 1;
      }
      System.out.println("committed in " + (System.nanoTime() - t0) / 1_000_000 + " ms; members: " + after.get().describe()
          + "; leader " + after.get().leaderId() + " (term " + after.get().term() + ")");
      if (plan.joiner().isPresent()) {
        RaftPeer j = plan.joiner().get();
        Optional<Long> applied = Membership.awaitApplied(view.groupId(), j, props, after.get().commitIndex(),
            remaining(deadline));
        if (applied.isEmpty()) {
          System.err.println(j.getId() + " is a member but has not applied index " + after.get().commitIndex()
              + " within the timeout; watch lnraft status");
          return 1;
        }
        System.out.println(j.getId() + " is a voting member and has applied index " + applied.get());
      }
      printNextSteps(cfg, after.get(), plan);
      return 0;
    }

    /** The leader's view, asked again (bounded) while no replica reports a leader (elections, a loaded machine). */
    private Optional<Membership.View> findView(RaftGroup known, RaftProperties props) {
      Optional<Membership.View> found = Membership.current(known, props, Duration.ofSeconds(3));
      long findBy = System.nanoTime() + Math.min(timeout.toNanos(), Duration.ofSeconds(30).toNanos());
      while (found.isEmpty() && System.nanoTime() < findBy) {
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        found = Membership.current(known, props, Duration.ofSeconds(3));
      }
      return found;
    }

    private void printNextSteps(ReplicaConfig cfg, Membership.View view, Plan plan) {
      System.out.println();
      System.out.println("Next: put the current members in EVERY replica's config file (Ratis follows its log; the");
      System.out.println("file seeds a fresh group and tells admin commands where to look):");
      System.out.println("  replicas = [");
      for (RaftPeer p : view.voters().stream().sorted(java.util.Comparator.comparing(x -> x.getId().toString())).toList()) {
        String id = p.getId().toString();
        Optional<ReplicaEndpoint> e = cfg.replicas().stream().filter(r -> r.id().equals(id)).findFirst();
        String peerAddr = e.map(r -> r.peer().toString()).orElse(peer != null ? peer : "<peer host:port>");
        String apiAddr = e.map(r -> r.api().toString()).orElse(api != null ? api : "<api host:port>");
        System.out.printf("    { id = \"%s\", raft = \"%s\", peer = \"%s\", api = \"%s\" }%n", id, p.getAddress(), peerAddr,
            apiAddr);
      }
      System.out.println("  ]");
      plan.leaving().ifPresent(id -> System.out.println("Stop " + id + " and move its data directory away: it is no"
          + " longer a member (restarted as it is, it refuses to run)."));
    }
  }

  @Command(name = "add-replica", mixinStandardHelpOptions = true,
      description = "Add a new replica to the running group; it must already run empty with --join.")
  public static final class Add extends Base {
    @Option(names = "--id", required = true, description = "the new replica's id, e.g. r4")
    String id;

    @Option(names = "--raft", required = true, description = "the new replica's raft address host:port")
    String raft;

    @Override
    Object plan(ReplicaConfig cfg, Membership.View view) {
      Object joiner = joiner(view, id, raft);
      if (joiner instanceof String s) return s;
      List<RaftPeer> next = new ArrayList<>(view.voters());
      next.add((RaftPeer) joiner);
      return new Plan(next, Optional.of((RaftPeer) joiner), Optional.empty(), "adding " + id);
    }
  }

  @Command(name = "remove-replica", mixinStandardHelpOptions = true,
      description = "Remove a replica from the running group (not the leader; not below 3 without --force).")
  public static final class Remove extends Base {
    @Option(names = "--id", required = true, description = "the replica to remove, e.g. r3")
    String id;

    @Option(names = "--force", description = "allow fewer than 3 voting members (then one more failure stops the group)")
    boolean force;

    @Override
    Object plan(ReplicaConfig cfg, Membership.View view) {
      Object leaving = leaving(view, id);
      if (leaving instanceof String s) return s;
      List<RaftPeer> next = view.voters().stream().filter(p -> !p.getId().toString().equals(id)).toList();
      if (next.size() < 3 && !force) {
        return "removing " + id + " leaves " + next.size() + " voting members [" + Membership.ids(next) + "]: "
            + (next.size() == 2 ? "every commit then needs both, so one more failure stops the node" : "no failure tolerated")
            + ". Add a replacement first (lnraft replace-replica does both at once), or pass --force if this is intended.";
      }
      return new Plan(next, Optional.empty(), Optional.of(id), "removing " + id);
    }
  }

  @Command(name = "replace-replica", mixinStandardHelpOptions = true,
      description = "Replace one replica by a new one in a single change (e.g. a lost machine); the new one runs with --join.")
  public static final class Replace extends Base {
    @Option(names = "--remove", required = true, description = "the replica to replace, e.g. r3 (may be down)")
    String old;

    @Option(names = "--id", required = true, description = "the new replica's id, e.g. r4")
    String id;

    @Option(names = "--raft", required = true, description = "the new replica's raft address host:port")
    String raft;

    @Override
    Object plan(ReplicaConfig cfg, Membership.View view) {
      Object leaving = leaving(view, old);
      if (leaving instanceof String s) return s;
      Object joiner = joiner(view, id, raft);
      if (joiner instanceof String s) return s;
      List<RaftPeer> next = new ArrayList<>(view.voters().stream().filter(p -> !p.getId().toString().equals(old)).toList());
      next.add((RaftPeer) joiner);
      return new Plan(next, Optional.of((RaftPeer) joiner), Optional.of(old), "replacing " + old + " by " + id);
    }
  }

  /** The new member as a RaftPeer, or why not. */
  static Object joiner(Membership.View view, String id, String raft) {
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,31}")) {
      return "'" + id + "' is not a replica id (letters, digits, - and _, e.g. r4).";
    }
    HostPort addr;
    try {
      addr = HostPort.parse(raft);
    } catch (IllegalArgumentException e) {
      return "--raft: " + e.getMessage() + ".";
    }
    if (view.voter(id).isPresent() || view.listeners().stream().anyMatch(p -> p.getId().toString().equals(id))) {
      return id + " is already a member [" + Membership.ids(view.voters()) + "]; choose a new id (a replica that"
          + " lost its directory needs no membership change: move the directory away and restart it).";
    }
    Optional<RaftPeer> sameAddr = view.voters().stream().filter(p -> addr.toString().equals(p.getAddress())).findFirst();
    if (sameAddr.isPresent()) {
      return addr + " is already the raft address of " + sameAddr.get().getId() + ".";
    }
    return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(id)).setAddress(addr.toString()).build();
  }

  /** Null if {@code id} may leave, else why not. */
  static Object leaving(Membership.View view, String id) {
    if (view.voter(id).isEmpty()) {
      return id + " is not a member; members: [" + Membership.ids(view.voters()) + "].";
    }
    if (view.leaderId().equals(id)) {
      String other = view.voterIds().stream().filter(x -> !x.equals(id)).findFirst().orElse("r?");
      return id + " is the leader (term " + view.term() + "): hand leadership over first, e.g. lnraft transfer-leader"
          + " --config <file> --to " + other + ", then run this again.";
    }
    return null;
  }

  private static List<RaftPeer> union(List<RaftPeer> a, List<RaftPeer> b) {
    Map<String, RaftPeer> m = new java.util.LinkedHashMap<>();
    a.forEach(p -> m.put(p.getId().toString(), p));
    b.forEach(p -> m.putIfAbsent(p.getId().toString(), p));
    return List.copyOf(m.values());
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(Duration.ofSeconds(1).toNanos(), deadline - System.nanoTime()));
  }

  /** Names of the replicas asked, for messages. */
  static final class MembershipCheckNames {
    static String of(RaftGroup g) {
      return g.getPeers().stream().map(p -> p.getId() + "@" + p.getAddress()).sorted().toList().toString();
    }
  }
}
