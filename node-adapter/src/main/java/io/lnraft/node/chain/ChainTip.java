package io.lnraft.node.chain;

import org.bitcoinj.base.Sha256Hash;

/**
 * A block the caller has fully processed: its hash and height. The caller persists it after the
 * {@link ChainListener} callback for that block returned, and passes it back to {@link
 * BlockFollower} after a restart.
 */
public record ChainTip(Sha256Hash hash, int height) {
  public ChainTip {
    if (height < 0) {
      throw new IllegalArgumentException("height must be >= 0: " + height);
    }
  }

  @Override
  public String toString() {
    return height + ":" + hash;
  }
}
