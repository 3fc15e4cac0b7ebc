package io.lnraft.config;

import static io.lnraft.config.ConfigKeys.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns a parsed HOCON tree into a {@link ReplicaConfig}, collecting every problem instead of
 * stopping at the first, so an operator fixes a file in one pass. Each problem starts with the
 * full key and ends with the fix. Values that could not be read are null inside this class only.
 */
final class ReplicaConfigReader {
  static final Duration MIN_ELECTION_TIMEOUT = Duration.ofMillis(50);
  static final long MIN_ENTRY_BYTES = 64L << 10;
  static final long MAX_ENTRY_BYTES_LIMIT = 64L << 20;
  static final long MIN_API_BODY_BYTES = 1L << 10;
  static final long MAX_API_BODY_BYTES = 16L << 20;
  static final long MIN_JOURNAL_FILE_BYTES = 64L << 10;
  static final long MAX_JOURNAL_FILE_BYTES = 1L << 40;
  static final int MAX_JOURNAL_KEEP_FILES = 1000;

  private static final Pattern CLUSTER_ID_PATTERN = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern REPLICA_ID_PATTERN = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** What to write for a missing required key. */
  private static final Map<String, String> EXAMPLES = Map.of(
      CLUSTER_ID, "cluster-id = \"lnraft-demo\"",
      REPLICA_ID, "replica-id = \"r1\"",
      NETWORK, "network = regtest",
      REPLICAS, "replicas = [ { id = r1, raft = \"10.0.0.1:9861\", peer = \"10.0.0.1:9735\", api = \"10.0.0.1:8080\" }, ... ]",
      DATA_DIR, "data-dir = \"r1-data\"",
      SEED_FILE, "seed-file = \"seed.txt\"",
      API_TOKEN_FILE, "api-token-file = \"api-token\"");

  private final Config config;
  private final Path baseDir;
  private final List<String> problems = new ArrayList<>();

  private ReplicaConfigReader(Config config, Path baseDir) {
    this.config = config;
    this.baseDir = baseDir;
  }

  static ReplicaConfig read(Config userConfig, String origin, Path baseDir) {
    if (!userConfig.hasPathOrNull(ROOT)) {
      String found = userConfig.root().keySet().isEmpty() ? "the file is empty"
          : "found top-level keys " + userConfig.root().keySet();
      throw new ConfigException(origin, List.of(ROOT + ": missing — put the settings inside lnraft { ... } ("
          + found + ")"));
    }
    if (userConfig.getValue(ROOT).valueType() != ConfigValueType.OBJECT) {
      throw new ConfigException(origin, List.of(ROOT + ": must be an object — write lnraft { ... }"));
    }
    Config merged;
    try {
      merged = userConfig.withFallback(ConfigFactory.defaultReference(ReplicaConfigReader.class.getClassLoader()))
          .resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(origin, List.of(e.getMessage()));
    }
    ReplicaConfigReader reader = new ReplicaConfigReader(merged, baseDir.toAbsolutePath().normalize());
    reader.checkUnknownKeys(userConfig.getObject(ROOT));
    ReplicaConfig result = reader.readAll();
    if (!reader.problems.isEmpty()) throw new ConfigException(origin, reader.problems);
    return result;
  }

  private ReplicaConfig readAll() {
    String clusterId = string(config, path(CLUSTER_ID), path(CLUSTER_ID), EXAMPLES.get(CLUSTER_ID));
    if (clusterId != null && !CLUSTER_ID_PATTERN.matcher(clusterId).matches()) {
      problems.add(path(CLUSTER_ID) + ": \"" + clusterId + "\" is not a valid cluster id"
          + " — use 1 to 64 letters, digits, '.', '_' or '-'");
    }
    String replicaId = string(config, path(REPLICA_ID), path(REPLICA_ID), EXAMPLES.get(REPLICA_ID));
    String network = readNetwork();
    List<ReplicaEndpoint> replicas = readReplicas();
    Boolean allowUnsafe = bool(path(ALLOW_UNSAFE_GROUP_SIZE));
    Path dataDir = filePath(DATA_DIR, EXAMPLES.get(DATA_DIR));
    Path seedFile = filePath(SEED_FILE, EXAMPLES.get(SEED_FILE));
    Path apiTokenFile = filePath(API_TOKEN_FILE, EXAMPLES.get(API_TOKEN_FILE));
    RaftSettings raft = readRaft();
    SnapshotSettings snapshot = readSnapshot();
    Optional<BitcoindSettings> bitcoind = readBitcoind();
    NodeSettings node = readNode();
    Optional<ApiTlsSettings> apiTls = readApiTls();

    if (replicas != null) {
      checkGroup(replicas, replicaId, allowUnsafe != null && allowUnsafe);
    }
    if (dataDir != null) checkDataDir(dataDir);
    if (seedFile != null) OwnerOnlyFiles.accessProblem(seedFile).ifPresent(p -> problems.add(path(SEED_FILE) + ": " + p));
    if (apiTokenFile != null) checkApiTokenFile(apiTokenFile);
    if (raft != null && raft.tls().isPresent() && replicas != null && replicaId != null) {
      replicas.stream().filter(r -> r.id().equals(replicaId)).findFirst().ifPresent(self ->
          problems.addAll(ClusterCertificates.problems(raft.tls().get(), self.raft().host(), path(RAFT, TLS))));
    }

    if (apiTls != null && apiTls.isPresent()) {
      List<String> server = ClusterCertificates.serverProblems(apiTls.get(), path(API, TLS));
      problems.addAll(server);
      // The lnraft commands reading this file check the API's certificate against this CA: a CA
      // that does not accept this replica's own certificate would make every call fail later.
      Optional<Path> clusterCa = raft == null ? Optional.empty() : raft.tls().map(TlsSettings::caFile);
      problems.addAll(ClusterCertificates.apiTrustProblems(apiTls.get(), clusterCa, server.isEmpty(), path(API, TLS),
          path(RAFT, TLS, CA_FILE)));
    }

    if (!problems.isEmpty()) return null;
    return new ReplicaConfig(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, raft,
        snapshot, allowUnsafe, bitcoind, node, apiTls);
  }

  // ---- unknown keys ---------------------------------------------------------------------------

  private void checkUnknownKeys(ConfigObject lnraft) {
    for (String key : lnraft.keySet()) {
      if (TOP_LEVEL.contains(key)) continue;
      problems.add(unknownKey(path(key), key, TOP_LEVEL));
    }
    checkSectionKeys(lnraft, RAFT, RAFT_KEYS);
    if (lnraft.get(RAFT) instanceof ConfigObject raftSection && raftSection.get(TLS) instanceof ConfigObject tls) {
      for (String key : tls.keySet()) {
        if (!TLS_KEYS.contains(key)) problems.add(unknownKey(path(RAFT, TLS, key), key, TLS_KEYS));
      }
    }
    checkSectionKeys(lnraft, SNAPSHOT, SNAPSHOT_KEYS);
    checkSectionKeys(lnraft, BITCOIND, BITCOIND_KEYS);
    checkSectionKeys(lnraft, NODE, NODE_KEYS);
    checkSectionKeys(lnraft, API, API_KEYS);
    if (lnraft.get(API) instanceof ConfigObject apiSection && apiSection.get(TLS) instanceof ConfigObject tls) {
      for (String key : tls.keySet()) {
        if (!API_TLS_KEYS.contains(key)) problems.add(unknownKey(path(API, TLS, key), key, API_TLS_KEYS));
      }
    }
  }

  private void checkSectionKeys(ConfigObject lnraft, String section, List<String> known) {
    ConfigValue v = lnraft.get(section);
    if (!(v instanceof ConfigObject)) return; // a wrong type is reported when the section is read
    for (String key : ((ConfigObject) v).keySet()) {
      if (!known.contains(key)) problems.add(unknownKey(path(section, key), key, known));
    }
  }

  private static String unknownKey(String fullKey, String key, List<String> known) {
    // Never echo the value: it would be the password.
    if (PASSWORD_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
      return fullKey + ": never put bitcoind's password in the configuration — remove it, write the password"
          + " to a file readable by its owner only (chmod 600) and set " + path(BITCOIND, RPC_PASSWORD_FILE)
          + " (with rpc-user), or use " + path(BITCOIND, RPC_COOKIE_FILE);
    }
    Optional<String> close = closest(key, known);
    if (close.isPresent()) return fullKey + ": unknown key — did you mean " + close.get() + "?";
    // A key written one level too high, e.g. lnraft.election-timeout-min.
    if (known == TOP_LEVEL) {
      if (RAFT_KEYS.contains(key)) return fullKey + ": unknown key — it belongs inside raft { }: " + path(RAFT, key);
      if (SNAPSHOT_KEYS.contains(key)) {
        return fullKey + ": unknown key — it belongs inside snapshot { }: " + path(SNAPSHOT, key);
      }
      if (BITCOIND_KEYS.contains(key)) {
        return fullKey + ": unknown key — it belongs inside bitcoind { }: " + path(BITCOIND, key);
      }
      if (NODE_KEYS.contains(key)) return fullKey + ": unknown key — it belongs inside node { }: " + path(NODE, key);
    }
    return fullKey + ": unknown key — remove it (known keys here: " + String.join(", ", known) + ")";
  }

  // ---- sections -------------------------------------------------------------------------------

  private String readNetwork() {
    String network = string(config, path(NETWORK), path(NETWORK), EXAMPLES.get(NETWORK));
    if (network == null) return null;
    if (NETWORKS.contains(network)) return network;
    String hint = closest(network, NETWORKS).map(n -> " (did you mean " + n + "?)").orElse("");
    problems.add(path(NETWORK) + ": \"" + network + "\" is not a network" + hint
        + " — use mainnet, testnet, signet or regtest");
    return null;
  }

  private List<ReplicaEndpoint> readReplicas() {
    String key = path(REPLICAS);
    if (!present(config, key, key, EXAMPLES.get(REPLICAS))) return null;
    ConfigList list;
    try {
      list = config.getList(key);
    } catch (com.typesafe.config.ConfigException.WrongType e) {
      problems.add(key + ": must be a list of replicas — write " + EXAMPLES.get(REPLICAS));
      return null;
    }
    List<ReplicaEndpoint> result = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < list.size(); i++) {
      String at = key + "[" + i + "]";
      ConfigValue v = list.get(i);
      if (!(v instanceof ConfigObject)) {
        problems.add(at + ": must be an object { id, raft, peer, api }");
        ok = false;
        continue;
      }
      ConfigObject obj = (ConfigObject) v;
      for (String field : obj.keySet()) {
        if (!REPLICA_FIELDS.contains(field)) problems.add(unknownKey(at + "." + field, field, REPLICA_FIELDS));
      }
      Config c = obj.toConfig();
      String id = string(c, REPLICA_ID_FIELD, at + "." + REPLICA_ID_FIELD, "id = r" + (i + 1));
      if (id != null && !REPLICA_ID_PATTERN.matcher(id).matches()) {
        problems.add(at + "." + REPLICA_ID_FIELD + ": \"" + id + "\" is not a valid replica id"
            + " — use 1 to 64 letters, digits, '_' or '-'");
        id = null;
      }
      HostPort raft = hostPort(c, REPLICA_RAFT, at);
      HostPort peer = hostPort(c, REPLICA_PEER, at);
      HostPort api = hostPort(c, REPLICA_API, at);
      if (id == null || raft == null || peer == null || api == null) {
        ok = false;
      } else {
        result.add(new ReplicaEndpoint(id, raft, peer, api));
      }
    }
    return ok ? result : null;
  }

  private HostPort hostPort(Config c, String field, String at) {
    String text = string(c, field, at + "." + field, field + " = \"10.0.0.1:" + examplePort(field) + "\"");
    if (text == null) return null;
    try {
      return HostPort.parse(text);
    } catch (IllegalArgumentException e) {
      problems.add(at + "." + field + ": " + e.getMessage());
      return null;
    }
  }

  private static int examplePort(String field) {
    return switch (field) {
      case REPLICA_RAFT -> 9861;
      case REPLICA_PEER -> 9735;
      default -> 8080;
    };
  }

  private RaftSettings readRaft() {
    if (!section(RAFT)) return null;
    RpcType rpcType = null;
    String rpc = string(config, path(RAFT, RPC_TYPE), path(RAFT, RPC_TYPE), "rpc-type = grpc");
    if (rpc != null) {
      try {
        rpcType = RpcType.valueOf(rpc.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add(path(RAFT, RPC_TYPE) + ": \"" + rpc + "\" is not an RPC type — use grpc or netty");
      }
    }
    Duration min = duration(path(RAFT, ELECTION_TIMEOUT_MIN), "300ms");
    Duration max = duration(path(RAFT, ELECTION_TIMEOUT_MAX), "600ms");
    Boolean lease = bool(path(RAFT, LEADER_LEASE));
    Double ratio = read(config, path(RAFT, LEADER_LEASE_RATIO), path(RAFT, LEADER_LEASE_RATIO),
        Config::getDouble, "a number — write e.g. 0.9", null);
    Duration requestTimeout = duration(path(RAFT, REQUEST_TIMEOUT), "5s");
    Long maxEntry = size(path(RAFT, MAX_ENTRY_BYTES), "8MiB");

    if (min != null && min.compareTo(MIN_ELECTION_TIMEOUT) < 0) {
      problems.add(path(RAFT, ELECTION_TIMEOUT_MIN) + ": " + min.toMillis() + "ms is below 50ms"
          + " — such short timeouts cause needless elections; use 50ms or more (default 300ms)");
    }
    if (min != null && max != null && min.compareTo(max) >= 0) {
      problems.add(path(RAFT, ELECTION_TIMEOUT_MIN) + ": " + min.toMillis() + "ms is not below "
          + path(RAFT, ELECTION_TIMEOUT_MAX) + " (" + max.toMillis() + "ms) — make max larger than min, e.g. twice min");
    }
    if (ratio != null && !(ratio > 0 && ratio < 1)) {
      problems.add(path(RAFT, LEADER_LEASE_RATIO) + ": " + ratio + " is outside (0, 1)"
          + " — the lease must end before a new leader can be elected; use e.g. 0.9");
    }
    if (requestTimeout != null && (requestTimeout.isZero() || requestTimeout.isNegative())) {
      problems.add(path(RAFT, REQUEST_TIMEOUT) + ": must be positive — use e.g. 5s");
    }
    if (maxEntry != null && (maxEntry < MIN_ENTRY_BYTES || maxEntry > MAX_ENTRY_BYTES_LIMIT)) {
      problems.add(path(RAFT, MAX_ENTRY_BYTES) + ": " + maxEntry + " bytes is outside [64KiB, 64MiB]"
          + " — use e.g. 8MiB");
    }
    Optional<TlsSettings> tls = readTls();
    if (tls != null && tls.isPresent() && rpcType == RpcType.NETTY) {
      problems.add(path(RAFT, TLS) + ": needs rpc-type = grpc — Ratis' netty transport has no TLS; set"
          + " " + path(RAFT, RPC_TYPE) + " = grpc or remove the tls block");
    }
    if (rpcType == null || min == null || max == null || lease == null || ratio == null || requestTimeout == null
        || maxEntry == null || tls == null) {
      return null;
    }
    return new RaftSettings(rpcType, min, max, lease, ratio, requestTimeout, maxEntry, tls);
  }

  /** The optional raft.tls block: empty if absent, null if unusable (problems recorded). */
  private Optional<TlsSettings> readTls() {
    String key = path(RAFT, TLS);
    if (!config.hasPathOrNull(key)) return Optional.empty();
    if (config.getIsNull(key) || config.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problems.add(key + ": must be an object — write tls { ca-file = ..., cert-file = ..., key-file = ... }");
      return null;
    }
    Path ca = tlsFile(CA_FILE, "\"tls/ca.crt\"");
    Path cert = tlsFile(CERT_FILE, "\"tls/r1.crt\"");
    Path keyFile = tlsFile(KEY_FILE, "\"tls/r1.key\"");
    if (ca == null || cert == null || keyFile == null) return null;
    return Optional.of(new TlsSettings(ca, cert, keyFile));
  }

  /** The optional api.tls block: empty if absent, null if unusable (problems recorded). */
  private Optional<ApiTlsSettings> readApiTls() {
    if (!section(API)) return null;
    String key = path(API, TLS);
    if (!config.hasPathOrNull(key)) return Optional.empty();
    if (config.getIsNull(key) || config.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problems.add(key + ": must be an object — write tls { cert-file = ..., key-file = ..., ca-file = ... (optional) }");
      return null;
    }
    Path cert = file(path(API, TLS, CERT_FILE), CERT_FILE + " = \"tls/api.crt\"");
    Path keyFile = file(path(API, TLS, KEY_FILE), KEY_FILE + " = \"tls/api.key\"");
    Optional<Path> caFile = optionalFilePath(path(API, TLS, CA_FILE));
    if (cert == null || keyFile == null || caFile == null) return null;
    return Optional.of(new ApiTlsSettings(cert, keyFile, caFile));
  }

  private Path file(String full, String example) {
    String s = string(config, full, full, example);
    return s == null ? null : resolve(full, s);
  }

  private Path tlsFile(String name, String example) {
    String full = path(RAFT, TLS, name);
    String s = string(config, full, full, name + " = " + example);
    return s == null ? null : resolve(full, s);
  }

  private SnapshotSettings readSnapshot() {
    if (!section(SNAPSHOT)) return null;
    Boolean auto = bool(path(SNAPSHOT, AUTO_TRIGGER));
    Long every = read(config, path(SNAPSHOT, EVERY_ENTRIES), path(SNAPSHOT, EVERY_ENTRIES), Config::getLong,
        "a whole number — write e.g. 10000", null);
    Integer retain = read(config, path(SNAPSHOT, RETAIN), path(SNAPSHOT, RETAIN), Config::getInt,
        "a whole number — write e.g. 2", null);
    if (every != null && every < 1) {
      problems.add(path(SNAPSHOT, EVERY_ENTRIES) + ": " + every + " is below 1 — use e.g. 10000");
      every = null;
    }
    if (retain != null && retain < 1) {
      problems.add(path(SNAPSHOT, RETAIN) + ": " + retain + " is below 1 — keep at least one snapshot, e.g. 2");
      retain = null;
    }
    if (auto == null || every == null || retain == null) return null;
    return new SnapshotSettings(auto, every, retain);
  }

  /** The bitcoind block: absent is fine (empty), a bad one adds problems and returns null. */
  private Optional<BitcoindSettings> readBitcoind() {
    if (!config.hasPathOrNull(path(BITCOIND))) return Optional.empty();
    if (!section(BITCOIND)) return null;
    String example = "rpc-url = \"http://127.0.0.1:18443\"";
    String urlKey = path(BITCOIND, RPC_URL);
    URI url = null;
    String text = string(config, urlKey, urlKey, example);
    if (text != null) {
      try {
        url = new URI(text.strip());
      } catch (URISyntaxException e) {
        // e.getMessage() quotes the input, which may hold credentials: give the reason only.
        problems.add(urlKey + ": is not a URL (" + e.getReason() + " at index " + e.getIndex() + ") — write e.g. "
            + example);
      }
    }
    if (url != null) {
      Optional<String> p = BitcoindSettings.urlProblem(url);
      if (p.isPresent()) {
        problems.add(urlKey + ": " + p.get());
        url = null;
      }
    }
    Optional<Path> cookie = optionalFilePath(path(BITCOIND, RPC_COOKIE_FILE));
    Optional<String> user = optionalString(path(BITCOIND, RPC_USER));
    Optional<Path> passwordFile = optionalFilePath(path(BITCOIND, RPC_PASSWORD_FILE));
    if (cookie == null || user == null || passwordFile == null) return null;
    int before = problems.size();

    if (user.isPresent()) {
      Optional<String> p = BitcoindSettings.userProblem(user.get());
      p.ifPresent(q -> problems.add(path(BITCOIND, RPC_USER) + ": " + q));
    }
    boolean password = user.isPresent() || passwordFile.isPresent();
    if (cookie.isPresent() && password) {
      problems.add(path(BITCOIND, RPC_COOKIE_FILE) + ": set either rpc-cookie-file or rpc-user with"
          + " rpc-password-file, not both — remove one");
    } else if (cookie.isEmpty() && !password) {
      problems.add(path(BITCOIND) + ": no credentials — set rpc-cookie-file to bitcoind's .cookie"
          + " (e.g. ~/.bitcoin/regtest/.cookie), or rpc-user and rpc-password-file");
    } else if (user.isPresent() && passwordFile.isEmpty()) {
      problems.add(path(BITCOIND, RPC_PASSWORD_FILE) + ": missing — rpc-user needs rpc-password-file, a file"
          + " holding the password that only its owner can read (chmod 600)");
    } else if (passwordFile.isPresent() && user.isEmpty()) {
      problems.add(path(BITCOIND, RPC_USER) + ": missing — rpc-password-file needs rpc-user, the user of"
          + " bitcoind's rpcauth line");
    }
    cookie.ifPresent(f -> {
      // bitcoind rewrites the cookie at every start, so it may be absent now; it is bitcoind's
      // file (maybe shared with a group through -rpccookieperms), so its mode is not ours to check.
      if (Files.exists(f) && !Files.isRegularFile(f)) {
        problems.add(path(BITCOIND, RPC_COOKIE_FILE) + ": " + f + " is not a regular file — point it at"
            + " bitcoind's .cookie in its data directory (network subdirectory)");
      }
    });
    passwordFile.ifPresent(f -> checkPasswordFile(f));
    if (url == null || problems.size() > before) return null;
    return Optional.of(new BitcoindSettings(url, cookie, user, passwordFile));
  }

  private void checkPasswordFile(Path file) {
    String key = path(BITCOIND, RPC_PASSWORD_FILE);
    Optional<String> access = OwnerOnlyFiles.accessProblem(file);
    if (access.isPresent()) {
      problems.add(key + ": " + access.get());
      return;
    }
    try {
      if (OwnerOnlyFiles.readSecret(file, "the password file").isEmpty()) {
        problems.add(key + ": " + file + " is empty — put bitcoind's RPC password in it (one line)");
      }
    } catch (ConfigException e) {
      problems.add(key + ": " + String.join("; ", e.problems()));
    }
  }

  private NodeSettings readNode() {
    if (!section(NODE)) return null;
    String aliasKey = path(NODE, ALIAS);
    String alias = read(config, aliasKey, aliasKey, Config::getString, "a string — write e.g. alias = \"lnraft\"",
        null);
    Duration reconnect = duration(path(NODE, RECONNECT_INTERVAL), "5s");
    Integer maxPeers = read(config, path(NODE, MAX_PEER_CONNECTIONS), path(NODE, MAX_PEER_CONNECTIONS),
        Config::getInt, "a whole number — write e.g. 64", null);
    Long body = size(path(NODE, API_MAX_BODY_BYTES), "64KiB");
    if (alias != null) {
      int bytes = alias.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > NodeSettings.MAX_ALIAS_BYTES) {
        problems.add(aliasKey + ": \"" + alias + "\" is " + bytes + " bytes in UTF-8, more than "
            + NodeSettings.MAX_ALIAS_BYTES + " — the Lightning network announces at most 32; shorten it");
        alias = null;
      } else if (alias.chars().anyMatch(Character::isISOControl)) {
        problems.add(aliasKey + ": contains a control character — use printable characters only");
        alias = null;
      }
    }
    if (reconnect != null && (reconnect.isZero() || reconnect.isNegative())) {
      problems.add(path(NODE, RECONNECT_INTERVAL) + ": must be positive — use e.g. 5s");
      reconnect = null;
    }
    if (maxPeers != null && maxPeers < 1) {
      problems.add(path(NODE, MAX_PEER_CONNECTIONS) + ": " + maxPeers + " is below 1 — use e.g. 64");
      maxPeers = null;
    }
    if (body != null && (body < MIN_API_BODY_BYTES || body > MAX_API_BODY_BYTES)) {
      problems.add(path(NODE, API_MAX_BODY_BYTES) + ": " + body + " bytes is outside [1KiB, 16MiB] — use e.g. 64KiB");
      body = null;
    }
    Boolean journal = read(config, path(NODE, SERVING_JOURNAL), path(NODE, SERVING_JOURNAL), Config::getBoolean,
        "on or off — write e.g. serving-journal = on", null);
    String fileKey = path(NODE, SERVING_JOURNAL_MAX_FILE_BYTES);
    Long journalFile = size(fileKey, "64MiB");
    if (journalFile != null && (journalFile < MIN_JOURNAL_FILE_BYTES || journalFile > MAX_JOURNAL_FILE_BYTES)) {
      problems.add(fileKey + ": " + journalFile + " bytes is outside [64KiB, 1TiB] — the serving journal is rotated"
          + " when its file reaches this size; use e.g. 64MiB");
      journalFile = null;
    }
    String keepKey = path(NODE, SERVING_JOURNAL_KEEP_FILES);
    Integer keep = read(config, keepKey, keepKey, Config::getInt, "a whole number — write e.g. "
        + SERVING_JOURNAL_KEEP_FILES + " = 15", null);
    if (keep != null && (keep < 1 || keep > MAX_JOURNAL_KEEP_FILES)) {
      problems.add(keepKey + ": " + keep + " is outside [1, " + MAX_JOURNAL_KEEP_FILES + "] — the number of rotated"
          + " serving journal files kept (serving-journal.1 ...); use e.g. 15, or turn the journal off with "
          + SERVING_JOURNAL + " = off");
      keep = null;
    }
    if (alias == null || reconnect == null || maxPeers == null || body == null || journal == null
        || journalFile == null || keep == null) {
      return null;
    }
    return new NodeSettings(alias, reconnect, maxPeers, (int) (long) body, journal, journalFile, keep);
  }

  private boolean section(String name) {
    // getValue throws on an explicit null, so test for it first.
    if (config.getValue(ROOT).valueType() == ConfigValueType.OBJECT
        && config.hasPathOrNull(path(name))
        && (config.getIsNull(path(name)) || config.getValue(path(name)).valueType() != ConfigValueType.OBJECT)) {
      problems.add(path(name) + ": must be an object — write " + name + " { ... }");
      return false;
    }
    return true;
  }

  // ---- cross-field checks ---------------------------------------------------------------------

  private void checkGroup(List<ReplicaEndpoint> replicas, String replicaId, boolean allowUnsafe) {
    String key = path(REPLICAS);
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (int i = 0; i < replicas.size(); i++) {
      String id = replicas.get(i).id();
      Integer first = ids.putIfAbsent(id, i);
      if (first != null) {
        problems.add(key + "[" + i + "].id: replica id " + id + " is already used by " + key + "[" + first + "]"
            + " — give each replica its own id");
      }
    }
    if (replicaId != null && !ids.isEmpty() && !ids.containsKey(replicaId)) {
      problems.add(path(REPLICA_ID) + ": \"" + replicaId + "\" is not the id of any entry of " + key
          + " (ids: " + String.join(", ", ids.keySet()) + ") — set it to this replica's id");
    }
    checkAddresses(replicas);

    int n = replicas.size();
    if (n == 0) {
      problems.add(key + ": the list is empty — list every replica of the group, normally 3");
    } else if ((n == 1 || n % 2 == 0) && !allowUnsafe) {
      String why = n == 1
          ? "a single replica tolerates no failure and gives no replication"
          : "a group of " + n + " needs " + (n / 2 + 1) + " replicas for a majority, so it tolerates "
              + ((n - 1) / 2) + " failure" + ((n - 1) / 2 == 1 ? "" : "s") + ", no more than a group of " + (n - 1)
              + ", while every commit waits for more replicas";
      problems.add(key + ": " + n + " replica" + (n == 1 ? "" : "s") + " — " + why
          + "; use 3 or 5, or set " + ALLOW_UNSAFE_GROUP_SIZE + " = true for a test or demo");
    }
  }

  private void checkAddresses(List<ReplicaEndpoint> replicas) {
    record Use(String replicaId, String field, HostPort address) {}
    Map<HostPort, Use> used = new LinkedHashMap<>();
    for (int i = 0; i < replicas.size(); i++) {
      ReplicaEndpoint r = replicas.get(i);
      Map<String, HostPort> fields = new LinkedHashMap<>();
      fields.put(REPLICA_RAFT, r.raft());
      fields.put(REPLICA_PEER, r.peer());
      fields.put(REPLICA_API, r.api());
      for (Map.Entry<String, HostPort> f : fields.entrySet()) {
        HostPort normalized = new HostPort(f.getValue().host().toLowerCase(Locale.ROOT), f.getValue().port());
        Use first = used.putIfAbsent(normalized, new Use(r.id(), f.getKey(), f.getValue()));
        if (first == null) continue;
        String at = path(REPLICAS) + "[" + i + "]." + f.getKey();
        if (first.replicaId().equals(r.id())) {
          problems.add(at + ": " + f.getValue() + " is already this replica's " + first.field() + " address"
              + " — give raft, peer and api different ports");
        } else {
          problems.add(at + ": port " + f.getValue().port() + " on " + f.getValue().host()
              + " is already used by replica " + first.replicaId() + " (" + first.field() + ")"
              + " — give each replica its own port");
        }
      }
    }
  }

  private void checkDataDir(Path dir) {
    String key = path(DATA_DIR);
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        problems.add(key + ": " + dir + " exists but is not a directory — point data-dir at a directory");
      } else if (!Files.isWritable(dir)) {
        problems.add(key + ": " + dir + " is not writable by this user — chown it to the replica's user"
            + " or pick another directory");
      }
      return;
    }
    Path ancestor = dir.getParent();
    while (ancestor != null && !Files.exists(ancestor)) ancestor = ancestor.getParent();
    if (ancestor == null) return;
    if (!Files.isDirectory(ancestor)) {
      problems.add(key + ": " + dir + " cannot be created because " + ancestor + " is not a directory"
          + " — pick another path");
    } else if (!Files.isWritable(ancestor)) {
      problems.add(key + ": " + dir + " cannot be created because " + ancestor + " is not writable"
          + " — create it and chown it to the replica's user, or pick another directory");
    }
  }

  private void checkApiTokenFile(Path file) {
    ApiToken.problem(file).ifPresent(p -> problems.add(path(API_TOKEN_FILE) + ": " + p));
  }

  // ---- typed reads ----------------------------------------------------------------------------

  private interface Getter<T> {
    T get(Config c, String path);
  }

  /** Reads one value; records "missing" or "wrong type" and returns null if it cannot. */
  private <T> T read(Config c, String path, String display, Getter<T> getter, String expectation, String example) {
    if (!present(c, path, display, example)) return null;
    try {
      return getter.get(c, path);
    } catch (com.typesafe.config.ConfigException.WrongType | com.typesafe.config.ConfigException.BadValue e) {
      problems.add(display + ": " + c.getValue(path).render(ConfigRenderOptions.concise()) + " is not "
          + expectation);
      return null;
    }
  }

  private boolean present(Config c, String path, String display, String example) {
    if (c.hasPath(path)) return true;
    String hint = example == null ? "set it" : "add " + example;
    problems.add(display + ": missing — " + hint);
    return false;
  }

  private String string(Config c, String path, String display, String example) {
    String s = read(c, path, display, Config::getString, "a string", example);
    if (s != null && s.isBlank()) {
      problems.add(display + ": is empty — " + (example == null ? "set it" : "write e.g. " + example));
      return null;
    }
    return s;
  }

  private Boolean bool(String key) {
    return read(config, key, key, Config::getBoolean, "a boolean — write on, off, true or false", null);
  }

  private Duration duration(String key, String example) {
    return read(config, key, key, Config::getDuration, "a duration — write e.g. " + example, null);
  }

  /**
   * A size in bytes. Typesafe reads sizes beyond a long (e.g. 1 ZiB) but then throws a bare
   * IllegalArgumentException from toBytes(): report those as out of range under the key instead.
   */
  private Long size(String key, String example) {
    java.math.BigInteger bytes = read(config, key, key, (c, p) -> c.getMemorySize(p).toBytesBigInteger(),
        "a size — write e.g. " + example, null);
    if (bytes == null) return null;
    if (bytes.bitLength() >= Long.SIZE) {
      problems.add(key + ": " + config.getValue(key).render(ConfigRenderOptions.concise()) + " is far too large"
          + " — use e.g. " + example);
      return null;
    }
    return bytes.longValueExact();
  }

  private Path filePath(String key, String example) {
    String s = string(config, path(key), path(key), example);
    return s == null ? null : resolve(path(key), s);
  }

  private Path resolve(String fullKey, String s) {
    try {
      return baseDir.resolve(s).normalize();
    } catch (InvalidPathException e) {
      problems.add(fullKey + ": \"" + s + "\" is not a valid path — " + e.getReason());
      return null;
    }
  }

  /** An optional string key: empty if absent, null if present but unusable (problem recorded). */
  private Optional<String> optionalString(String fullKey) {
    if (!config.hasPathOrNull(fullKey)) return Optional.empty();
    String s = string(config, fullKey, fullKey, null);
    return s == null ? null : Optional.of(s);
  }

  /** An optional path key, resolved against the file's directory; null if unusable. */
  private Optional<Path> optionalFilePath(String fullKey) {
    Optional<String> s = optionalString(fullKey);
    if (s == null) return null;
    if (s.isEmpty()) return Optional.empty();
    Path p = resolve(fullKey, s.get());
    return p == null ? null : Optional.of(p);
  }
}
