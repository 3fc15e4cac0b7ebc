package io.lnraft.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

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
    boolean allowUnsafeGroupSize) {
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
  }

  /** This replica's own endpoint. */
  public ReplicaEndpoint self() {
    return replicas.stream().filter(r -> r.id().equals(replicaId)).findFirst()
        .orElseThrow(() -> new IllegalStateException("replica " + replicaId + " is not in the replica list"));
  }
}
