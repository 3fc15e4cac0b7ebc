package io.lnraft.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Raft timing and limits of one replica.
 *
 * @param rpcType transport between replicas
 * @param electionTimeoutMin lower bound of the randomized election timeout
 * @param electionTimeoutMax upper bound of the randomized election timeout
 * @param leaderLease whether the leader serves reads and releases peer bytes on a lease instead
 *     of a ReadIndex round trip
 * @param leaderLeaseRatio lease length as a fraction of electionTimeoutMin (0 &lt; r &lt; 1)
 * @param requestTimeout deadline of one client call (commit or read), retries included
 * @param maxEntryBytes largest command accepted; larger ones are rejected before they reach the log
 * @param tls mutual TLS of the Raft transport (gRPC only); empty means plaintext
 */
public record RaftSettings(
    RpcType rpcType,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    boolean leaderLease,
    double leaderLeaseRatio,
    Duration requestTimeout,
    long maxEntryBytes,
    Optional<TlsSettings> tls) {
  public RaftSettings {
    Objects.requireNonNull(rpcType, "rpcType");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(electionTimeoutMin, "electionTimeoutMin");
    Objects.requireNonNull(electionTimeoutMax, "electionTimeoutMax");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /** Plaintext settings (no TLS). */
  public RaftSettings(RpcType rpcType, Duration electionTimeoutMin, Duration electionTimeoutMax, boolean leaderLease,
      double leaderLeaseRatio, Duration requestTimeout, long maxEntryBytes) {
    this(rpcType, electionTimeoutMin, electionTimeoutMax, leaderLease, leaderLeaseRatio, requestTimeout, maxEntryBytes,
        Optional.empty());
  }

  /** Defaults used by tests and tools that build settings in code (same as reference.conf). */
  public static RaftSettings defaults() {
    return new RaftSettings(RpcType.GRPC, Duration.ofMillis(300), Duration.ofMillis(600), true, 0.9,
        Duration.ofSeconds(5), 8L << 20);
  }

  public RaftSettings withRpcType(RpcType type) {
    return new RaftSettings(type, electionTimeoutMin, electionTimeoutMax, leaderLease, leaderLeaseRatio,
        requestTimeout, maxEntryBytes, tls);
  }

  public RaftSettings withTls(Optional<TlsSettings> v) {
    return new RaftSettings(rpcType, electionTimeoutMin, electionTimeoutMax, leaderLease, leaderLeaseRatio,
        requestTimeout, maxEntryBytes, v);
  }
}
