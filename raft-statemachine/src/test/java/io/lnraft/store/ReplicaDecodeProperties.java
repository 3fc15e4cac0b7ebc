package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The decode path of {@link ChannelStateMachine} on real Ratis servers: random and mutated command
 * bytes submitted to a 3-replica group (the leader's startTransaction checks, then apply on every
 * replica). Every submission gets an outcome (never an unavailable store, which would mean a
 * server stopped); INVALID ones never reach the log; rejected ones leave the state unchanged; the
 * replicas keep equal digests. {@link CommandDecoderProperties} covers the same transition without
 * Ratis, with many more tries.
 */
class ReplicaDecodeProperties {
  private static Path dir;
  private static TestCluster cluster;
  private static RaftStoreClient client;
  private static int leader;
  private static long epoch;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("lnraft-decode-fuzz");
    cluster = TestCluster.start(dir);
    client = cluster.client();
    epoch = cluster.acquireOnLeader(client).getEpoch();
    leader = cluster.lastWriter;
    assertThat(client.commit(epoch, List.of(Ops.putBaseMonitor(StoreTransitionTest.CH, 0, new byte[] {1})))
        .get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
  }

  @AfterContainer
  static void stop() throws IOException {
    if (cluster != null) cluster.close();
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  @Property(tries = 120, edgeCases = EdgeCasesMode.NONE)
  void submittedBytesGetACleanOutcome(@ForAll("commands") byte[] bytes) throws Exception {
    int l = cluster.leader().orElse(leader);
    long appliedBefore = cluster.servers[l].stateMachine().appliedIndex();
    byte[] before = cluster.localDigest(l);
    CommitOutcome o = client.submit(bytes).get(30, TimeUnit.SECONDS);
    Statistics.collect(o.getClass().getSimpleName());
    if (o instanceof CommitOutcome.Invalid i) {
      assertThat(i.message()).isNotBlank();
      assertThat(cluster.servers[l].stateMachine().appliedIndex()).as("an INVALID command reaches no log")
          .isEqualTo(appliedBefore);
      assertThat(cluster.localDigest(l)).isEqualTo(before);
    } else if (o instanceof CommitOutcome.Committed c) {
      cluster.awaitApplied(c.logIndex());
      if (c.writer().getEpoch() > epoch) epoch = c.writer().getEpoch(); // a mutated AcquireEpoch went through
    } else {
      // FENCED or CONFLICT: in the log, applied as a no-op.
      assertThat(cluster.localDigest(l)).isEqualTo(before);
    }
    long applied = cluster.servers[l].stateMachine().appliedIndex();
    cluster.awaitApplied(applied);
    for (int i = 0; i < cluster.servers.length; i++) {
      assertThat(cluster.localDigest(i)).as("replica %d agrees with the leader", i).isEqualTo(cluster.localDigest(l));
    }
  }

  @Provide
  Arbitrary<byte[]> commands() {
    Arbitrary<byte[]> valid = Arbitraries.of(0, 1, 2, 3).map(k -> validCommand(k).toByteArray());
    Arbitrary<byte[]> mutated = Combinators.combine(valid, Arbitraries.integers().between(0, 5),
        Arbitraries.integers().between(0, 1 << 20), Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(12),
        Arbitraries.integers().between(1, 4)).as(CommandDecoderProperties::mutate);
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, mutated), net.jqwik.api.Tuple.of(2, random),
        net.jqwik.api.Tuple.of(1, valid));
  }

  /** Commands valid (or close to it) in the current state; built at generation time. */
  private static Envelope validCommand(int kind) {
    Op op = switch (kind) {
      case 0 -> Ops.putManager(new byte[] {7, 7});
      case 1 -> Ops.putKv("peers", new byte[] {1}, OptionalLong.empty());
      case 2 -> Ops.appendMonitorUpdate(StoreTransitionTest.CH, 1, new byte[] {2});
      default -> Ops.putBaseMonitor(StoreTransitionTest.CH, 0, new byte[] {3});
    };
    if (kind == 3) {
      // An AcquireEpoch for the leader in its term: its mutations probe the leader's own checks.
      int l = cluster.leader().orElse(leader);
      return Envelope.newBuilder().setFormatVersion(1).setAcquireEpoch(AcquireEpoch.newBuilder()
          .setReplicaId(cluster.configs.get(l).replicaId()).setTerm(cluster.servers[l].currentTerm())).build();
    }
    return Envelope.newBuilder().setFormatVersion(1).setCommit(Commit.newBuilder().setEpoch(epoch).addOps(op)).build();
  }
}
