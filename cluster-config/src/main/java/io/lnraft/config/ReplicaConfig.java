package io.lnraft.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The validated configuration of one replica. Built by {@link ConfigLoader}; every instance
 * that exists has passed validation, so code that receives one need not check it again.
 *
 * @param clusterId name of the replica group (also the Ratis group id seed)
 * @param replicaId which of {@code replicas} this process is
 * @param network bitcoin network: mainnet, testnet, signet or regtest
 * @param replicas every member of the group, this one included
 * @param dataDir this replica's data directory (Raft log, RocksDB, snapshots)
 * @param seedFile the node seed (BIP39 mnemonic) shared by all replicas; mode 0600
 * @param apiTokenFile bearer token of the operator API; mode 0600
 * @param raft Raft timing and limits
 * @param snapshot snapshot and log purge policy
 * @param allowUnsafeGroupSize accept a group of 1 or an even number of replicas (tests, demos)
 * @param bitcoind the Lightning node's bitcoind backend; optional in the file, required to run the
 *     node (see {@link #requireBitcoind()})
 * @param node settings of the Lightning node
 * @param apiTls TLS for the operator API; empty: plain HTTP
 */
public record ReplicaConfig(
    String clusterId,
    String replicaId,
    String network,
    List<ReplicaEndpoint> replicas,
    Path dataDir,
    Path seedFile,
    Path apiTokenFile,
    RaftSettings raft,
    SnapshotSettings snapshot,
    boolean allowUnsafeGroupSize,
    Optional<BitcoindSettings> bitcoind,
    NodeSettings node,
    Optional<ApiTlsSettings> apiTls) {
  public ReplicaConfig {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(replicaId, "replicaId");
    Objects.requireNonNull(network, "network");
    replicas = List.copyOf(replicas);
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(seedFile, "seedFile");
    Objects.requireNonNull(apiTokenFile, "apiTokenFile");
    Objects.requireNonNull(raft, "raft");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(bitcoind, "bitcoind");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(apiTls, "apiTls");
  }

  /** The configuration with a plain-HTTP operator API. */
  public ReplicaConfig(String clusterId, String replicaId, String network, List<ReplicaEndpoint> replicas,
      Path dataDir, Path seedFile, Path apiTokenFile, RaftSettings raft, SnapshotSettings snapshot,
      boolean allowUnsafeGroupSize, Optional<BitcoindSettings> bitcoind, NodeSettings node) {
    this(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, raft, snapshot,
        allowUnsafeGroupSize, bitcoind, node, Optional.empty());
  }

  /** The configuration without a bitcoind backend and with {@link NodeSettings#defaults()}. */
  public ReplicaConfig(String clusterId, String replicaId, String network, List<ReplicaEndpoint> replicas,
      Path dataDir, Path seedFile, Path apiTokenFile, RaftSettings raft, SnapshotSettings snapshot,
      boolean allowUnsafeGroupSize) {
    this(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, raft, snapshot,
        allowUnsafeGroupSize, Optional.empty(), NodeSettings.defaults());
  }

  /** This configuration with {@code settings} as its bitcoind backend. */
  public ReplicaConfig withBitcoind(BitcoindSettings settings) {
    return new ReplicaConfig(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, raft,
        snapshot, allowUnsafeGroupSize, Optional.of(settings), node, apiTls);
  }

  /** This configuration with {@code settings} for the Lightning node. */
  public ReplicaConfig withRaft(RaftSettings settings) {
    return new ReplicaConfig(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, settings,
        snapshot, allowUnsafeGroupSize, bitcoind, node, apiTls);
  }

  public ReplicaConfig withNode(NodeSettings settings) {
    return new ReplicaConfig(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, raft,
        snapshot, allowUnsafeGroupSize, bitcoind, settings, apiTls);
  }

  /** This configuration with its operator API served over TLS. */
  public ReplicaConfig withApiTls(ApiTlsSettings settings) {
    return new ReplicaConfig(clusterId, replicaId, network, replicas, dataDir, seedFile, apiTokenFile, raft,
        snapshot, allowUnsafeGroupSize, bitcoind, node, Optional.of(settings));
  }

  /**
   * The bitcoind backend, for code that runs the Lightning node.
   *
   * @throws ConfigException naming {@code lnraft.bitcoind} and how to add it, if it is not set
   */
  public BitcoindSettings requireBitcoind() {
    return bitcoind.orElseThrow(() -> new ConfigException("of replica " + replicaId, List.of(
        "lnraft.bitcoind: missing — the Lightning node needs its bitcoind backend; add"
            + " bitcoind { rpc-url = \"http://127.0.0.1:18443\", rpc-cookie-file = \"/path/to/.cookie\" }")));
  }

  /**
   * The CA file that clients of the operator API using this configuration trust (the {@code lnraft}
   * commands): {@code api.tls.ca-file}, else {@code raft.tls.ca-file} (the cluster CA that signed
   * init-cluster's replica certificates); empty with api.tls: the JVM's default trust store.
   * Empty without api.tls (plain HTTP).
   */
  public Optional<Path> apiTrustedCaFile() {
    if (apiTls.isEmpty()) return Optional.empty();
    return apiTls.get().caFile().or(() -> raft.tls().map(TlsSettings::caFile));
  }

  /** This replica's own endpoint. */
  public ReplicaEndpoint self() {
    return replicas.stream().filter(r -> r.id().equals(replicaId)).findFirst()
        .orElseThrow(() -> new IllegalStateException("replica " + replicaId + " is not in the replica list"));
  }
}
