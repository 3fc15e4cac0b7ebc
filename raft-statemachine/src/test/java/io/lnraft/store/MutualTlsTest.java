package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.store.proto.WriterEpoch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Ratis servers (gRPC, mutual TLS, certificates from init-cluster's generator): replicas
 * and clients holding the cluster's certificates work; a replica or client holding a certificate
 * of another CA, or none, is refused and changes nothing.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MutualTlsTest {
  @TempDir Path dir;
  private final ReplicaServer[] servers = new ReplicaServer[3];
  private final List<RaftStoreClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(RaftStoreClient::close);
    for (ReplicaServer s : servers) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  private RaftStoreClient client(ReplicaConfig cfg, Duration deadline) {
    RaftStoreClient c = new RaftStoreClient(RaftGroups.group(cfg), RaftTuning.properties(cfg.raft(), cfg.snapshot(),
        Map.of()), deadline, StoreMetrics.inMemory());
    clients.add(c);
    return c;
  }

  private int awaitLeaderAmong(int... positions) {
    int[] found = {-1};
    Awaitility.await("a ready leader").atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (int i : positions) {
        if (servers[i] != null && servers[i].isReadyLeader()) {
          found[0] = i;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private byte[] digest(int i) {
    return servers[i].stateMachine().read(v -> StoreQueries.digest(v).getSha256().toByteArray());
  }

  @Test
  void onlyHoldersOfTheClustersCertificatesTakePart() throws Exception {
    LocalClusterLayout layout = LocalClusterLayout.generate(dir.resolve("cluster"), 3);
    // Another cluster's CA and certificates, valid for the same host (127.0.0.1).
    LocalClusterLayout other = LocalClusterLayout.generate(dir.resolve("other"), 3);
    List<ReplicaConfig> cfg = layout.configs();
    assertThat(cfg.get(0).raft().tls()).isPresent();
    ReplicaConfig foreignR3 = cfg.get(2).withRaft(cfg.get(2).raft().withTls(other.configs().get(2).raft().tls()));

    servers[0] = ReplicaServer.start(cfg.get(0), StoreMetrics.inMemory());
    servers[1] = ReplicaServer.start(cfg.get(1), StoreMetrics.inMemory());
    servers[2] = ReplicaServer.start(foreignR3, StoreMetrics.inMemory());
    int leader = awaitLeaderAmong(0, 1, 2);
    assertThat(leader).as("the replica with a foreign certificate cannot win an election").isNotEqualTo(2);

    RaftStoreClient good = client(cfg.get(0), Duration.ofSeconds(20));
    WriterEpoch epoch = good.acquireEpoch(cfg.get(leader).replicaId(), servers[leader].currentTerm())
        .get(30, TimeUnit.SECONDS);
    CommitOutcome.Committed last = null;
    for (int u = 0; u < 5; u++) {
      CommitOutcome o = good.commit(epoch.getEpoch(), List.of(u == 0
          ? Ops.putBaseMonitor(ReplicatedStoreTest.channel(1), 0, new byte[512])
          : Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(1), u, new byte[100]))).get(30, TimeUnit.SECONDS);
      assertThat(o).isInstanceOf(CommitOutcome.Committed.class);
      last = (CommitOutcome.Committed) o;
    }
    long lastIndex = last.logIndex();
    Awaitility.await("both cluster replicas applied").atMost(30, TimeUnit.SECONDS)
        .until(() -> servers[0].stateMachine().appliedIndex() >= lastIndex
            && servers[1].stateMachine().appliedIndex() >= lastIndex);
    // The foreign replica got none of it: the others refuse its handshake and it refuses theirs.
    Thread.sleep(2_000);
    assertThat(servers[2].stateMachine().appliedIndex()).isLessThan(lastIndex);
    byte[] before = digest(leader);

    // A client with another CA's certificate, and a plaintext client, are refused.
    ReplicaConfig foreignClient = cfg.get(0).withRaft(cfg.get(0).raft().withTls(other.configs().get(0).raft().tls()));
    ReplicaConfig plaintextClient = cfg.get(0).withRaft(cfg.get(0).raft().withTls(Optional.empty()));
    for (ReplicaConfig c : List.of(foreignClient, plaintextClient)) {
      RaftStoreClient bad = client(c, Duration.ofSeconds(4));
      assertThatThrownBy(() -> bad.commit(epoch.getEpoch(),
          List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(1), 5, new byte[100]))).get(30, TimeUnit.SECONDS))
          .as("commit from a client with %s", c.raft().tls().isPresent() ? "a foreign certificate" : "no certificate")
          .isInstanceOf(java.util.concurrent.ExecutionException.class);
      assertThatThrownBy(() -> bad.acquireEpoch(cfg.get(leader).replicaId(), servers[leader].currentTerm())
          .get(30, TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.ExecutionException.class);
    }
    // Nothing changed (the applied index itself may move: an election on a slow machine appends
    // a no-op entry, which the digest of the state leaves out).
    assertThat(digest(leader)).isEqualTo(before);
    assertThat(good.startupState().get(30, TimeUnit.SECONDS).getChannels(0).getRecord().getLatestUpdateId())
        .isEqualTo(4);

    // With the cluster's own certificate, r3 joins and catches up.
    servers[2].close();
    servers[2] = ReplicaServer.start(cfg.get(2), StoreMetrics.inMemory());
    Awaitility.await("r3 caught up").atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
        .until(() -> servers[2].stateMachine().appliedIndex() >= lastIndex);
    assertThat(digest(2)).isEqualTo(digest(leader));
    assertThat(Arrays.equals(digest(0), digest(1))).isTrue();
  }
}
