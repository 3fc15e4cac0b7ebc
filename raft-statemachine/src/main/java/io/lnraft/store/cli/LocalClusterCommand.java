package io.lnraft.store.cli;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.RpcType;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.WriterEpoch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft local-cluster}: a local three-replica store on loopback, in three processes. It
 * writes a layout (init-cluster), starts the replicas, commits a payment-sized workload, kills the
 * leader with SIGKILL, shows the failover, restarts the killed replica and shows it catch up. It
 * stops and cleans up everything it started on exit or Ctrl-C (unless --keep).
 */
@Command(name = "local-cluster", mixinStandardHelpOptions = true,
    description = "Start a local 3-replica store on loopback, write to it, kill the leader, watch it fail over.")
public final class LocalClusterCommand implements Callable<Integer> {
  @Option(names = "--dir", description = "where to put the cluster (default: a new temporary directory)")
  Path dir;

  @Option(names = "--replicas", defaultValue = "3", description = "number of replicas (default ${DEFAULT-VALUE})")
  int replicas;

  @Option(names = "--rpc-type", defaultValue = "GRPC", description = "GRPC or NETTY (default ${DEFAULT-VALUE})")
  RpcType rpcType;

  @Option(names = "--commits", defaultValue = "200", description = "commits before and after the kill (default ${DEFAULT-VALUE})")
  int commits;

  @Option(names = "--kills", defaultValue = "1", description = "how many times to kill the leader (default ${DEFAULT-VALUE})")
  int kills;

  @Option(names = "--keep", description = "keep the replicas running until Ctrl-C, and the directory afterwards")
  boolean keep;

  private final List<Process> procs = new ArrayList<>();
  private LocalClusterLayout layout;

  @Override
  public Integer call() throws Exception {
    boolean tempDir = dir == null;
    Path base = tempDir ? Files.createTempDirectory("lnraft-local-") : dir;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> cleanup(base, tempDir && !keep), "lnraft-local-cleanup"));
    layout = LocalClusterLayout.generate(base, replicas, LocalClusterLayout.Options.defaults().withRpcType(rpcType)
        .withAllowUnsafeGroupSize(replicas % 2 == 0 || replicas == 1));
    System.out.println("cluster layout in " + base + " (configs: " + layout.configFiles().stream()
        .map(p -> p.getFileName().toString()).toList() + ")");
    for (int i = 0; i < replicas; i++) procs.add(null);
    for (int i = 0; i < replicas; i++) start(i);
    ReplicaConfig cfg = layout.configs().get(0);
    RaftGroup group = RaftGroups.group(cfg);
    try (RaftStoreClient client = new RaftStoreClient(group, RaftTuning.properties(cfg.raft(), cfg.snapshot(), Map.of()),
        Duration.ofSeconds(20), StoreMetrics.inMemory())) {
      long t0 = System.nanoTime();
      int[] leader = awaitLeader(client, group, -1, Duration.ofSeconds(30));
      System.out.printf("leader r%d elected in %d ms (term %d)%n", leader[0] + 1, ms(t0), leader[1]);
      WriterEpoch epoch = client.acquireEpoch("r" + (leader[0] + 1), leader[1]).get(20, TimeUnit.SECONDS);
      System.out.println("writer epoch " + epoch.getEpoch() + " acquired by r" + (leader[0] + 1));
      ChannelKey ch = Ops.channel(new byte[32], 0);
      require(client.commit(epoch.getEpoch(), List.of(Ops.putBaseMonitor(ch, 0, new byte[4500]))).get(20, TimeUnit.SECONDS));
      long[] nextUpdate = {1};
      workload(client, epoch.getEpoch(), ch, nextUpdate);
      for (int k = 1; k <= kills; k++) {
        int killed = leader[0];
        long killAt = System.nanoTime();
        procs.get(killed).destroyForcibly();
        procs.get(killed).waitFor(10, TimeUnit.SECONDS);
        System.out.printf("kill %d: SIGKILL to leader r%d%n", k, killed + 1);
        leader = awaitLeader(client, group, killed, Duration.ofSeconds(30));
        System.out.printf("kill %d: new leader r%d (term %d) after %d ms%n", k, leader[0] + 1, leader[1], ms(killAt));
        WriterEpoch e2 = client.acquireEpoch("r" + (leader[0] + 1), leader[1]).get(20, TimeUnit.SECONDS);
        System.out.printf("kill %d: epoch %d -> %d; a commit with the old epoch is now: %s%n", k, epoch.getEpoch(),
            e2.getEpoch(), client.commit(epoch.getEpoch(), List.of(Ops.putManager(new byte[] {1}))).get(20, TimeUnit.SECONDS)
                .getClass().getSimpleName().toUpperCase());
        epoch = e2;
        workload(client, epoch.getEpoch(), ch, nextUpdate);
        start(killed);
        System.out.printf("kill %d: r%d restarted%n", k, killed + 1);
      }
      long latest = client.startupState().get(20, TimeUnit.SECONDS).getChannels(0).getRecord().getLatestUpdateId();
      System.out.printf("channel update id after all kills: %d (expected %d: nothing acknowledged was lost)%n", latest,
          nextUpdate[0] - 1);
      Thread.sleep(1000);
      new picocli.CommandLine(new StatusCommand()).execute("--config", layout.configFiles().get(0).toString());
      if (latest != nextUpdate[0] - 1) return 1;
      if (keep) {
        System.out.println("replicas keep running (Ctrl-C to stop). Try: bin/lnraft status --config "
            + layout.configFiles().get(0));
        Thread.currentThread().join();
      }
    }
    return 0;
  }

  private void workload(RaftStoreClient client, long epoch, ChannelKey ch, long[] nextUpdate) throws Exception {
    long[] lat = new long[commits];
    for (int i = 0; i < commits; i++) {
      long t = System.nanoTime();
      require(client.commit(epoch, List.of(Ops.appendMonitorUpdate(ch, nextUpdate[0]++, new byte[400]),
          Ops.putManager(new byte[4096]))).get(20, TimeUnit.SECONDS));
      lat[i] = System.nanoTime() - t;
    }
    Arrays.sort(lat);
    System.out.printf("%d payment-sized commits (4.5 KiB, 1 writer): p50 %.2f ms, p99 %.2f ms%n", commits,
        lat[commits / 2] / 1e6, lat[Math.min(commits - 1, (int) (commits * 0.99))] / 1e6);
  }

  private static void require(CommitOutcome o) {
    if (!(o instanceof CommitOutcome.Committed)) throw new IllegalStateException("commit refused: " + o);
  }

  private static long ms(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }

  private void start(int i) throws IOException, InterruptedException {
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = layout.dir().resolve("r" + (i + 1) + ".log");
    ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        ReplicaCommand.class.getName(), "--config", layout.configFiles().get(i).toString())
        .redirectErrorStream(true);
    Process p = pb.start();
    procs.set(i, p);
    CompletableFuture<Boolean> started = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
           var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
               java.nio.file.StandardOpenOption.APPEND)) {
        for (String line; (line = r.readLine()) != null; ) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.startsWith("replica ") && line.contains(" started ")) started.complete(true);
        }
      } catch (IOException ignored) {
        // the process ended
      }
      started.complete(false);
    }, "r" + (i + 1) + "-output");
    t.setDaemon(true);
    t.start();
    try {
      if (!started.get(60, TimeUnit.SECONDS)) throw new IllegalStateException("replica r" + (i + 1) + " exited; see " + log);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("replica r" + (i + 1) + " did not start within 60 s; see " + log, e);
    }
  }

  /** Polls every live replica for its role; returns {position, term} of a leader other than {@code excluded}. */
  private int[] awaitLeader(RaftStoreClient client, RaftGroup group, int excluded, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<int[]> found = Optional.empty();
      for (int i = 0; i < procs.size() && found.isEmpty(); i++) {
        if (i == excluded || procs.get(i) == null || !procs.get(i).isAlive()) continue;
        int pos = i;
        found = io.lnraft.store.GroupProbe.leaderSelfReport(client, group, "r" + (i + 1))
            .map(l -> new int[] {pos, (int) l.term()});
      }
      if (found.isPresent()) return found.get();
      Thread.sleep(20);
    }
    throw new IllegalStateException("no leader within " + max.toSeconds() + " s; see the r*.log files in " + layout.dir());
  }

  private void cleanup(Path base, boolean deleteDir) {
    for (Process p : procs) if (p != null) p.destroy();
    for (Process p : procs) {
      if (p == null) continue;
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
    if (deleteDir) {
      try (var s = Files.walk(base)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort
      }
    }
  }
}
