package io.lnraft.store;

/**
 * Leader events of one replica, for the node-adapter's leader lifecycle.
 *
 * <p>Contract: callbacks arrive on one dedicated thread, in the order Ratis reported the events,
 * never on a Ratis thread (a slow listener does not stall replication). {@link #onReadyLeader}
 * means this replica is leader and its first entry of {@code term} is applied: the committed
 * state is complete, and the listener may acquire the writer epoch. {@link #onNotLeader} means
 * leadership is lost or was never held: the listener must stop acting at once. The listener
 * must still treat a FENCED commit reply as the final word: an event can arrive late.
 */
public interface LeadershipListener {
  void onReadyLeader(long term);

  void onNotLeader(long term);
}
