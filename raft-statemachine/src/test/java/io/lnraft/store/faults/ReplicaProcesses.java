package io.lnraft.store.faults;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.store.GroupProbe;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.cli.ReplicaCommand;
import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.GetDigest;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.awaitility.Awaitility;

/**
 * Three store replicas as real processes (the {@code replica} command), each with its output kept
 * in memory (for assertions on error messages) and in {@code target/e2e-logs/<test>/}. A replica
 * can be started with extra environment variables (libfaketime). Closing kills every process.
 */
final class ReplicaProcesses implements AutoCloseable {
  final LocalClusterLayout layout;
  final RaftGroup group;
  final RaftStoreClient client;
  private final Path logs;
  private final Process[] procs;
  private final List<List<String>> output = new ArrayList<>();

  /** Raw Ratis properties every replica process gets (--ratis KEY=VALUE). */
  private final Map<String, String> ratis;

  ReplicaProcesses(Path dir, String testName, LocalClusterLayout.Options options, Map<String, String> ratis)
      throws Exception {
    this.ratis = ratis;
    this.layout = LocalClusterLayout.generate(dir.resolve("cluster"), 3, options);
    this.logs = Path.of("target", "e2e-logs", testName);
    Files.createDirectories(logs);
    try (var old = Files.list(logs)) {
      for (Path f : old.toList()) Files.delete(f);
    }
    this.procs = new Process[3];
    for (int i = 0; i < 3; i++) output.add(Collections.synchronizedList(new ArrayList<>()));
    ReplicaConfig cfg = layout.configs().get(0);
    this.group = RaftGroups.group(cfg);
    this.client = new RaftStoreClient(group, RaftTuning.properties(cfg.raft(), cfg.snapshot(), Map.of()),
        Duration.ofSeconds(20), StoreMetrics.inMemory());
  }

  ReplicaConfig config(int i) {
    return layout.configs().get(i);
  }

  static String id(int i) {
    return "r" + (i + 1);
  }

  /** Starts replica {@code i}; returns whether it printed its start line within 90 s (false: it exited). */
  boolean start(int i, Map<String, String> env) throws Exception {
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-DRATIS_TEST_LOG=INFO", "-DLNRAFT_TEST_LOG=INFO", "-cp", System.getProperty("java.class.path"),
        ReplicaCommand.class.getName(), "--config", layout.configFiles().get(i).toString());
    ratis.forEach((k, v) -> pb.command().addAll(List.of("--ratis", k + "=" + v)));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    procs[i] = p;
    List<String> out = output.get(i);
    out.clear();
    CompletableFuture<Boolean> started = new CompletableFuture<>();
    Path log = logs.resolve("replica-" + (i + 1) + ".log");
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        w.write("---- process started " + Instant.now() + " env " + env.keySet() + "\n");
        for (String line; (line = r.readLine()) != null; ) {
          out.add(line);
          w.write(line);
          w.write('\n');
          w.flush();
          if (line.startsWith("replica ") && line.contains(" started ")) started.complete(true);
        }
      } catch (Exception ignored) {
        // process gone
      }
      started.complete(false);
    }, "replica-" + i + "-output");
    reader.setDaemon(true);
    reader.start();
    return started.get(90, TimeUnit.SECONDS);
  }

  boolean start(int i) throws Exception {
    return start(i, Map.of());
  }

  Process process(int i) {
    return procs[i];
  }

  boolean alive(int i) {
    return procs[i] != null && procs[i].isAlive();
  }

  /** The lines replica {@code i}'s current (or last) process printed. */
  List<String> output(int i) {
    synchronized (output.get(i)) {
      return List.copyOf(output.get(i));
    }
  }

  Path logFile(int i) {
    return logs.resolve("replica-" + (i + 1) + ".log").toAbsolutePath();
  }

  void kill(int i) throws InterruptedException {
    if (procs[i] == null) return;
    procs[i].destroyForcibly();
    procs[i].waitFor(15, TimeUnit.SECONDS);
  }

  record Leader(int position, long term) {}

  Optional<Leader> leader() {
    for (int i = 0; i < 3; i++) {
      if (!alive(i)) continue;
      int pos = i;
      Optional<Leader> l = GroupProbe.leaderSelfReport(client, group, id(i)).map(x -> new Leader(pos, x.term()));
      if (l.isPresent()) return l;
    }
    return Optional.empty();
  }

  Leader awaitLeader(Duration atMost) {
    Leader[] found = new Leader[1];
    Awaitility.await("a leader among the live replicas").atMost(atMost).pollInterval(Duration.ofMillis(100))
        .until(() -> leader().map(l -> found[0] = l).isPresent());
    return found[0];
  }

  DigestResult digest(int i) throws Exception {
    return client.queryLocal(RaftPeerId.valueOf(id(i)), Query.newBuilder().setGetDigest(GetDigest.getDefaultInstance()),
        QueryReply::getDigest).get(20, TimeUnit.SECONDS);
  }

  /** The current leader's applied index (asked again, bounded, while elections or load delay the answer). */
  long leaderAppliedIndex() {
    long[] got = {-1};
    Awaitility.await("the leader's applied index").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().until(() -> {
          got[0] = digest(awaitLeader(Duration.ofSeconds(20)).position()).getAppliedIndex();
          return true;
        });
    return got[0];
  }

  /** Waits until all three replicas report the same applied index and digest, at or above {@code index}. */
  void awaitEqualDigests(long index, Duration atMost) {
    Awaitility.await("equal digests of r1..r3 at index >= " + index).atMost(atMost).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> {
          DigestResult a = digest(0);
          DigestResult b = digest(1);
          DigestResult c = digest(2);
          return a.getAppliedIndex() >= index && a.getAppliedIndex() == b.getAppliedIndex()
              && b.getAppliedIndex() == c.getAppliedIndex() && a.getSha256().equals(b.getSha256())
              && b.getSha256().equals(c.getSha256());
        });
  }

  /** Asks Ratis to move leadership to replica {@code i} (bounded; retried while elections settle). */
  void transferLeadership(int i) {
    Awaitility.await("leadership on " + id(i)).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .ignoreExceptions().until(() -> {
          if (leader().map(l -> l.position() == i).orElse(false)) return true;
          client.raftClient().admin().transferLeadership(RaftPeerId.valueOf(id(i)), 5000);
          return leader().map(l -> l.position() == i).orElse(false);
        });
  }

  @Override
  public void close() {
    client.close();
    for (Process p : procs) if (p != null) p.destroyForcibly();
    for (Process p : procs) {
      if (p != null) {
        try {
          p.waitFor(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
