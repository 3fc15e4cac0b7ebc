package io.lnraft.node.gate;

import io.lnraft.store.proto.Op;

/**
 * Where the Lightning node puts every state change it makes: monitor writes from LDK's persist
 * callbacks, payment-ledger records and channel events from its event handler.
 *
 * <p>Contract: {@link #stage} is called while the caller holds the read side of the commit gate
 * (inside an LDK call or callback). It only records the op, in call order, and returns at once;
 * the bytes inside {@code op} must already be copies (LDK's objects are only valid during the
 * callback). The committer puts every op staged before it took the gate's write side into the
 * next replicated commit, together with the serialized ChannelManager, and releases the peer bytes
 * and broadcasts that depend on it only after that commit is acknowledged by a majority. A stage
 * never fails: if the commit fails the whole node stops (never report PermanentFailure to LDK).
 */
public interface CommitStage {
  void stage(Op op);
}
