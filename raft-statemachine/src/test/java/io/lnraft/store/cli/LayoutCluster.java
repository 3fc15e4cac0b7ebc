package io.lnraft.store.cli;

import io.lnraft.config.ConfigLoader;
import io.lnraft.config.HostPort;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.StoreQueries;
import io.lnraft.store.proto.WriterEpoch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftGroup;
import org.awaitility.Awaitility;
import picocli.CommandLine;

/**
 * Real replicas (Ratis servers with RocksDB, in this JVM, on loopback) started from config FILES
 * written by init-cluster's layout, so the admin commands run exactly as an operator runs them.
 * Replicas can be added with their own config files (a new member's file lists the new membership).
 */
final class LayoutCluster implements AutoCloseable {
  /** Small log segments so that a snapshot lets Ratis purge the log behind it (catch-up by snapshot). */
  static final Map<String, String> SMALL_SEGMENTS = Map.of(
      "raft.server.log.segment.size.max", "64KB",
      "raft.server.log.purge.gap", "1",
      "raft.grpc.server.install_snapshot.request.timeout", "500ms");

  final LocalClusterLayout layout;
  final Map<String, Path> files = new LinkedHashMap<>();
  final Map<String, ReplicaConfig> configs = new LinkedHashMap<>();
  final Map<String, ReplicaServer> running = new LinkedHashMap<>();
  private final List<RaftStoreClient> clients = new ArrayList<>();

  LayoutCluster(Path dir) throws IOException {
    layout = LocalClusterLayout.generate(dir, 3);
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = layout.configs().get(i);
      files.put(c.replicaId(), layout.configFiles().get(i));
      configs.put(c.replicaId(), c);
    }
    for (String id : List.copyOf(configs.keySet())) start(id, false);
  }

  ReplicaServer start(String id, boolean join) throws IOException {
    ReplicaServer s = ReplicaServer.start(configs.get(id), StoreMetrics.inMemory(), SMALL_SEGMENTS, join);
    running.put(id, s);
    return s;
  }

  void stop(String id) throws IOException {
    ReplicaServer s = running.remove(id);
    if (s != null) s.close();
  }

  /**
   * Writes the config file of a new replica {@code id} whose replica list is {@code members} (ids
   * of existing replicas) plus itself on fresh loopback ports; returns its endpoint.
   */
  ReplicaEndpoint newReplicaConfig(String id, List<String> members, boolean allowUnsafe) throws IOException {
    ReplicaEndpoint self = new ReplicaEndpoint(id, hp(freePort()), hp(freePort()), hp(freePort()));
    List<ReplicaEndpoint> eps = new ArrayList<>();
    for (String m : members) eps.add(configs.get(m).self());
    eps.add(self);
    ReplicaConfig base = configs.values().iterator().next();
    Path data = layout.dir().resolve(id + "-data");
    ReplicaConfig c = new ReplicaConfig(base.clusterId(), id, base.network(), eps, data, base.seedFile(),
        base.apiTokenFile(), base.raft(), base.snapshot(), allowUnsafe);
    Path file = layout.dir().resolve(id + ".conf");
    Files.writeString(file, ConfigLoader.render(c, layout.dir()), StandardCharsets.UTF_8);
    files.put(id, file);
    configs.put(id, ConfigLoader.load(file));
    return self;
  }

  static HostPort hp(int port) {
    return new HostPort("127.0.0.1", port);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  String file(String id) {
    return files.get(id).toString();
  }

  RaftStoreClient client(String viaConfigOf) {
    ReplicaConfig c = configs.get(viaConfigOf);
    RaftStoreClient client = new RaftStoreClient(RaftGroups.group(c), RaftTuning.properties(c.raft(), c.snapshot(), Map.of()),
        Duration.ofSeconds(15), StoreMetrics.inMemory());
    clients.add(client);
    return client;
  }

  Optional<String> readyLeader() {
    return running.entrySet().stream().filter(e -> e.getValue().isReadyLeader()).map(Map.Entry::getKey).findFirst();
  }

  String awaitLeader() {
    String[] found = new String[1];
    Awaitility.await("a ready leader").atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> {
      found[0] = readyLeader().orElse(null);
      return found[0] != null;
    });
    return found[0];
  }

  /** Takes the writer epoch on the current ready leader (retried, bounded, if leadership moves meanwhile). */
  WriterEpoch acquireOnLeader(RaftStoreClient client) {
    WriterEpoch[] got = new WriterEpoch[1];
    Awaitility.await("writer epoch on the leader").atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
        .ignoreExceptions().until(() -> {
          String l = awaitLeader();
          got[0] = client.acquireEpoch(l, running.get(l).currentTerm()).get(15, TimeUnit.SECONDS);
          return true;
        });
    return got[0];
  }

  void awaitApplied(long index, String... ids) {
    Awaitility.await("replicas applied " + index).atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          for (String id : ids) if (running.get(id).stateMachine().appliedIndex() < index) return false;
          return true;
        });
  }

  byte[] localDigest(String id) {
    return running.get(id).stateMachine().read(v -> StoreQueries.digest(v).getSha256().toByteArray());
  }

  List<String> membersSeenBy(String id) {
    return running.get(id).currentMembers().stream().map(p -> p.getId().toString()).sorted().toList();
  }

  RaftGroup group(String viaConfigOf) {
    return RaftGroups.group(configs.get(viaConfigOf));
  }

  static boolean committed(CommitOutcome o) {
    return o instanceof CommitOutcome.Committed;
  }

  /** Output of one command run. */
  record Run(int code, String out, String err, long millis) {
    String all() {
      return out + err;
    }
  }

  /** Runs an admin command in this JVM as `lnraft ...` would, capturing what it prints. */
  static synchronized Run run(Callable<Integer> command, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int code;
    try {
      System.setOut(new PrintStream(tee(out, oldOut), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(tee(err, oldErr), true, StandardCharsets.UTF_8));
      code = new CommandLine(command).execute(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
        (System.nanoTime() - t0) / 1_000_000);
  }

  private static OutputStream tee(OutputStream a, OutputStream b) {
    return new OutputStream() {
      @Override
      public synchronized void write(int x) throws IOException {
        a.write(x);
        b.write(x);
      }

      @Override
      public synchronized void write(byte[] buf, int off, int len) throws IOException {
        a.write(buf, off, len);
        b.write(buf, off, len);
      }
    };
  }

  @Override
  public void close() {
    clients.forEach(RaftStoreClient::close);
    for (String id : List.copyOf(running.keySet())) {
      try {
        stop(id);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }
}
