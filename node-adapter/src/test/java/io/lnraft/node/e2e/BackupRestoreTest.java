package io.lnraft.node.e2e;

import static io.lnraft.node.e2e.NodeCluster.await;
import static io.lnraft.node.e2e.NodeCluster.channel;
import static io.lnraft.node.e2e.NodeCluster.connected;
import static io.lnraft.node.e2e.NodeCluster.msSince;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.cli.LnraftCli;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disaster recovery with the real commands: a channel is opened and paid over, {@code lnraft
 * backup export} writes the encrypted backup, all three replicas are stopped (their directories
 * are never used again), a FRESH three-replica cluster (same cluster id and seed, new ports, empty
 * data directories) is started as store-only replicas ({@code lnraft replica}), {@code lnraft
 * backup restore} commits the backup, and the replicas are restarted as {@code lnraft node}. The
 * restored node serves the same channel id with the same balances, the counterparty (never
 * stopped, as a real peer) is redialed from the restored peer list, and payments succeed both ways
 * without any force-close.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BackupRestoreTest {
  @TempDir Path dir;
  private NodeCluster c;
  private final List<Process> storeOnly = new ArrayList<>();
  private final List<NodeProcess> restored = new ArrayList<>();

  @AfterEach
  void stopAll() {
    for (NodeProcess p : restored) p.close();
    for (Process p : storeOnly) destroy(p);
    if (c != null) c.close();
  }

  @Test
  void exportThenRestoreIntoAFreshClusterServesTheSameChannel() throws Exception {
    long t0 = System.nanoTime();
    c = NodeCluster.startWithChannel(dir, "BackupRestoreTest");
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    c.pay(c.cp, leader, 31_000);
    c.pay(leader, c.cp, 12_000);
    c.pay(c.cp, leader, 5_000);
    JsonNode before = channel(leader);
    long openedMs = msSince(t0);

    // ---- export from the running cluster ----
    Path backup = dir.resolve("backups").resolve("node.backup");
    Files.createDirectories(backup.getParent());
    Path oldConfig = c.layout.configFiles().get(0);
    Cli exp = cli("backup", "export", "--config", oldConfig.toString(), "--out", backup.toString());
    assertThat(exp.exit()).as("export; output:\n" + exp.out()).isZero();
    assertThat(exp.out()).contains("1 channel(s)").contains("mode 0600");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup))).isEqualTo("rw-------");
    Cli again = cli("backup", "export", "--config", oldConfig.toString(), "--out", backup.toString());
    assertThat(again.exit()).as("an existing backup is not replaced without --force").isEqualTo(1);
    assertThat(again.out()).contains("already exists");

    // ---- lose all three replicas ----
    long lossStart = System.nanoTime();
    List<CompletableFuture<Void>> kills = new ArrayList<>();
    for (NodeProcess r : c.replicas) {
      kills.add(CompletableFuture.runAsync(() -> {
        try {
          r.kill(); // SIGKILL: the machines are gone
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    for (CompletableFuture<Void> k : kills) k.get(30, TimeUnit.SECONDS);
    await("counterparty sees the cluster gone", () -> !connected(c.cp, c.clusterId));

    // ---- a fresh cluster: same cluster id and seed, new ports, empty data directories ----
    String clusterId = c.layout.configs().get(0).clusterId();
    LocalClusterLayout fresh = LocalClusterLayout.generate(dir.resolve("fresh"), 3,
        LocalClusterLayout.Options.defaults().withClusterId(clusterId));
    Files.copy(c.layout.seedFile(), fresh.seedFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    Path freshConfig = fresh.configFiles().get(0);
    long lostMs = msSince(lossStart);
    long storeStart = System.nanoTime();
    List<CompletableFuture<Process>> starting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path cfg = fresh.configFiles().get(i);
      String id = fresh.configs().get(i).replicaId();
      starting.add(CompletableFuture.supplyAsync(() -> startStoreOnly(id, cfg)));
    }
    for (CompletableFuture<Process> f : starting) storeOnly.add(f.get(120, TimeUnit.SECONDS));

    // A restore with the wrong cluster's config is refused before anything is written.
    Cli wrong = cli("backup", "restore", "--config", c.cp.config.toString(), "--in", backup.toString());
    assertThat(wrong.exit()).as("restore with another node's config; output:\n" + wrong.out()).isEqualTo(1);
    assertThat(wrong.out()).contains("cluster 'counterparty'");

    long restoreStart = System.nanoTime();
    Cli rest = cli("backup", "restore", "--config", freshConfig.toString(), "--in", backup.toString());
    long restoreMs = msSince(restoreStart);
    assertThat(rest.exit()).as("restore; output:\n" + rest.out()).isZero();
    assertThat(rest.out()).contains("1 channel(s)");
    Cli twice = cli("backup", "restore", "--config", freshConfig.toString(), "--in", backup.toString());
    assertThat(twice.exit()).as("a second restore into a store that has channels").isEqualTo(1);
    assertThat(twice.out()).contains("the store is not fresh");
    storeOnly.forEach(Process::destroy); // SIGTERM all at once: a clean stop flushes RocksDB
    for (Process p : storeOnly) destroy(p);
    storeOnly.clear();

    // ---- the restored cluster runs the node ----
    long nodeStart = System.nanoTime();
    List<CompletableFuture<NodeProcess>> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ReplicaConfig rc = fresh.configs().get(i);
      NodeProcess p = new NodeProcess(rc.replicaId(), fresh.configFiles().get(i), rc.self().api().toString(), fresh.apiTokenFile(),
          c.replicas.get(i).bitcoindArgs, dir);
      restored.add(p);
      nodes.add(CompletableFuture.supplyAsync(() -> {
        try {
          p.start();
          return p;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (CompletableFuture<NodeProcess> f : nodes) f.get(120, TimeUnit.SECONDS);
    NodeProcess next = readyLeader(restored);
    assertThat(next.ok("GET", "/v1/info", null).get("node_id").asText()).as("same node id").isEqualTo(c.clusterId);
    await("counterparty redialed from the restored peer list", () -> connected(c.cp, c.clusterId));
    await("channel active on both sides", () -> NodeCluster.active(next) && NodeCluster.active(c.cp));
    long servingMs = msSince(nodeStart);
    JsonNode after = channel(next);
    assertThat(after.get("channel_id").asText()).as("same channel id").isEqualTo(before.get("channel_id").asText());
    assertThat(after.get("capacity_sat").asLong()).isEqualTo(before.get("capacity_sat").asLong());
    assertThat(after.get("local_balance_msat").asLong()).as("same local balance").isEqualTo(before.get("local_balance_msat").asLong());
    assertThat(after.get("remote_balance_msat").asLong()).as("same remote balance")
        .isEqualTo(before.get("remote_balance_msat").asLong());
    assertThat(channel(c.cp).get("local_balance_msat").asLong()).as("counterparty agrees")
        .isEqualTo(after.get("remote_balance_msat").asLong());

    c.pay(c.cp, next, 7_000);
    c.pay(next, c.cp, 3_000);
    JsonNode end = channel(next);
    assertThat(end.get("local_balance_msat").asLong()).isEqualTo(before.get("local_balance_msat").asLong() + 4_000);
    assertThat(NodeCluster.checkFeed(c.cp)).as("counterparty feed has no channel_closed (checked inside)").isNotNull();
    assertThat(c.rpc.getRawMempool()).as("nothing broadcast (no force-close)").isEmpty();
    // The peer list (kv peers/index: "<node id hex> host:port") is sealed at rest: neither the
    // original cluster (written by LeaderNode) nor the restored one (written by the restore) holds
    // the counterparty's node id in hex in any Raft log, snapshot or RocksDB file.
    String cpHex = c.cp.ok("GET", "/v1/info", null).get("node_id").asText();
    assertThat(cpHex).hasSize(66);
    List<Path> stores = new ArrayList<>();
    for (ReplicaConfig rc : c.layout.configs()) stores.add(rc.dataDir());
    for (ReplicaConfig rc : fresh.configs()) stores.add(rc.dataDir());
    assertThat(filesContaining(stores, cpHex)).as("store files holding the peer's node id in plaintext").isEmpty();
    System.out.printf("backup-restore: channel+payments %d ms, loss %d ms, fresh store up %d ms, restore %d ms, restored node serving %d ms,"
        + " total %d ms; %s%n", openedMs, lostMs, (restoreStart - storeStart) / 1_000_000, restoreMs, servingMs, msSince(t0),
        rest.out().strip().lines().findFirst().orElse(""));
  }

  /** Files under {@code <data-dir>/raft} and {@code <data-dir>/state} of each data dir whose bytes contain {@code needle}. */
  private static List<Path> filesContaining(List<Path> dataDirs, String needle) throws IOException {
    byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
    List<Path> hits = new ArrayList<>();
    for (Path d : dataDirs) {
      for (Path root : List.of(d.resolve("raft"), d.resolve("state"))) {
        if (!Files.isDirectory(root)) continue;
        List<Path> files;
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
          files = walk.filter(Files::isRegularFile).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
          continue; // a directory removed meanwhile (RocksDB, snapshots of a running replica)
        }
        for (Path f : files) {
          byte[] content;
          try {
            content = Files.readAllBytes(f);
          } catch (IOException e) {
            continue; // removed meanwhile
          }
          for (int i = 0; i + n.length <= content.length; i++) {
            if (java.util.Arrays.equals(content, i, i + n.length, n, 0, n.length)) {
              hits.add(f);
              break;
            }
          }
        }
      }
    }
    return hits;
  }

  private static NodeProcess readyLeader(List<NodeProcess> ps) {
    NodeProcess[] found = new NodeProcess[1];
    await("a ready leader of the restored cluster", () -> {
      for (NodeProcess p : ps) {
        if (p.alive() && p.ready()) {
          found[0] = p;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  record Cli(int exit, String out) {}

  /** Runs an lnraft command in this JVM, capturing stdout and stderr (the operator's view). */
  private static synchronized Cli cli(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream cap = new PrintStream(buf, true, StandardCharsets.UTF_8);
    System.setOut(cap);
    System.setErr(cap);
    int exit;
    try {
      exit = LnraftCli.run(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    String text = buf.toString(StandardCharsets.UTF_8);
    System.out.println("$ lnraft " + String.join(" ", args) + "\n" + text + "(exit " + exit + ")");
    return new Cli(exit, text);
  }

  /** `lnraft replica --config CFG` (the store alone), started and waited for (bounded). */
  private Process startStoreOnly(String id, Path cfg) {
    try {
      Path log = dir.resolve("store-" + id + ".log");
      List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
          "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), LnraftCli.class.getName(), "replica",
          "--config", cfg.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      CompletableFuture<Boolean> started = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
          for (String line; (line = r.readLine()) != null; ) {
            w.write(line);
            w.newLine();
            w.flush();
            if (line.startsWith("replica " + id + " started")) started.complete(true);
          }
        } catch (Exception ignored) {
          // process ended
        }
        started.complete(false);
      }, "store-" + id + "-out");
      t.setDaemon(true);
      t.start();
      if (!started.get(90, TimeUnit.SECONDS)) {
        destroy(p);
        throw new IllegalStateException("lnraft replica " + id + " exited; see " + log);
      }
      return p;
    } catch (Exception e) {
      throw new IllegalStateException("starting lnraft replica " + id + ": " + e, e);
    }
  }

  private static void destroy(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
