package io.lnraft.config;

import static io.lnraft.config.ConfigKeys.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads a replica's HOCON file (layout and defaults in reference.conf) into a validated
 * {@link ReplicaConfig}, and writes one back as HOCON.
 *
 * <p>Contract: a successful load returns a config that passed every check, including the file
 * system checks (data-dir creatable; seed, API token and bitcoind password files owner-only; the
 * API token well-formed). Any failure throws {@link ConfigException} listing every problem found,
 * each naming its key and the fix, never a secret. Relative paths resolve against the directory
 * of the file. Loading never reads the seed's words.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /** Loads and validates {@code file}; relative paths in it resolve against its directory. */
  public static ReplicaConfig load(Path file) {
    Objects.requireNonNull(file, "file");
    Path abs = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(abs)) {
      throw new ConfigException(abs.toString(), List.of("the configuration file does not exist or is not a file"
          + " — check the path (lnraft init-cluster writes example files)"));
    }
    Config config;
    try {
      config = ConfigFactory.parseFile(abs.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(abs.toString(), List.of(e.getMessage()));
    }
    return parse(config, abs.toString(), abs.getParent());
  }

  /**
   * Validates an already parsed tree (reference.conf defaults are added here).
   *
   * @param origin names the source in error messages, e.g. a file path
   * @param baseDir directory against which relative paths resolve
   */
  public static ReplicaConfig parse(Config config, String origin, Path baseDir) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(baseDir, "baseDir");
    try {
      return ReplicaConfigReader.read(config, origin, baseDir);
    } catch (com.typesafe.config.ConfigException.NotResolved | com.typesafe.config.ConfigException.UnresolvedSubstitution e) {
      // e.g. "lnraft += ..." or "${lnraft}": HOCON substitutions the reader cannot resolve
      throw new ConfigException(origin, List.of("a substitution (${...} or +=) cannot be resolved: " + e.getMessage()
          + " — write the value directly or define the key it refers to"));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(origin, List.of(e.getMessage()));
    }
  }

  /** Parses and validates HOCON text; for tests and tools. */
  public static ReplicaConfig loadString(String hocon, Path baseDir) {
    Config config;
    try {
      config = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription("string"));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("(string)", List.of(e.getMessage()));
    }
    return parse(config, "(string)", baseDir);
  }

  /**
   * Writes {@code config} as HOCON that {@link #load} reads back to an equal config when the text
   * is stored in {@code baseDir}: paths under {@code baseDir} are written relative to it, so a
   * directory of files can be moved as a whole. Every key is written, defaults included.
   */
  public static String render(ReplicaConfig config, Path baseDir) {
    Path base = baseDir.toAbsolutePath().normalize();
    RaftSettings raft = config.raft();
    SnapshotSettings snap = config.snapshot();
    StringBuilder sb = new StringBuilder();
    sb.append("# Replica ").append(config.replicaId()).append(" of cluster ").append(config.clusterId())
        .append(".\n# Every key is described in reference.conf of the cluster-config module.\n");
    sb.append(ROOT).append(" {\n");
    line(sb, 1, CLUSTER_ID, quote(config.clusterId()));
    line(sb, 1, REPLICA_ID, quote(config.replicaId()));
    line(sb, 1, NETWORK, config.network());
    line(sb, 1, ALLOW_UNSAFE_GROUP_SIZE, Boolean.toString(config.allowUnsafeGroupSize()));
    sb.append("  # The same list in every replica's file.\n");
    sb.append("  ").append(REPLICAS).append(" = [\n");
    for (ReplicaEndpoint r : config.replicas()) {
      sb.append("    { ").append(REPLICA_ID_FIELD).append(" = ").append(quote(r.id()))
          .append(", ").append(REPLICA_RAFT).append(" = ").append(quote(r.raft().toString()))
          .append(", ").append(REPLICA_PEER).append(" = ").append(quote(r.peer().toString()))
          .append(", ").append(REPLICA_API).append(" = ").append(quote(r.api().toString()))
          .append(" }\n");
    }
    sb.append("  ]\n");
    line(sb, 1, DATA_DIR, quote(relative(base, config.dataDir())));
    line(sb, 1, SEED_FILE, quote(relative(base, config.seedFile())));
    line(sb, 1, API_TOKEN_FILE, quote(relative(base, config.apiTokenFile())));
    sb.append("  ").append(RAFT).append(" {\n");
    line(sb, 2, RPC_TYPE, raft.rpcType().name().toLowerCase(Locale.ROOT));
    line(sb, 2, ELECTION_TIMEOUT_MIN, duration(raft.electionTimeoutMin()));
    line(sb, 2, ELECTION_TIMEOUT_MAX, duration(raft.electionTimeoutMax()));
    line(sb, 2, LEADER_LEASE, raft.leaderLease() ? "on" : "off");
    line(sb, 2, LEADER_LEASE_RATIO, Double.toString(raft.leaderLeaseRatio()));
    line(sb, 2, REQUEST_TIMEOUT, duration(raft.requestTimeout()));
    line(sb, 2, MAX_ENTRY_BYTES, bytes(raft.maxEntryBytes()));
    raft.tls().ifPresent(t -> {
      sb.append("    # Mutual TLS between replicas and for every client of the group (see reference.conf).\n");
      sb.append("    ").append(TLS).append(" {\n");
      line(sb, 3, CA_FILE, quote(relative(base, t.caFile())));
      line(sb, 3, CERT_FILE, quote(relative(base, t.certFile())));
      line(sb, 3, KEY_FILE, quote(relative(base, t.keyFile())));
      sb.append("    }\n");
    });
    sb.append("  }\n");
    sb.append("  ").append(SNAPSHOT).append(" {\n");
    line(sb, 2, AUTO_TRIGGER, snap.autoTrigger() ? "on" : "off");
    line(sb, 2, EVERY_ENTRIES, Long.toString(snap.everyEntries()));
    line(sb, 2, RETAIN, Integer.toString(snap.retain()));
    sb.append("  }\n");
    config.bitcoind().ifPresent(b -> {
      sb.append("  ").append(BITCOIND).append(" {\n");
      line(sb, 2, RPC_URL, quote(b.rpcUrl().toString()));
      b.cookieFile().ifPresent(f -> line(sb, 2, RPC_COOKIE_FILE, quote(relative(base, f))));
      b.user().ifPresent(u -> line(sb, 2, RPC_USER, quote(u)));
      b.passwordFile().ifPresent(f -> line(sb, 2, RPC_PASSWORD_FILE, quote(relative(base, f))));
      sb.append("  }\n");
    });
    NodeSettings node = config.node();
    sb.append("  ").append(NODE).append(" {\n");
    line(sb, 2, ALIAS, quote(node.alias()));
    line(sb, 2, RECONNECT_INTERVAL, duration(node.reconnectInterval()));
    line(sb, 2, MAX_PEER_CONNECTIONS, Integer.toString(node.maxPeerConnections()));
    line(sb, 2, API_MAX_BODY_BYTES, bytes(node.apiMaxBodyBytes()));
    line(sb, 2, SERVING_JOURNAL, node.servingJournal() ? "on" : "off");
    line(sb, 2, SERVING_JOURNAL_MAX_FILE_BYTES, bytes(node.servingJournalMaxFileBytes()));
    line(sb, 2, SERVING_JOURNAL_KEEP_FILES, Integer.toString(node.servingJournalKeepFiles()));
    sb.append("  }\n");
    config.apiTls().ifPresent(t -> {
      sb.append("  # The operator API speaks HTTPS only (see reference.conf).\n");
      sb.append("  ").append(API).append(" {\n");
      sb.append("    ").append(TLS).append(" {\n");
      line(sb, 3, CERT_FILE, quote(relative(base, t.certFile())));
      line(sb, 3, KEY_FILE, quote(relative(base, t.keyFile())));
      t.caFile().ifPresent(f -> line(sb, 3, CA_FILE, quote(relative(base, f))));
      sb.append("    }\n");
      sb.append("  }\n");
    });
    sb.append("}\n");
    return sb.toString();
  }

  private static void line(StringBuilder sb, int depth, String key, String value) {
    sb.append("  ".repeat(depth)).append(key).append(" = ").append(value).append('\n');
  }

  private static String quote(String s) {
    return ConfigValueFactory.fromAnyRef(s).render(ConfigRenderOptions.concise());
  }

  private static String relative(Path base, Path p) {
    Path abs = p.toAbsolutePath().normalize();
    return abs.startsWith(base) && !abs.equals(base) ? base.relativize(abs).toString() : abs.toString();
  }

  /** Exact HOCON duration: the largest of s, ms, us, ns that represents it without loss. */
  static String duration(Duration d) {
    long nanos = d.toNanos();
    if (nanos % 1_000_000_000L == 0) return nanos / 1_000_000_000L + "s";
    if (nanos % 1_000_000L == 0) return nanos / 1_000_000L + "ms";
    if (nanos % 1_000L == 0) return nanos / 1_000L + "us";
    return nanos + "ns";
  }

  /** Exact HOCON size: MiB or KiB when whole, else bytes. */
  static String bytes(long n) {
    if (n != 0 && n % (1L << 20) == 0) return (n >> 20) + "MiB";
    if (n != 0 && n % (1L << 10) == 0) return (n >> 10) + "KiB";
    return Long.toString(n);
  }
}
