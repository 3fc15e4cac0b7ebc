package io.lnraft.node.api;

import java.util.Objects;

/**
 * What a replica says about itself. Every replica answers, leader or not: {@code role} tells a
 * caller whether this one can act.
 *
 * @param nodeId the Lightning node id (shared by all replicas), lowercase hex
 * @param role whether this replica runs the node
 * @param epoch the writer epoch this replica holds, or the latest it has applied if it is not
 *     the writer
 * @param raftTerm the current Raft term as this replica sees it
 * @param blockHeight the chain height the node (or, on a follower, the store) has synced to
 * @param network bitcoin network name: {@code bitcoin}, {@code testnet}, {@code signet},
 *     {@code regtest}
 * @param peerCount connected peers (0 on a follower)
 * @param channelCount channels in the replicated state
 */
public record NodeInfo(
    String nodeId,
    Role role,
    long epoch,
    long raftTerm,
    long blockHeight,
    String network,
    int peerCount,
    int channelCount,
    CommitStats commits) {
  /**
   * The gated committer of the running node (zero on a replica that runs none): replicated
   * commits, their latency (submit to majority acknowledgement, last 4096 commits) and size.
   */
  public record CommitStats(long count, long latencyP50Micros, long latencyP99Micros, long bytesCommitted) {
    public static final CommitStats NONE = new CommitStats(0, 0, 0, 0);
  }

  /** Without commit statistics (a replica that runs no node). */
  public NodeInfo(String nodeId, Role role, long epoch, long raftTerm, long blockHeight, String network, int peerCount,
      int channelCount) {
    this(nodeId, role, epoch, raftTerm, blockHeight, network, peerCount, channelCount, CommitStats.NONE);
  }


  /** The replica's place in the leader lifecycle (DESIGN.md, "Leader lifecycle"). */
  public enum Role {
    /** Raft leader with the node started and ready: the only replica that acts. */
    LEADER_READY,
    /** Applies the log; runs no node. */
    FOLLOWER,
    /** Raft leader still starting the node (epoch, chain sync, listener). */
    STARTING
  }

  public NodeInfo {
    HexId.requireNodeId("nodeId", nodeId);
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(commits, "commits");
    if (epoch < 0 || raftTerm < 0 || blockHeight < 0 || peerCount < 0 || channelCount < 0) {
      throw new IllegalArgumentException("counters must not be negative");
    }
  }
}
