package io.lnraft.store.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.Membership;
import io.lnraft.store.MembershipException;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin commands against a real three-replica group (Ratis + RocksDB per replica, loopback,
 * config files as an operator has them): transfer-leader, snapshot, replace-replica while commits
 * flow, remove and re-add, and requests that must be refused without changing anything.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MembershipCommandsTest {
  @TempDir Path dir;

  private static final ChannelKey CH = Ops.channel(new byte[32], 7);

  /** Commits monitor updates last+1 in a loop; remembers the highest update id acknowledged. */
  static final class Writer implements AutoCloseable {
    final AtomicLong epoch;
    final AtomicLong acked = new AtomicLong(0);
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Writer(RaftStoreClient client, long epoch) {
      this.epoch = new AtomicLong(epoch);
      thread = new Thread(() -> {
        long next = 1;
        while (!stop.get()) {
          try {
            CommitOutcome o = client.commit(this.epoch.get(), List.of(Ops.appendMonitorUpdate(CH, next, new byte[400]),
                Ops.putManager(new byte[4096]))).get(20, TimeUnit.SECONDS);
            if (o instanceof CommitOutcome.Committed) {
              acked.set(next++);
            } else if (o instanceof CommitOutcome.Fenced) {
              Thread.sleep(20); // the test moved the epoch; pick it up
            } else {
              // Conflict: an earlier attempt whose outcome we did not learn did commit. Resync.
              next = client.startupState().get(20, TimeUnit.SECONDS).getChannels(0).getRecord().getLatestUpdateId() + 1;
              acked.set(next - 1);
            }
          } catch (Exception e) {
            if (stop.get()) break;
            try {
              Thread.sleep(100); // leader change or a stopped replica: unknown outcome, retried; a Conflict resyncs
            } catch (InterruptedException ie) {
              break;
            }
          } catch (Throwable t) {
            failure.set(t);
            break;
          }
        }
      }, "membership-test-writer");
      thread.setDaemon(true);
      thread.start();
    }

    void awaitMore(long n, String why) {
      long target = acked.get() + n;
      Awaitility.await(why).atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
          .until(() -> acked.get() >= target);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
    }
  }

  /**
   * Runs a command built for the current leader; if the command saw another leader (elections on
   * a loaded machine move leadership between our look and its look), runs it again, bounded.
   */
  static LayoutCluster.Run withLeader(LayoutCluster c, String viaConfigOf,
      java.util.function.Function<String, LayoutCluster.Run> byLeader) {
    LayoutCluster.Run last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      String leader = Membership.current(c.group(viaConfigOf), RaftTuning.properties(c.configs.get(viaConfigOf).raft(),
          c.configs.get(viaConfigOf).snapshot(), Map.of()), Duration.ofSeconds(3)).map(Membership.View::leaderId)
          .orElse(null);
      if (leader == null) continue;
      last = byLeader.apply(leader);
      if (last.out().contains("leader " + leader + " (term")) return last;
    }
    return last;
  }

  @Test
  void replaceR3ByR4WhileCommitsFlow_r4CatchesUpBySnapshotVotesAndCanLead() throws Exception {
    try (LayoutCluster c = new LayoutCluster(dir.resolve("cluster"))) {
      c.awaitLeader();
      // transfer-leader against the real group.
      LayoutCluster.Run t = LayoutCluster.run(new TransferLeaderCommand(), "--config", c.file("r1"), "--to", "r1",
          "--timeout", "30s");
      assertThat(t.code()).as(t.all()).isZero();
      assertThat(t.out()).contains("leader: r1");
      RaftStoreClient client = c.client("r1");
      WriterEpoch e1 = c.acquireOnLeader(client);
      assertThat(client.commit(e1.getEpoch(), List.of(Ops.putBaseMonitor(CH, 0, new byte[4500]))).get(20, TimeUnit.SECONDS))
          .isInstanceOf(CommitOutcome.Committed.class);

      try (Writer w = new Writer(client, e1.getEpoch())) {
        w.awaitMore(150, "commits before the snapshot");
        // snapshot against the real group: every replica checkpoints, the log behind it is purged.
        LayoutCluster.Run s = LayoutCluster.run(new SnapshotCommand(), "--config", c.file("r1"));
        assertThat(s.code()).as(s.all()).isZero();
        w.awaitMore(50, "commits after the snapshot");

        // r4's file lists the NEW membership; it starts empty with --join and waits.
        ReplicaEndpoint r4 = c.newReplicaConfig("r4", List.of("r1", "r2"), false);
        ReplicaServer s4 = c.start("r4", true);
        assertThat(s4.waitingToJoin()).isTrue();

        // r3 must not lead (the command refuses that); elections may have moved leadership to it.
        LayoutCluster.Run rep = withLeader(c, "r1", leader -> {
          if (leader.equals("r3")) {
            LayoutCluster.run(new TransferLeaderCommand(), "--config", c.file("r1"), "--to", "r1", "--timeout", "30s");
            return new LayoutCluster.Run(-1, "", "r3 led; moved", 0);
          }
          return LayoutCluster.run(new MembershipCommands.Replace(), "--config", c.file("r1"), "--remove", "r3", "--id",
              "r4", "--raft", r4.raft().toString(), "--timeout", "120s");
        });
        assertThat(rep.code()).as(rep.all()).isZero();
        assertThat(rep.out()).contains("r4 is a voting member").contains("id = \"r4\"").contains("Stop r3");
        c.stop("r3");
        assertThat(c.membersSeenBy("r4")).containsExactly("r1", "r2", "r4");
        assertThat(s4.waitingToJoin()).isFalse();
        // r4 was filled by snapshot install: its log starts after the snapshot, not at 0.
        long r4LogStart = s4.raftServer().getDivision(s4.group().getGroupId()).getRaftLog().getStartIndex();
        assertThat(r4LogStart).as("r4's first log index (snapshot installed)").isGreaterThan(1);
        w.awaitMore(50, "commits after the replacement");

        // The new member can lead and take the writer epoch; the old epoch is fenced.
        WriterEpoch e4 = null;
        for (int attempt = 0; attempt < 3 && (e4 == null || !e4.getReplicaId().equals("r4")); attempt++) {
          LayoutCluster.Run t4 = LayoutCluster.run(new TransferLeaderCommand(), "--config", c.file("r4"), "--to", "r4",
              "--timeout", "30s");
          assertThat(t4.code()).as(t4.all()).isZero();
          e4 = c.acquireOnLeader(client); // an election may move leadership again on a loaded machine: then retry
        }
        assertThat(e4.getReplicaId()).isEqualTo("r4");
        assertThat(client.commit(e1.getEpoch(), List.of(Ops.putManager(new byte[] {1}))).get(20, TimeUnit.SECONDS))
            .isInstanceOf(CommitOutcome.Fenced.class);
        w.epoch.set(e4.getEpoch());
        w.awaitMore(50, "commits under r4's epoch");

        // r4 counts for the majority: with r2 gone, r1 + r4 still commit.
        c.stop("r2");
        w.awaitMore(50, "commits with r2 down (r1 + r4 the majority)");
        assertThat(w.failure.get()).isNull();
        w.close();

        long acked = w.acked.get();
        long latest = client.startupState().get(20, TimeUnit.SECONDS).getChannels(0).getRecord().getLatestUpdateId();
        assertThat(latest).as("nothing acknowledged was lost").isGreaterThanOrEqualTo(acked);
        long leaderApplied = c.running.get(c.awaitLeader()).stateMachine().appliedIndex();
        c.awaitApplied(leaderApplied, "r1", "r4");
        assertThat(c.localDigest("r4")).isEqualTo(c.localDigest("r1"));

        // r2 restarts with its STALE file (lists r1, r2, r3): it follows the log's configuration.
        c.start("r2", false);
        c.awaitApplied(leaderApplied, "r2");
        assertThat(c.membersSeenBy("r2")).containsExactly("r1", "r2", "r4");
        assertThat(c.localDigest("r2")).isEqualTo(c.localDigest("r4"));

        // The replaced r3, restarted with its old directory and file, refuses to run.
        assertThatThrownBy(() -> c.start("r3", false)).isInstanceOf(MembershipException.class)
            .hasMessageContaining("r3 is not a member").hasMessageContaining("--join");
      }
    }
  }

  @Test
  void removeThenAddBack() throws Exception {
    try (LayoutCluster c = new LayoutCluster(dir.resolve("cluster"))) {
      c.awaitLeader();
      RaftStoreClient client = c.client("r1");
      WriterEpoch e = c.acquireOnLeader(client);
      assertThat(client.commit(e.getEpoch(), List.of(Ops.putBaseMonitor(CH, 0, new byte[4500]))).get(20, TimeUnit.SECONDS))
          .isInstanceOf(CommitOutcome.Committed.class);

      String[] roles = new String[3]; // leader, victim, other as the command saw them
      LayoutCluster.Run rm = withLeader(c, "r1", l -> {
        roles[0] = l;
        roles[1] = List.of("r1", "r2", "r3").stream().filter(id -> !id.equals(l)).findFirst().orElseThrow();
        roles[2] = List.of("r1", "r2", "r3").stream().filter(id -> !id.equals(l) && !id.equals(roles[1])).findFirst()
            .orElseThrow();
        return LayoutCluster.run(new MembershipCommands.Remove(), "--config", c.file(roles[2]), "--id", roles[1], "--force");
      });
      String leader = roles[0];
      String victim = roles[1];
      String other = roles[2];
      assertThat(rm.code()).as(rm.all()).isZero();
      List<String> two = List.of(leader, other).stream().sorted().toList();
      assertThat(c.membersSeenBy(leader)).isEqualTo(two);
      try (Writer w = new Writer(client, c.acquireOnLeader(client).getEpoch())) {
        w.awaitMore(30, "commits with two members");
      }

      // Restarted as it was (old directory), the removed replica refuses to run.
      c.stop(victim);
      assertThatThrownBy(() -> c.start(victim, false)).isInstanceOf(MembershipException.class)
          .hasMessageContaining("is not a member");
      // Operator's way back: directory moved away, start with --join, add-replica.
      Path data = c.configs.get(victim).dataDir();
      Files.move(data, data.resolveSibling(victim + "-data.removed"));
      c.start(victim, true);
      LayoutCluster.Run add = LayoutCluster.run(new MembershipCommands.Add(), "--config", c.file(leader), "--id", victim,
          "--raft", c.configs.get(victim).self().raft().toString());
      assertThat(add.code()).as(add.all()).isZero();
      assertThat(c.membersSeenBy(leader)).containsExactly("r1", "r2", "r3");
      long applied = c.running.get(leader).stateMachine().appliedIndex();
      c.awaitApplied(applied, victim);
      assertThat(c.localDigest(victim)).isEqualTo(c.localDigest(leader));
    }
  }

  @Test
  void dangerousOrWrongRequestsAreRefusedAndChangeNothing() throws Exception {
    try (LayoutCluster c = new LayoutCluster(dir.resolve("cluster"))) {
      c.awaitLeader();
      String cfg = c.file("r1");

      LayoutCluster.Run dup = LayoutCluster.run(new MembershipCommands.Add(), "--config", cfg, "--id", "r2", "--raft",
          "127.0.0.1:1");
      assertThat(dup.code()).as(dup.all()).isEqualTo(2);
      assertThat(dup.err()).contains("r2 is already a member").contains("Nothing was changed");

      LayoutCluster.Run sameAddr = LayoutCluster.run(new MembershipCommands.Add(), "--config", cfg, "--id", "r9", "--raft",
          c.configs.get("r2").self().raft().toString());
      assertThat(sameAddr.code()).as(sameAddr.all()).isEqualTo(2);
      assertThat(sameAddr.err()).contains("is already the raft address of r2");

      int nobody = LayoutCluster.freePort();
      LayoutCluster.Run unreachable = LayoutCluster.run(new MembershipCommands.Add(), "--config", cfg, "--id", "r9",
          "--raft", "127.0.0.1:" + nobody, "--wait-new", "3s");
      assertThat(unreachable.code()).as(unreachable.all()).isEqualTo(2);
      assertThat(unreachable.err()).contains("r9 at 127.0.0.1:" + nobody + " did not answer within 3 s").contains("--join");
      assertThat(unreachable.millis()).as("bounded wait").isLessThan(30_000);

      LayoutCluster.Run rmLeader = withLeader(c, "r1", l -> LayoutCluster.run(new MembershipCommands.Remove(), "--config",
          cfg, "--id", l));
      assertThat(rmLeader.code()).as(rmLeader.all()).isEqualTo(2);
      assertThat(rmLeader.err()).contains(" is the leader").contains("transfer-leader");

      LayoutCluster.Run shrink = withLeader(c, "r1", l -> LayoutCluster.run(new MembershipCommands.Remove(), "--config",
          cfg, "--id", l.equals("r2") ? "r3" : "r2"));
      assertThat(shrink.code()).as(shrink.all()).isEqualTo(2);
      assertThat(shrink.err()).contains("leaves 2 voting members").contains("--force");

      LayoutCluster.Run unknown = LayoutCluster.run(new MembershipCommands.Remove(), "--config", cfg, "--id", "r7");
      assertThat(unknown.code()).as(unknown.all()).isEqualTo(2);
      assertThat(unknown.err()).contains("r7 is not a member");

      LayoutCluster.Run replaceLeader = withLeader(c, "r1", l -> LayoutCluster.run(new MembershipCommands.Replace(),
          "--config", cfg, "--remove", l, "--id", "r9", "--raft", "127.0.0.1:" + nobody));
      assertThat(replaceLeader.code()).as(replaceLeader.all()).isEqualTo(2);
      assertThat(replaceLeader.err()).contains(" is the leader");

      // A new replica started WITHOUT --join (its file lists itself among the members) refuses to
      // run: the leader's configuration does not contain it. It leaves no storage behind, so the
      // same directory can then be started with --join.
      c.newReplicaConfig("r4", List.of("r1", "r2", "r3"), true);
      assertThatThrownBy(() -> c.start("r4", false)).isInstanceOf(MembershipException.class)
          .hasMessageContaining("r4 is not a member").hasMessageContaining("without --join");
      assertThat(Files.exists(c.configs.get("r4").dataDir().resolve("raft"))).isFalse();

      Membership.View v = Membership.current(c.group("r1"), RaftTuning.properties(c.configs.get("r1").raft(),
          c.configs.get("r1").snapshot(), Map.of()), Duration.ofSeconds(3)).orElseThrow();
      assertThat(v.voterIds()).as("nothing changed").containsExactly("r1", "r2", "r3");
      assertThat(v.inTransition()).isFalse();
      for (String id : List.of("r1", "r2", "r3")) assertThat(c.membersSeenBy(id)).containsExactly("r1", "r2", "r3");
    }
  }
}
