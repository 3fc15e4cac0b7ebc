package io.lnraft.config;

import static io.lnraft.config.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  @TempDir Path dir;

  @BeforeEach
  void secrets() throws IOException {
    writeSecrets(dir);
  }

  private List<String> problems(String hocon) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.loadString(hocon, dir));
    assertThat(e).as("expected the config to be rejected:\n%s", hocon).isNotNull();
    return e.problems();
  }

  /** Exactly one problem, starting with {@code key}, containing every fragment. */
  private void assertSingleProblem(String hocon, String key, String... fragments) {
    List<String> problems = problems(hocon);
    assertThat(problems).as("problems of\n%s", hocon).hasSize(1);
    assertThat(problems.get(0)).startsWith(key + ":").contains(fragments);
  }

  @Test
  void validConfigLoadsWithReferenceDefaults() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon(), dir);

    assertThat(c.clusterId()).isEqualTo("test-cluster");
    assertThat(c.replicaId()).isEqualTo("r1");
    assertThat(c.network()).isEqualTo("regtest");
    assertThat(c.replicas()).extracting(ReplicaEndpoint::id).containsExactly("r1", "r2", "r3");
    assertThat(c.self().raft()).isEqualTo(new HostPort("127.0.0.1", 9861));
    assertThat(c.self().peer()).isEqualTo(new HostPort("127.0.0.1", 9735));
    assertThat(c.self().api()).isEqualTo(new HostPort("127.0.0.1", 8080));
    assertThat(c.dataDir()).isEqualTo(dir.resolve("r1-data"));
    assertThat(c.seedFile()).isEqualTo(dir.resolve("seed.txt"));
    assertThat(c.apiTokenFile()).isEqualTo(dir.resolve("api-token"));
    assertThat(c.raft()).isEqualTo(RaftSettings.defaults());
    assertThat(c.snapshot()).isEqualTo(SnapshotSettings.defaults());
    assertThat(c.allowUnsafeGroupSize()).isFalse();
    assertThat(c.bitcoind()).isEmpty();
    assertThat(c.node()).isEqualTo(NodeSettings.defaults());
    assertThat(c.node().servingJournalMaxFileBytes()).isEqualTo(64L << 20);
    assertThat(c.node().servingJournalKeepFiles()).isEqualTo(15);
  }

  /** Found by ConfigLoaderFuzzProperties in CI: an unresolvable substitution escaped as Typesafe's own exception. */
  @Test
  void unresolvableSubstitutionsGetTheLoadersOwnError() {
    for (String hocon : List.of("lnraft += 1", "lnraft = ${?lnraft} [1]", "lnraft.cluster-id = ${nope}", "a = ${a}")) {
      assertThatThrownBy(() -> ConfigLoader.loadString(hocon, dir)).as(hocon).isInstanceOf(ConfigException.class)
          .satisfies(e -> assertThat(((ConfigException) e).problems()).isNotEmpty());
    }
  }

  @Test
  void referenceConfDocumentsExactlyTheKnownKeys() throws IOException {
    Config ref = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
    // raft.tls is optional (no default block) but documented, commented out, like bitcoind.
    assertThat(ref.getObject("lnraft.raft").keySet()).containsExactlyInAnyOrderElementsOf(
        ConfigKeys.RAFT_KEYS.stream().filter(k -> !k.equals(ConfigKeys.TLS)).toList());
    assertThat(ref.getObject("lnraft.snapshot").keySet()).containsExactlyInAnyOrderElementsOf(ConfigKeys.SNAPSHOT_KEYS);
    assertThat(ref.getObject("lnraft.node").keySet()).containsExactlyInAnyOrderElementsOf(ConfigKeys.NODE_KEYS);
    assertThat(ConfigKeys.TOP_LEVEL).containsAll(ref.getObject("lnraft").keySet());
    assertThat(ref.hasPath("lnraft.bitcoind")).as("bitcoind has no default block").isFalse();
    String text;
    try (var in = ConfigLoader.class.getClassLoader().getResourceAsStream("reference.conf")) {
      text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    // Required keys have no default but are still documented (commented out).
    for (String key : ConfigKeys.TOP_LEVEL) {
      assertThat(text).containsPattern("(?m)^\\s*#?\\s*" + key + " [={]");
    }
    for (String key : ConfigKeys.BITCOIND_KEYS) {
      assertThat(text).containsPattern("(?m)^\\s*#\\s*" + key + " = ");
    }
    for (String key : ConfigKeys.TLS_KEYS) {
      assertThat(text).containsPattern("(?m)^\\s*#\\s*" + key + " = ");
    }
  }

  @Test
  void overridesEveryDefault() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon(
        "lnraft.allow-unsafe-group-size = true",
        "lnraft.raft { rpc-type = netty, election-timeout-min = 150ms, election-timeout-max = 2s,"
            + " leader-lease = off, leader-lease-ratio = 0.5, request-timeout = 30s, max-entry-bytes = 64KiB }",
        "lnraft.snapshot { auto-trigger = off, every-entries = 5, retain = 7 }",
        "lnraft.node { alias = \"ünïcødé-node\", reconnect-interval = 250ms, max-peer-connections = 1,"
            + " api-max-body-bytes = 1KiB }"), dir);
    assertThat(c.raft()).isEqualTo(new RaftSettings(RpcType.NETTY, Duration.ofMillis(150), Duration.ofSeconds(2),
        false, 0.5, Duration.ofSeconds(30), 64 << 10));
    assertThat(c.snapshot()).isEqualTo(new SnapshotSettings(false, 5, 7));
    assertThat(c.allowUnsafeGroupSize()).isTrue();
    assertThat(c.node()).isEqualTo(new NodeSettings("ünïcødé-node", Duration.ofMillis(250), 1, 1024));
  }

  @Test
  void relativePathsResolveAgainstTheConfigFilesDirectory() throws IOException {
    Path confDir = Files.createDirectories(dir.resolve("etc/lnraft"));
    Path shared = Files.createDirectories(dir.resolve("shared"));
    writeSecrets(shared);
    Map<String, String> e = validEntries();
    e.put("data-dir", "\"data/r1\"");
    e.put("seed-file", "\"../../shared/seed.txt\"");
    e.put("api-token-file", "\"" + shared.resolve("api-token") + "\""); // absolute stays absolute
    Path file = confDir.resolve("r1.conf");
    Files.writeString(file, hocon(e));

    ReplicaConfig c = ConfigLoader.load(file);

    assertThat(c.dataDir()).isEqualTo(confDir.resolve("data/r1"));
    assertThat(c.seedFile()).isEqualTo(shared.resolve("seed.txt"));
    assertThat(c.apiTokenFile()).isEqualTo(shared.resolve("api-token"));
    // The working directory plays no part.
    assertThat(c.dataDir().toAbsolutePath().startsWith(Path.of("").toAbsolutePath().resolve("data"))).isFalse();
  }

  private static Arguments rule(String override, String key, String... fragments) {
    return Arguments.of(override, key, List.of(fragments));
  }

  static Stream<Arguments> singleRuleViolations() {
    return Stream.of(
        rule("lnraft.raft.election-timeout-mn = 100ms", "lnraft.raft.election-timeout-mn",
            "unknown key", "did you mean election-timeout-min?"),
        rule("lnraft.clusterid = x", "lnraft.clusterid", "did you mean cluster-id?"),
        rule("lnraft.election-timeout-min = 300ms", "lnraft.election-timeout-min",
            "lnraft.raft.election-timeout-min"),
        rule("lnraft.snapshot.retian = 3", "lnraft.snapshot.retian", "did you mean retain?"),
        rule("lnraft.colour = blue", "lnraft.colour", "remove it"),
        rule("lnraft.raft.election-timeout-min = fast", "lnraft.raft.election-timeout-min",
            "\"fast\" is not a duration", "300ms"),
        rule("lnraft.raft.election-timeout-min = 40ms", "lnraft.raft.election-timeout-min", "below 50ms"),
        rule("lnraft.raft.election-timeout-min = 600ms", "lnraft.raft.election-timeout-min",
            "600ms is not below lnraft.raft.election-timeout-max (600ms)"),
        rule("lnraft.raft.election-timeout-max = 200ms", "lnraft.raft.election-timeout-min",
            "300ms is not below lnraft.raft.election-timeout-max (200ms)"),
        rule("lnraft.raft.leader-lease-ratio = 1.0", "lnraft.raft.leader-lease-ratio", "outside (0, 1)"),
        rule("lnraft.raft.leader-lease-ratio = 0", "lnraft.raft.leader-lease-ratio", "outside (0, 1)"),
        rule("lnraft.raft.leader-lease-ratio = high", "lnraft.raft.leader-lease-ratio", "is not a number"),
        rule("lnraft.raft.leader-lease = maybe", "lnraft.raft.leader-lease", "is not a boolean"),
        rule("lnraft.raft.max-entry-bytes = 63KiB", "lnraft.raft.max-entry-bytes", "[64KiB, 64MiB]"),
        // Found by ConfigLoaderFuzzProperties: a size beyond a long threw a bare IllegalArgumentException.
        rule("lnraft.raft.max-entry-bytes = 1 ZiB", "lnraft.raft.max-entry-bytes", "far too large", "8MiB"),
        rule("lnraft.node.api-max-body-bytes = 9223372036854775807 TiB", "lnraft.node.api-max-body-bytes",
            "far too large", "64KiB"),
        rule("lnraft.raft.max-entry-bytes = 65MiB", "lnraft.raft.max-entry-bytes", "[64KiB, 64MiB]"),
        rule("lnraft.raft.max-entry-bytes = lots", "lnraft.raft.max-entry-bytes", "is not a size"),
        rule("lnraft.raft.request-timeout = 0s", "lnraft.raft.request-timeout", "must be positive"),
        rule("lnraft.raft.rpc-type = http", "lnraft.raft.rpc-type", "use grpc or netty"),
        rule("lnraft.raft = 5", "lnraft.raft", "must be an object"),
        rule("lnraft.raft = null", "lnraft.raft", "must be an object"),
        rule("lnraft.snapshot.retain = 0", "lnraft.snapshot.retain", "below 1"),
        rule("lnraft.snapshot.every-entries = 0", "lnraft.snapshot.every-entries", "below 1"),
        rule("lnraft.network = testnet3", "lnraft.network", "did you mean testnet?",
            "mainnet, testnet, signet or regtest"),
        rule("lnraft.network = litecoin", "lnraft.network", "is not a network"),
        rule("lnraft.replica-id = r9", "lnraft.replica-id", "\"r9\" is not the id of any entry",
            "r1, r2, r3"),
        rule("lnraft.cluster-id = \"bad id!\"", "lnraft.cluster-id", "not a valid cluster id"),
        rule("lnraft.data-dir = \"\"", "lnraft.data-dir", "is empty"),
        rule("lnraft.seed-file = \"missing-seed.txt\"", "lnraft.seed-file", "does not exist"),
        rule("lnraft.api-token-file = \"nope\"", "lnraft.api-token-file", "does not exist"),
        rule("lnraft.replicas = r1", "lnraft.replicas", "must be a list"),
        rule("lnraft.replicas = [ r1 ]", "lnraft.replicas[0]", "must be an object"),
        // node
        rule("lnraft.node.alias = \"" + "x".repeat(33) + "\"", "lnraft.node.alias", "33 bytes in UTF-8",
            "more than 32", "shorten it"),
        rule("lnraft.node.alias = \"" + "é".repeat(17) + "\"", "lnraft.node.alias", "34 bytes in UTF-8"),
        rule("lnraft.node.alias = \"a\\u0000b\"", "lnraft.node.alias", "control character"),
        rule("lnraft.node.reconnect-interval = 0s", "lnraft.node.reconnect-interval", "must be positive", "5s"),
        rule("lnraft.node.reconnect-interval = soon", "lnraft.node.reconnect-interval", "is not a duration"),
        rule("lnraft.node.max-peer-connections = 0", "lnraft.node.max-peer-connections", "below 1", "64"),
        rule("lnraft.node.api-max-body-bytes = 1023", "lnraft.node.api-max-body-bytes", "[1KiB, 16MiB]"),
        rule("lnraft.node.api-max-body-bytes = 17MiB", "lnraft.node.api-max-body-bytes", "[1KiB, 16MiB]"),
        rule("lnraft.node.serving-journal-max-file-bytes = 63KiB", "lnraft.node.serving-journal-max-file-bytes",
            "outside [64KiB, 1TiB]", "rotated", "64MiB"),
        rule("lnraft.node.serving-journal-max-file-bytes = 2TiB", "lnraft.node.serving-journal-max-file-bytes",
            "outside [64KiB, 1TiB]"),
        rule("lnraft.node.serving-journal-max-file-bytes = big", "lnraft.node.serving-journal-max-file-bytes",
            "is not a size", "64MiB"),
        rule("lnraft.node.serving-journal-keep-files = 0", "lnraft.node.serving-journal-keep-files",
            "0 is outside [1, 1000]", "use e.g. 15", "serving-journal = off"),
        rule("lnraft.node.serving-journal-keep-files = 1001", "lnraft.node.serving-journal-keep-files",
            "outside [1, 1000]"),
        rule("lnraft.node.serving-journal-keep-files = all", "lnraft.node.serving-journal-keep-files",
            "is not a whole number", "serving-journal-keep-files = 15"),
        rule("lnraft.node.serving-journal-keep-file = 3", "lnraft.node.serving-journal-keep-file",
            "did you mean serving-journal-keep-files?"),
        rule("lnraft.node.alais = x", "lnraft.node.alais", "did you mean alias?"),
        rule("lnraft.alias = x", "lnraft.alias", "belongs inside node { }", "lnraft.node.alias"),
        rule("lnraft.node = on", "lnraft.node", "must be an object"),
        // bitcoind
        rule("lnraft.bitcoind = 1", "lnraft.bitcoind", "must be an object"),
        rule("lnraft.bitcoind = null", "lnraft.bitcoind", "must be an object"),
        rule("lnraft.bitcoind { rpc-cookie-file = c }", "lnraft.bitcoind.rpc-url", "missing",
            "rpc-url = \"http://127.0.0.1:18443\""),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\" }", "lnraft.bitcoind", "no credentials",
            "rpc-cookie-file", "rpc-user and rpc-password-file"),
        rule("lnraft.bitcoind { rpc-url = \"ftp://127.0.0.1:18443\", rpc-cookie-file = c }",
            "lnraft.bitcoind.rpc-url", "not an http or https URL"),
        rule("lnraft.bitcoind { rpc-url = \"localhost:18443\", rpc-cookie-file = c }",
            "lnraft.bitcoind.rpc-url", "not an http or https URL", "http://127.0.0.1:18443"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1\", rpc-cookie-file = c }",
            "lnraft.bitcoind.rpc-url", "has no port", "regtest 18443"),
        rule("lnraft.bitcoind { rpc-url = \"http:///x\", rpc-cookie-file = c }",
            "lnraft.bitcoind.rpc-url", "has no host"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443/?wallet=w\", rpc-cookie-file = c }",
            "lnraft.bitcoind.rpc-url", "query or fragment"),
        rule("lnraft.bitcoind { rpc-url = \"http://a b:1\", rpc-cookie-file = c }",
            "lnraft.bitcoind.rpc-url", "is not a URL"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = c, rpc-user = u,"
            + " rpc-password-file = rpc-password }", "lnraft.bitcoind.rpc-cookie-file", "not both"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-user = u }",
            "lnraft.bitcoind.rpc-password-file", "missing", "chmod 600"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-password-file = rpc-password }",
            "lnraft.bitcoind.rpc-user", "missing"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-user = \"a:b\","
            + " rpc-password-file = rpc-password }", "lnraft.bitcoind.rpc-user", "contains ':'"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-user = u,"
            + " rpc-password-file = nope }", "lnraft.bitcoind.rpc-password-file", "does not exist"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = r1-data-dir }",
            "lnraft.bitcoind.rpc-cookie-file", "not a regular file"),
        rule("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = c, rpc-coookie-file = c }",
            "lnraft.bitcoind.rpc-coookie-file", "did you mean rpc-cookie-file?"),
        rule("lnraft.rpc-url = \"http://127.0.0.1:18443\"", "lnraft.rpc-url", "belongs inside bitcoind { }"));
  }

  @ParameterizedTest
  @MethodSource("singleRuleViolations")
  void eachRuleIsReportedWithItsKey(String override, String key, List<String> fragments) {
    assertSingleProblem(validHocon(override), key, fragments.toArray(String[]::new));
  }

  @Test
  void bitcoindWithCookieFileLoadsAndTheCookieNeedNotExistYet() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon(
        "lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = \"btc/regtest/.cookie\" }"), dir);
    assertThat(c.bitcoind()).contains(BitcoindSettings.cookie(URI.create("http://127.0.0.1:18443"),
        dir.resolve("btc/regtest/.cookie")));
    assertThat(c.requireBitcoind()).isEqualTo(c.bitcoind().orElseThrow());
  }

  @Test
  void bitcoindWithUserAndOwnerOnlyPasswordFileLoads() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon(
        "lnraft.bitcoind { rpc-url = \"https://node.example:8332/\", rpc-user = lnraft,"
            + " rpc-password-file = rpc-password }"), dir);
    BitcoindSettings b = c.requireBitcoind();
    assertThat(b).isEqualTo(BitcoindSettings.password(URI.create("https://node.example:8332/"), "lnraft",
        dir.resolve("rpc-password")));
    assertThat(b.readPassword()).isEqualTo(RPC_PASSWORD);
  }

  @Test
  void withoutBitcoindTheNodeCannotRunAndTheErrorSaysWhatToAdd() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon(), dir);
    assertThatThrownBy(c::requireBitcoind).isInstanceOf(ConfigException.class)
        .hasMessageContaining("lnraft.bitcoind: missing").hasMessageContaining("rpc-url = ");
  }

  @Test
  void passwordInTheConfigIsRejectedWithoutEchoingIt() {
    for (String hocon : List.of(
        validHocon("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-user = u,"
            + " rpc-password = \"hunter2-secret\" }"),
        validHocon("lnraft.rpc-password = \"hunter2-secret\""),
        validHocon("lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = c,"
            + " rpcpassword = \"hunter2-secret\" }"))) {
      List<String> problems = problems(hocon);
      assertThat(problems).anySatisfy(p -> assertThat(p).matches("lnraft\\.(bitcoind\\.)?rpc-?password: .*")
          .contains("never put bitcoind's password in the configuration", "lnraft.bitcoind.rpc-password-file",
              "chmod 600"));
      assertThat(String.join("\n", problems)).doesNotContain("hunter2");
    }
  }

  @Test
  void credentialsInTheUrlAreRejectedWithoutEchoingThem() {
    List<String> problems = problems(validHocon(
        "lnraft.bitcoind { rpc-url = \"http://lnraft:hunter2-secret@127.0.0.1:18443\", rpc-cookie-file = c }"));
    assertThat(problems).singleElement().asString().startsWith("lnraft.bitcoind.rpc-url: holds credentials")
        .contains("rpc-password-file").doesNotContain("hunter2");
    List<String> unparsable = problems(validHocon(
        "lnraft.bitcoind { rpc-url = \"http://lnraft:hunter2 secret@127.0.0.1:18443\", rpc-cookie-file = c }"));
    assertThat(unparsable).singleElement().asString().startsWith("lnraft.bitcoind.rpc-url: is not a URL")
        .doesNotContain("hunter2");
  }

  @Test
  void worldReadableOrEmptyPasswordFileIsRejected() throws IOException {
    String bitcoind = "lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-user = u,"
        + " rpc-password-file = rpc-password }";
    Path pw = dir.resolve("rpc-password");
    chmod(pw, "rw-r--r--");
    assertSingleProblem(validHocon(bitcoind), "lnraft.bitcoind.rpc-password-file", "mode 0644", "chmod 600 " + pw);
    chmod(pw, "rw-------");
    OwnerOnlyFiles.write(pw, " \n".getBytes());
    assertSingleProblem(validHocon(bitcoind), "lnraft.bitcoind.rpc-password-file", "is empty");
  }

  @Test
  void shortOrNonAsciiApiTokenIsRejectedWithoutEchoingIt() throws IOException {
    OwnerOnlyFiles.write(dir.resolve("api-token"), "short-tok3n\n".getBytes());
    assertSingleProblem(validHocon(), "lnraft.api-token-file", "11 characters, fewer than 16");
    assertThat(String.join("", problems(validHocon()))).doesNotContain("short-tok3n");
  }

  @Test
  void missingRequiredKeysAreEachReported() {
    Map<String, String> e = validEntries();
    e.remove("cluster-id");
    e.remove("network");
    e.remove("data-dir");
    List<String> problems = problems(hocon(e));
    assertThat(problems).hasSize(3);
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("lnraft.cluster-id: missing").contains("cluster-id ="));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("lnraft.network: missing").contains("regtest"));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("lnraft.data-dir: missing"));
  }

  @Test
  void missingReplicasIsReported() {
    Map<String, String> e = validEntries();
    e.remove("replicas");
    assertSingleProblem(hocon(e), "lnraft.replicas", "missing");
  }

  private static String replicas(String... entries) {
    return "[\n    " + String.join("\n    ", entries) + "\n  ]";
  }

  private static String replica(String id, int raft, int peer, int api) {
    return "{ id = " + id + ", raft = \"127.0.0.1:" + raft + "\", peer = \"127.0.0.1:" + peer
        + "\", api = \"127.0.0.1:" + api + "\" }";
  }

  private String withReplicas(String list, String... extra) {
    Map<String, String> e = validEntries();
    e.put("replicas", list);
    return hocon(e, extra);
  }

  @Test
  void duplicateReplicaIdIsRejected() {
    assertSingleProblem(withReplicas(replicas(replica("r1", 1, 2, 3), replica("r1", 4, 5, 6), replica("r3", 7, 8, 9))),
        "lnraft.replicas[1].id", "replica id r1 is already used by lnraft.replicas[0]", "its own id");
  }

  @Test
  void portUsedByAnotherReplicaIsRejected() {
    assertSingleProblem(
        withReplicas(replicas(replica("r1", 9861, 2, 3), replica("r2", 9861, 5, 6), replica("r3", 7, 8, 9))),
        "lnraft.replicas[1].raft", "port 9861 on 127.0.0.1 is already used by replica r1 (raft)",
        "give each replica its own port");
  }

  @Test
  void sameAddressAcrossDifferentRolesIsRejected() {
    assertSingleProblem(
        withReplicas(replicas(replica("r1", 1, 2, 3), replica("r2", 4, 5, 6), replica("r3", 7, 8, 2))),
        "lnraft.replicas[2].api", "already used by replica r1 (peer)");
  }

  @Test
  void sameAddressWithinOneReplicaIsRejected() {
    assertSingleProblem(
        withReplicas(replicas(replica("r1", 1, 1, 3), replica("r2", 4, 5, 6), replica("r3", 7, 8, 9))),
        "lnraft.replicas[0].peer", "already this replica's raft address", "different ports");
  }

  @Test
  void samePortOnDifferentHostsIsAllowed() {
    String list = replicas(
        "{ id = r1, raft = \"10.0.0.1:9861\", peer = \"10.0.0.1:9735\", api = \"10.0.0.1:8080\" }",
        "{ id = r2, raft = \"10.0.0.2:9861\", peer = \"10.0.0.2:9735\", api = \"10.0.0.2:8080\" }",
        "{ id = r3, raft = \"10.0.0.3:9861\", peer = \"10.0.0.3:9735\", api = \"10.0.0.3:8080\" }");
    assertThat(ConfigLoader.loadString(withReplicas(list), dir).replicas()).hasSize(3);
  }

  @Test
  void evenOrSingleGroupNeedsTheUnsafeFlag() {
    String two = replicas(replica("r1", 1, 2, 3), replica("r2", 4, 5, 6));
    assertSingleProblem(withReplicas(two), "lnraft.replicas", "2 replicas", "tolerates 0 failures",
        "no more than a group of 1", "allow-unsafe-group-size = true");
    String four = replicas(replica("r1", 1, 2, 3), replica("r2", 4, 5, 6), replica("r3", 7, 8, 9),
        replica("r4", 10, 11, 12));
    assertSingleProblem(withReplicas(four), "lnraft.replicas", "4 replicas", "tolerates 1 failure,",
        "no more than a group of 3");
    String one = replicas(replica("r1", 1, 2, 3));
    assertSingleProblem(withReplicas(one), "lnraft.replicas", "1 replica", "single replica tolerates no failure");
    assertSingleProblem(withReplicas("[]"), "lnraft.replicas", "empty");

    assertThat(ConfigLoader.loadString(withReplicas(two, "lnraft.allow-unsafe-group-size = true"), dir).replicas())
        .hasSize(2);
    assertThat(ConfigLoader.loadString(withReplicas(one, "lnraft.allow-unsafe-group-size = on"), dir).replicas())
        .hasSize(1);
  }

  @Test
  void badHostPortIsRejectedWithExample() {
    assertSingleProblem(withReplicas(replicas(
            "{ id = r1, raft = localhost, peer = \"127.0.0.1:2\", api = \"127.0.0.1:3\" }",
            replica("r2", 4, 5, 6), replica("r3", 7, 8, 9))),
        "lnraft.replicas[0].raft", "'localhost' is not host:port", "example: 127.0.0.1:9861");
    assertSingleProblem(withReplicas(replicas(
            "{ id = r1, raft = \"127.0.0.1:1\", peer = \"127.0.0.1:70000\", api = \"127.0.0.1:3\" }",
            replica("r2", 4, 5, 6), replica("r3", 7, 8, 9))),
        "lnraft.replicas[0].peer", "outside 1..65535");
  }

  @Test
  void unknownAndMissingReplicaFieldsAreReported() {
    List<String> problems = problems(withReplicas(replicas(
        "{ id = r1, raft = \"127.0.0.1:1\", peer = \"127.0.0.1:2\", apii = \"127.0.0.1:3\" }",
        replica("r2", 4, 5, 6), replica("r3", 7, 8, 9))));
    assertThat(problems).containsExactlyInAnyOrder(
        "lnraft.replicas[0].apii: unknown key — did you mean api?",
        "lnraft.replicas[0].api: missing — add api = \"10.0.0.1:8080\"");
  }

  @Test
  void dataDirThatIsAFileIsRejected() throws IOException {
    Files.writeString(dir.resolve("r1-data"), "x");
    assertSingleProblem(validHocon(), "lnraft.data-dir", "exists but is not a directory");
  }

  @Test
  void dataDirUnderAFileCannotBeCreated() throws IOException {
    Files.writeString(dir.resolve("blocker"), "x");
    assertSingleProblem(validHocon("lnraft.data-dir = blocker/sub/data"), "lnraft.data-dir",
        "cannot be created because " + dir.resolve("blocker") + " is not a directory");
  }

  @Test
  void unwritableDataDirAndParentAreRejected() throws IOException {
    assumeFalse(isRoot(), "root may write anywhere");
    Path locked = Files.createDirectory(dir.resolve("locked"));
    Files.createDirectory(locked.resolve("existing"));
    chmod(locked.resolve("existing"), "r-x------");
    chmod(locked, "r-x------");
    try {
      assertSingleProblem(validHocon("lnraft.data-dir = locked/existing"), "lnraft.data-dir", "is not writable");
      assertSingleProblem(validHocon("lnraft.data-dir = locked/new/data"), "lnraft.data-dir",
          "cannot be created because " + locked + " is not writable");
    } finally {
      chmod(locked, "rwx------");
      chmod(locked.resolve("existing"), "rwx------");
    }
  }

  @Test
  void missingDataDirWithWritableParentIsFine() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon("lnraft.data-dir = a/b/c"), dir);
    assertThat(c.dataDir()).isEqualTo(dir.resolve("a/b/c"));
    assertThat(Files.exists(c.dataDir())).as("loading must not create directories").isFalse();
  }

  @Test
  void worldReadableSeedFileIsRejectedWithChmodHint() throws IOException {
    Path seed = dir.resolve("seed.txt");
    chmod(seed, "rw-r--r--");
    assertSingleProblem(validHocon(), "lnraft.seed-file", "mode 0644", "chmod 600 " + seed);
  }

  @Test
  void groupAccessibleTokenFileIsRejectedWithChmodHint() throws IOException {
    Path token = dir.resolve("api-token");
    chmod(token, "rw-rw----");
    assertSingleProblem(validHocon(), "lnraft.api-token-file", "mode 0660", "chmod 600 " + token);
  }

  @Test
  void emptyTokenFileIsRejected() throws IOException {
    OwnerOnlyFiles.write(dir.resolve("api-token"), new byte[0]);
    assertSingleProblem(validHocon(), "lnraft.api-token-file", "is empty");
  }

  @Test
  void seedFileThatIsADirectoryIsRejected() throws IOException {
    Files.createDirectory(dir.resolve("seeddir"));
    assertSingleProblem(validHocon("lnraft.seed-file = seeddir"), "lnraft.seed-file", "not a regular file");
  }

  @Test
  void allProblemsAreReportedTogether() throws IOException {
    chmod(dir.resolve("seed.txt"), "rw-r-----");
    String hocon = withReplicas(
        replicas(replica("r1", 9861, 2, 3), replica("r2", 9861, 5, 6)),
        "lnraft.network = mainet",
        "lnraft.raft.election-timeout-min = 10ms",
        "lnraft.raft.leader-lease-ratio = 2",
        "lnraft.snapshot.retain = 0",
        "lnraft.seed-fiel = x",
        "lnraft.node.max-peer-connections = -1",
        "lnraft.bitcoind { rpc-url = \"http://127.0.0.1\", rpc-user = u }");

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.loadString(hocon, dir));

    assertThat(e.problems()).extracting(p -> p.substring(0, p.indexOf(':'))).containsExactlyInAnyOrder(
        "lnraft.seed-fiel", "lnraft.network", "lnraft.raft.election-timeout-min", "lnraft.raft.leader-lease-ratio",
        "lnraft.snapshot.retain", "lnraft.replicas[1].raft", "lnraft.replicas", "lnraft.seed-file",
        "lnraft.node.max-peer-connections", "lnraft.bitcoind.rpc-url", "lnraft.bitcoind.rpc-password-file");
    assertThat(e.getMessage()).contains("did you mean seed-file?", "did you mean mainnet?", "chmod 600");
  }

  @Test
  void missingLnraftBlockIsExplained() {
    assertThatThrownBy(() -> ConfigLoader.loadString("lnrafft { cluster-id = x }", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("lnraft: missing")
        .hasMessageContaining("lnrafft");
  }

  @Test
  void syntaxErrorIsAConfigException() {
    assertThatThrownBy(() -> ConfigLoader.loadString("lnraft { cluster-id = ", dir))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void missingFileIsAConfigException() {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.conf")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.conf")
        .hasMessageContaining("does not exist");
  }

  @Test
  void renderedConfigLoadsBackEqual() throws IOException {
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    writeSecrets(elsewhere);
    ReplicaConfig original = ConfigLoader.loadString(validHocon(
        "lnraft.raft { rpc-type = netty, election-timeout-min = 50500us, election-timeout-max = 1s,"
            + " leader-lease = off, leader-lease-ratio = 0.75, request-timeout = 2500ms, max-entry-bytes = 100000 }",
        "lnraft.snapshot { auto-trigger = off, every-entries = 123, retain = 4 }",
        "lnraft.cluster-id = \"a.b_c-d\"",
        "lnraft.seed-file = \"" + elsewhere.resolve("seed.txt") + "\"",
        "lnraft.node { alias = \"quote\\\" and ∂\", reconnect-interval = 1500ms, max-peer-connections = 3,"
            + " api-max-body-bytes = 5000, serving-journal-max-file-bytes = 100000, serving-journal-keep-files = 7 }",
        "lnraft.bitcoind { rpc-url = \"http://[::1]:18443/wallet/w\", rpc-user = \"lnraft\","
            + " rpc-password-file = \"" + elsewhere.resolve("rpc-password") + "\" }"), dir);
    Path sub = Files.createDirectories(dir.resolve("conf"));
    Path file = sub.resolve("r1.conf");

    String text = ConfigLoader.render(original, sub);
    Files.writeString(file, text);

    assertThat(ConfigLoader.load(file)).isEqualTo(original);
    assertThat(text).contains("election-timeout-min = 50500us", "max-entry-bytes = 100000",
        "request-timeout = 2500ms", "rpc-type = netty", "data-dir = \"" + dir.resolve("r1-data") + "\"",
        "reconnect-interval = 1500ms", "api-max-body-bytes = 5000", "rpc-user = \"lnraft\"",
        "serving-journal-max-file-bytes = 100000", "serving-journal-keep-files = 7");
    assertThat(original.node().servingJournalMaxFileBytes()).isEqualTo(100_000);
    assertThat(original.node().servingJournalKeepFiles()).isEqualTo(7);
    assertThat(text).doesNotContain(RPC_PASSWORD);
  }

  @Test
  void renderedCookieConfigLoadsBackEqualWithRelativePaths() {
    ReplicaConfig original = ConfigLoader.loadString(validHocon(
        "lnraft.bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = \"btc/.cookie\" }"), dir);
    String text = ConfigLoader.render(original, dir);
    assertThat(text).contains("rpc-cookie-file = \"btc/.cookie\"", "alias = \"lnraft\"",
        "max-peer-connections = 64", "api-max-body-bytes = 64KiB", "reconnect-interval = 5s",
        "serving-journal-max-file-bytes = 64MiB", "serving-journal-keep-files = 15")
        .doesNotContain("rpc-user", "rpc-password-file");
    assertThat(ConfigLoader.loadString(text, dir)).isEqualTo(original);
  }

  @Test
  void renderWritesPathsUnderTheBaseDirRelative() {
    ReplicaConfig c = ConfigLoader.loadString(validHocon(), dir);
    String text = ConfigLoader.render(c, dir);
    assertThat(text).contains("data-dir = \"r1-data\"", "seed-file = \"seed.txt\"", "api-token-file = \"api-token\"")
        .doesNotContain("bitcoind");
    assertThat(ConfigLoader.loadString(text, dir)).isEqualTo(c);
  }
}
