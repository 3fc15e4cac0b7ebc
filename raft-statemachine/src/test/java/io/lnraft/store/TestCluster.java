package io.lnraft.store;

import io.lnraft.config.HostPort;
import io.lnraft.config.RaftSettings;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.config.RpcType;
import io.lnraft.config.SnapshotSettings;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import io.lnraft.store.proto.WriterEpoch;
import org.awaitility.Awaitility;

/** Three (or N) real Ratis servers on loopback with real RocksDB directories, in this JVM. */
final class TestCluster implements AutoCloseable {
  final Path base;
  final List<ReplicaConfig> configs = new ArrayList<>();
  final ReplicaServer[] servers;
  final Map<String, String> overrides;
  final StoreMetrics metrics = StoreMetrics.inMemory();
  private final List<RaftStoreClient> clients = new ArrayList<>();

  TestCluster(Path base, int n, RpcType rpc, SnapshotSettings snapshot, Map<String, String> overrides) throws IOException {
    this.base = base;
    this.overrides = overrides;
    List<ReplicaEndpoint> eps = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      eps.add(new ReplicaEndpoint("r" + i, hp(freePort()), hp(freePort()), hp(freePort())));
    }
    Path seed = base.resolve("seed");
    Files.writeString(seed, "unused by the store");
    RaftSettings raft = RaftSettings.defaults().withRpcType(rpc);
    for (int i = 1; i <= n; i++) {
      configs.add(new ReplicaConfig("test-cluster", "r" + i, "regtest", eps, base.resolve("r" + i), seed, seed, raft,
          snapshot, n % 2 == 0 || n == 1));
    }
    servers = new ReplicaServer[n];
    for (int i = 0; i < n; i++) start(i);
  }

  static TestCluster start(Path base) throws IOException {
    return new TestCluster(base, 3, RpcType.GRPC, new SnapshotSettings(false, 10_000, 2), Map.of());
  }

  static HostPort hp(int port) {
    return new HostPort("127.0.0.1", port);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  void start(int i) throws IOException {
    servers[i] = ReplicaServer.start(configs.get(i), metrics, overrides);
  }

  void stop(int i) throws IOException {
    servers[i].close();
    servers[i] = null;
  }

  RaftStoreClient client() {
    RaftStoreClient c = new RaftStoreClient(servers[0] != null ? servers[0].group() : RaftGroups.group(configs.get(0)),
        RaftTuning.properties(configs.get(0).raft(), configs.get(0).snapshot(), overrides), Duration.ofSeconds(15),
        metrics);
    clients.add(c);
    return c;
  }

  /** Waits (bounded) for a ready leader among the running servers; returns its position. */
  int awaitLeader() {
    int[] found = {-1};
    Awaitility.await("a ready leader").atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> {
      for (int i = 0; i < servers.length; i++) {
        if (servers[i] != null && servers[i].isReadyLeader()) {
          found[0] = i;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  /**
   * Makes the current ready leader the writer. Leadership can move between finding the leader and
   * the AcquireEpoch reaching it (elections on a loaded machine): then retry, bounded.
   */
  WriterEpoch acquireOnLeader(RaftStoreClient client) {
    WriterEpoch[] got = new WriterEpoch[1];
    Awaitility.await("writer epoch on the leader").atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
        .ignoreExceptions().until(() -> {
          int l = awaitLeader();
          got[0] = client.acquireEpoch(configs.get(l).replicaId(), servers[l].currentTerm()).get(15, TimeUnit.SECONDS);
          lastWriter = l;
          return true;
        });
    return got[0];
  }

  /** Position of the replica that took the epoch in the last {@link #acquireOnLeader}. */
  int lastWriter = -1;

  Optional<Integer> leader() {
    for (int i = 0; i < servers.length; i++) if (servers[i] != null && servers[i].isReadyLeader()) return Optional.of(i);
    return Optional.empty();
  }

  /** Waits until every running replica has applied at least {@code index}. */
  void awaitApplied(long index) {
    Awaitility.await("replicas applied " + index).atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20))
        .until(() -> {
          for (ReplicaServer s : servers) if (s != null && s.stateMachine().appliedIndex() < index) return false;
          return true;
        });
  }

  byte[] localDigest(int i) {
    return servers[i].stateMachine().read(v -> StoreQueries.digest(v).getSha256().toByteArray());
  }

  @Override
  public void close() {
    clients.forEach(RaftStoreClient::close);
    for (int i = 0; i < servers.length; i++) {
      if (servers[i] != null) {
        try {
          servers[i].close();
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }
}
