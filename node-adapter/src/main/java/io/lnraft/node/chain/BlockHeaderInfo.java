package io.lnraft.node.chain;

import java.util.Optional;
import org.bitcoinj.base.Sha256Hash;

/**
 * {@code getblockheader} (verbose): {@code confirmations} is -1 for a block that is not on the
 * active chain (stale after a reorg); {@code previousBlockHash} is empty only for the genesis.
 */
public record BlockHeaderInfo(
    Sha256Hash hash,
    int height,
    int confirmations,
    long time,
    Optional<Sha256Hash> previousBlockHash,
    Optional<Sha256Hash> nextBlockHash) {

  public boolean onActiveChain() {
    return confirmations >= 0;
  }
}
