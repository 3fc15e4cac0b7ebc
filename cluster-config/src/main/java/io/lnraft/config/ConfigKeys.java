package io.lnraft.config;

import java.util.List;
import java.util.Optional;

/**
 * The key names of a replica configuration file, as written in reference.conf. Kept in one place
 * so that the reader, the renderer and the typo check agree.
 */
final class ConfigKeys {
  static final String ROOT = "lnraft";

  static final String CLUSTER_ID = "cluster-id";
  static final String REPLICA_ID = "replica-id";
  static final String NETWORK = "network";
  static final String REPLICAS = "replicas";
  static final String DATA_DIR = "data-dir";
  static final String SEED_FILE = "seed-file";
  static final String API_TOKEN_FILE = "api-token-file";
  static final String ALLOW_UNSAFE_GROUP_SIZE = "allow-unsafe-group-size";
  static final String RAFT = "raft";
  static final String SNAPSHOT = "snapshot";
  static final String BITCOIND = "bitcoind";
  static final String NODE = "node";
  static final String API = "api";

  static final String REPLICA_ID_FIELD = "id";
  static final String REPLICA_RAFT = "raft";
  static final String REPLICA_PEER = "peer";
  static final String REPLICA_API = "api";

  static final String RPC_TYPE = "rpc-type";
  static final String ELECTION_TIMEOUT_MIN = "election-timeout-min";
  static final String ELECTION_TIMEOUT_MAX = "election-timeout-max";
  static final String LEADER_LEASE = "leader-lease";
  static final String LEADER_LEASE_RATIO = "leader-lease-ratio";
  static final String REQUEST_TIMEOUT = "request-timeout";
  static final String MAX_ENTRY_BYTES = "max-entry-bytes";
  static final String TLS = "tls";
  static final String CA_FILE = "ca-file";
  static final String CERT_FILE = "cert-file";
  static final String KEY_FILE = "key-file";

  static final String AUTO_TRIGGER = "auto-trigger";
  static final String EVERY_ENTRIES = "every-entries";
  static final String RETAIN = "retain";

  static final String RPC_URL = "rpc-url";
  static final String RPC_COOKIE_FILE = "rpc-cookie-file";
  static final String RPC_USER = "rpc-user";
  static final String RPC_PASSWORD_FILE = "rpc-password-file";
  /** Keys that would put bitcoind's password into the file; always rejected. */
  static final List<String> PASSWORD_KEYS = List.of("rpc-password", "rpcpassword", "password");

  static final String ALIAS = "alias";
  static final String RECONNECT_INTERVAL = "reconnect-interval";
  static final String MAX_PEER_CONNECTIONS = "max-peer-connections";
  static final String API_MAX_BODY_BYTES = "api-max-body-bytes";
  static final String SERVING_JOURNAL = "serving-journal";
  static final String SERVING_JOURNAL_MAX_FILE_BYTES = "serving-journal-max-file-bytes";
  static final String SERVING_JOURNAL_KEEP_FILES = "serving-journal-keep-files";

  static final List<String> TOP_LEVEL = List.of(CLUSTER_ID, REPLICA_ID, NETWORK, REPLICAS, DATA_DIR,
      SEED_FILE, API_TOKEN_FILE, ALLOW_UNSAFE_GROUP_SIZE, RAFT, SNAPSHOT, BITCOIND, NODE, API);
  static final List<String> REPLICA_FIELDS = List.of(REPLICA_ID_FIELD, REPLICA_RAFT, REPLICA_PEER, REPLICA_API);
  static final List<String> RAFT_KEYS = List.of(RPC_TYPE, ELECTION_TIMEOUT_MIN, ELECTION_TIMEOUT_MAX,
      LEADER_LEASE, LEADER_LEASE_RATIO, REQUEST_TIMEOUT, MAX_ENTRY_BYTES, TLS);
  static final List<String> TLS_KEYS = List.of(CA_FILE, CERT_FILE, KEY_FILE);
  static final List<String> API_KEYS = List.of(TLS);
  static final List<String> API_TLS_KEYS = List.of(CERT_FILE, KEY_FILE, CA_FILE);
  static final List<String> SNAPSHOT_KEYS = List.of(AUTO_TRIGGER, EVERY_ENTRIES, RETAIN);
  static final List<String> BITCOIND_KEYS = List.of(RPC_URL, RPC_COOKIE_FILE, RPC_USER, RPC_PASSWORD_FILE);
  static final List<String> NODE_KEYS = List.of(ALIAS, RECONNECT_INTERVAL, MAX_PEER_CONNECTIONS, API_MAX_BODY_BYTES,
      SERVING_JOURNAL, SERVING_JOURNAL_MAX_FILE_BYTES, SERVING_JOURNAL_KEEP_FILES);

  static final List<String> NETWORKS = List.of("mainnet", "testnet", "signet", "regtest");

  private ConfigKeys() {}

  static String path(String... keys) {
    return ROOT + "." + String.join(".", keys);
  }

  /**
   * The known key closest to a mistyped one, if it is close enough to be a likely typo: at most
   * a third of its letters (and at least 2) differ.
   */
  static Optional<String> closest(String unknown, List<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = editDistance(unknown.toLowerCase(java.util.Locale.ROOT), k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    int limit = Math.max(2, unknown.length() / 3);
    return bestDistance <= limit ? Optional.ofNullable(best) : Optional.empty();
  }

  /** Levenshtein distance; keys are short, so the quadratic table is fine. */
  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int subst = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(subst, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
