package io.lnraft.node.chain;

import org.bitcoinj.base.Sha256Hash;

/** The parts of {@code getblockchaininfo} the node uses. {@code chain} is e.g. "regtest". */
public record BlockchainInfo(
    String chain, int blocks, int headers, Sha256Hash bestBlockHash, boolean initialBlockDownload) {

  /** The best block as a {@link ChainTip}, e.g. to start a {@link BlockFollower} the first time. */
  public ChainTip tip() {
    return new ChainTip(bestBlockHash, blocks);
  }
}
