package io.lnraft.node.gate;

/**
 * Where the node's BroadcasterInterface puts transactions. Contract: called under the read side
 * of the gate; the raw transaction is held and handed to the chain backend only after the commit
 * of every state change staged before it, and only while this replica is the ready leader.
 */
public interface BroadcastStage {
  void stageBroadcast(byte[] rawTransaction);
}
