package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** The operator examples must not drift from the keys and rules of the loader. */
class ExamplesTest {
  private static final Path THREE_MACHINES = Path.of("examples/three-machines/r1.conf");
  private static final Path KUBERNETES = Path.of("examples/kubernetes/lnraft.yaml");
  private static final Path SYSTEMD = Path.of("examples/systemd/lnraft.service");

  /**
   * Every config of the three-machine example passes the real loader and all its validation once
   * the machine-local files it names exist: seed, token and data dir are replaced by placeholder
   * files in a temp dir (a fresh seed, a token, both 0600); every other key is the example's.
   */
  @Test
  void everyThreeMachineConfigIsValid(@TempDir Path tmp) throws Exception {
    List<ReplicaConfig> loaded = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      Path file = THREE_MACHINES.resolveSibling("r" + n + ".conf");
      assertThat(file).exists();
      ReplicaConfig c = loadWithPlaceholders(ConfigFactory.parseFile(file.toFile()), file, tmp.resolve("r" + n));
      assertThat(c.replicaId()).as(file + " replica-id").isEqualTo("r" + n);
      assertThat(c.self().raft().host()).as(file + " is the config of 10.0.0." + n).isEqualTo("10.0.0." + n);
      assertThat(ConfigFactory.parseFile(file.toFile()).getString("lnraft.data-dir")).isEqualTo("/var/lib/lnraft/r" + n);
      loaded.add(c);
    }
    try (var files = Files.list(THREE_MACHINES.getParent())) {
      assertThat(files.map(f -> f.getFileName().toString())).as("three-machine example files")
          .containsExactlyInAnyOrder("r1.conf", "r2.conf", "r3.conf");
    }
    // One group: the same cluster id, replica list and settings on every machine.
    for (ReplicaConfig c : loaded) {
      assertThat(c.clusterId()).isEqualTo(loaded.get(0).clusterId());
      assertThat(c.replicas()).isEqualTo(loaded.get(0).replicas());
      assertThat(c.raft()).isEqualTo(loaded.get(0).raft());
      assertThat(c.node()).isEqualTo(loaded.get(0).node());
    }
  }

  /**
   * The Kubernetes example: its ConfigMap's lnraft.conf is valid for every pod of the StatefulSet
   * (replica-id from LNRAFT_REPLICA_ID = the pod name), and the manifests have what a
   * three-replica group behind GET /ready needs.
   */
  @Test
  void kubernetesExampleIsValidForEveryPod(@TempDir Path tmp) throws Exception {
    Map<String, Map<String, Object>> docs = new HashMap<>();
    try (var in = Files.newInputStream(KUBERNETES)) {
      for (Object d : new Yaml().loadAll(in)) {
        Map<String, Object> doc = map(d);
        docs.put(doc.get("kind") + "/" + map(doc.get("metadata")).get("name"), doc);
      }
    }
    assertThat(docs).containsOnlyKeys("ConfigMap/lnraft-config", "Service/lnraft-raft", "Service/lnraft",
        "PodDisruptionBudget/lnraft", "StatefulSet/lnraft");
    Map<String, Object> sts = map(docs.get("StatefulSet/lnraft").get("spec"));
    assertThat(sts).containsEntry("replicas", 3).containsEntry("serviceName", "lnraft-raft")
        .containsEntry("podManagementPolicy", "Parallel");
    assertThat(map(sts.get("updateStrategy"))).containsEntry("type", "OnDelete");

    String conf = (String) map(docs.get("ConfigMap/lnraft-config").get("data")).get("lnraft.conf");
    for (int i = 0; i < 3; i++) {
      String pod = "lnraft-" + i;
      var withEnv = ConfigFactory.parseString(conf).withFallback(ConfigFactory.parseMap(Map.of("LNRAFT_REPLICA_ID", pod)));
      ReplicaConfig c = loadWithPlaceholders(withEnv, KUBERNETES, tmp.resolve(pod));
      assertThat(c.replicaId()).isEqualTo(pod);
      assertThat(c.self().raft().host()).as("pod DNS name in the headless service").isEqualTo(pod + ".lnraft-raft");
    }

    Map<String, Object> headless = map(docs.get("Service/lnraft-raft").get("spec"));
    assertThat(headless).containsEntry("clusterIP", "None").containsEntry("publishNotReadyAddresses", true);
    Map<String, Object> front = map(docs.get("Service/lnraft").get("spec"));
    assertThat(front).doesNotContainKey("publishNotReadyAddresses");
    assertThat(list(front.get("ports"))).extracting(p -> map(p).get("port")).containsExactlyInAnyOrder(9735, 8080);
    assertThat(map(docs.get("PodDisruptionBudget/lnraft").get("spec"))).containsEntry("maxUnavailable", 1);

    Map<String, Object> pod = map(map(sts.get("template")).get("spec"));
    assertThat(map(map(pod.get("affinity")).get("podAntiAffinity"))).containsKey("requiredDuringSchedulingIgnoredDuringExecution");
    Map<String, Object> node = map(list(pod.get("containers")).get(0));
    assertThat(list(node.get("command"))).containsSubsequence("node", "--config", "/etc/lnraft/lnraft.conf");
    assertThat(map(map(node.get("readinessProbe")).get("httpGet"))).containsEntry("path", "/ready").containsEntry("port", "api");
    assertThat(map(map(node.get("livenessProbe")).get("httpGet"))).containsEntry("path", "/health").containsEntry("port", "api");
    assertThat(list(node.get("env"))).anySatisfy(e -> assertThat(map(e)).containsEntry("name", "LNRAFT_REPLICA_ID")
        .containsEntry("valueFrom", Map.of("fieldRef", Map.of("fieldPath", "metadata.name"))));
    Map<String, Object> secret = list(pod.get("volumes")).stream().map(ExamplesTest::map)
        .filter(v -> v.containsKey("secret")).map(v -> map(v.get("secret"))).findFirst().orElseThrow();
    assertThat(secret).containsEntry("defaultMode", 0400);
  }

  /** The systemd unit has what the brief of OPERATIONS.md promises, and systemd accepts it. */
  @Test
  void systemdUnitRunsTheNodeHardenedAndPassesSystemdAnalyze(@TempDir Path tmp) throws Exception {
    String unit = Files.readString(SYSTEMD);
    Map<String, String> service = new HashMap<>();
    String section = "";
    for (String line : unit.split("\n")) {
      String l = line.trim();
      if (l.startsWith("[")) section = l;
      else if (section.equals("[Service]") && !l.startsWith("#") && l.contains("=")) {
        service.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
      }
    }
    assertThat(service).containsEntry("User", "lnraft").containsEntry("Restart", "on-failure")
        .containsEntry("ExecStart", "/opt/lnraft/bin/lnraft node --config /etc/lnraft/lnraft.conf")
        .containsEntry("ProtectSystem", "strict").containsEntry("NoNewPrivileges", "yes").containsKey("LimitNOFILE");
    assertThat(service).as("the JIT needs writable+executable memory").doesNotContainKey("MemoryDenyWriteExecute");
    assertThat(service.getOrDefault("NoExecPaths", "")).as("JNI libraries load from /tmp").doesNotContain("/tmp");

    Optional<Path> analyze = onPath("systemd-analyze");
    assumeTrue(analyze.isPresent(), "install systemd (apt-get install -y systemd) to check the unit with systemd-analyze verify");
    // verify wants ExecStart's program to exist: point it at /bin/true; everything else as written.
    Path copy = tmp.resolve("lnraft.service");
    Files.writeString(copy, unit.replace("ExecStart=/opt/lnraft/bin/lnraft ", "ExecStart=/bin/true "));
    Process p = new ProcessBuilder(analyze.get().toString(), "verify", copy.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("systemd-analyze verify finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("systemd-analyze verify " + SYSTEMD + ": " + out).isZero();
    assertThat(out).as("systemd-analyze verify warnings").doesNotContain("lnraft.service:");
  }

  /** The example with its machine-local files (seed, token, data dir) replaced by fresh ones under {@code dir}. */
  private static ReplicaConfig loadWithPlaceholders(com.typesafe.config.Config example, Path origin, Path dir) throws Exception {
    Files.createDirectories(dir);
    SeedFile.create(dir.resolve("seed.txt"), new SecureRandom());
    OwnerOnlyFiles.write(dir.resolve("api-token"), "placeholder-token-0123456789\n".getBytes(StandardCharsets.US_ASCII));
    var placeholders = ConfigFactory.parseMap(Map.of(
        "lnraft.seed-file", dir.resolve("seed.txt").toString(),
        "lnraft.api-token-file", dir.resolve("api-token").toString(),
        "lnraft.data-dir", dir.resolve("data").toString()));
    // Fails with every problem listed (key and fix) if the example no longer loads.
    return ConfigLoader.parse(placeholders.withFallback(example), origin.toString(), origin.getParent());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<Object>) o;
  }

  static Optional<Path> onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (d.isEmpty()) continue;
      Path p = Path.of(d, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  @Test
  void threeMachineExampleDescribesAGroupOfThreeDistinctHosts() throws Exception {
    var c = ConfigFactory.parseFile(THREE_MACHINES.toFile());
    assertThat(c.getConfigList("lnraft.replicas")).hasSize(3);
    assertThat(c.getString("lnraft.replica-id")).isEqualTo("r1");
    assertThat(c.getDuration("lnraft.raft.election-timeout-min")).isEqualTo(Duration.ofMillis(300));
    assertThat(Files.readString(THREE_MACHINES)).contains("10.0.0.1", "10.0.0.2", "10.0.0.3", "chmod 600");
    // Each replica uses the bitcoind on its own machine, authenticated by the cookie file.
    assertThat(c.getString("lnraft.bitcoind.rpc-url")).startsWith("http://127.0.0.1:");
    assertThat(c.hasPath("lnraft.bitcoind.rpc-cookie-file")).isTrue();
    assertThat(c.hasPath("lnraft.bitcoind.rpc-user")).isFalse();
  }
}
