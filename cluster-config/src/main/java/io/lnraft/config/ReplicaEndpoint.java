package io.lnraft.config;

import java.util.Objects;

/**
 * One member of the replica group as every replica knows it.
 *
 * @param id stable replica id (also the Ratis peer id)
 * @param raft address of the Raft (Ratis) server
 * @param peer address of the Lightning peer listener (only the ready leader listens)
 * @param api address of the operator REST API
 */
public record ReplicaEndpoint(String id, HostPort raft, HostPort peer, HostPort api) {
  public ReplicaEndpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(raft, "raft");
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(api, "api");
  }
}
