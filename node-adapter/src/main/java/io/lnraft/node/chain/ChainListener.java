package io.lnraft.node.chain;

import org.bitcoinj.core.Block;

/**
 * What a {@link BlockFollower} tells its owner (in the node: LDK's {@code Listen}/{@code Confirm}).
 *
 * <p>Contract: calls come from one thread at a time, in chain order. After a reorg, the blocks of
 * the old branch are disconnected tip first, down to the fork point, before the new branch is
 * connected from the fork point up. When a callback returns, the follower's tip moves to that
 * block (connected) or to its parent (disconnected); the owner persists that tip when it has
 * durably applied the callback. A callback that throws leaves the tip where it was: the same
 * block is delivered again on the next poll, so delivery is at-least-once and callbacks must be
 * idempotent. Callbacks must not call back into the follower.
 */
public interface ChainListener {

  /** {@code block} (full, with transactions) is now at {@code height} on the best chain. */
  void onBlockConnected(Block block, int height);

  /** {@code block}, which was at {@code height}, is no longer on the best chain. */
  void onBlockDisconnected(Block block, int height);
}
