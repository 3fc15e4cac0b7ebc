package io.lnraft.node.testing;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.proto.WriterEpoch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** A real three-replica store (Ratis + RocksDB, loopback) in this JVM, for node-adapter tests. */
public final class StoreCluster implements AutoCloseable {
  public final LocalClusterLayout layout;
  public final ReplicaServer[] servers = new ReplicaServer[3];
  private final List<RaftStoreClient> clients = new ArrayList<>();
  private final StoreMetrics serverMetrics;

  public StoreCluster(Path dir) throws IOException {
    this(dir, StoreMetrics.inMemory());
  }

  /** All three replicas record into {@code serverMetrics} (metrics tests). */
  public StoreCluster(Path dir, StoreMetrics serverMetrics) throws IOException {
    this.serverMetrics = serverMetrics;
    layout = LocalClusterLayout.generate(dir, 3);
    for (int i = 0; i < 3; i++) start(i);
  }

  public void start(int i) throws IOException {
    servers[i] = ReplicaServer.start(layout.configs().get(i), serverMetrics);
  }

  public void stop(int i) throws IOException {
    servers[i].close();
    servers[i] = null;
  }

  public RaftStoreClient client() {
    return client(StoreMetrics.inMemory());
  }

  public RaftStoreClient client(StoreMetrics metrics) {
    ReplicaConfig c = layout.configs().get(0);
    RaftStoreClient client = new RaftStoreClient(RaftGroups.group(c), RaftTuning.properties(c.raft(), c.snapshot(), Map.of()),
        Duration.ofSeconds(10), metrics);
    clients.add(client);
    return client;
  }

  /** The position of the ready leader, waiting for one (bounded). */
  public int awaitLeader() {
    int[] found = {-1};
    Awaitility.await("ready leader").atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> {
      for (int i = 0; i < 3; i++) {
        if (servers[i] != null && servers[i].isReadyLeader()) {
          found[0] = i;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  /** Takes the writer epoch for the current leader, retrying while leadership moves (bounded). */
  public WriterEpoch acquire(RaftStoreClient client) {
    WriterEpoch[] got = new WriterEpoch[1];
    Awaitility.await("writer epoch").atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .until(() -> {
          int l = awaitLeader();
          got[0] = client.acquireEpoch(layout.configs().get(l).replicaId(), servers[l].currentTerm()).get(10, TimeUnit.SECONDS);
          return true;
        });
    return got[0];
  }

  @Override
  public void close() {
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
}
