package io.lnraft.node.ldk;

import java.util.Optional;

/**
 * One channel as our node reports it (a copy of LDK's ChannelDetails, no LDK types).
 *
 * @param channelIdHex LDK's 32-byte channel id (the temporary id before funding)
 * @param funding the funding outpoint once known; its txid in bitcoind's display order
 * @param counterpartyNodeIdHex the peer's 33-byte node id
 * @param outboundMsat what we can send now; {@code inboundMsat} what we can receive now
 * @param balanceMsat our balance in the channel (LDK's balance_msat)
 * @param usable funding locked and peer connected: payments can use it
 * @param ready funding locked by both sides (stays true while the peer is offline)
 */
public record ChannelInfo(
    String channelIdHex,
    Optional<FundingOutpoint> funding,
    String counterpartyNodeIdHex,
    long capacitySat,
    long outboundMsat,
    long inboundMsat,
    long balanceMsat,
    boolean outbound,
    boolean usable,
    boolean ready) {

  /** A funding outpoint: txid as bitcoind prints it (reversed from LDK's bytes) and output index. */
  public record FundingOutpoint(String txidHex, int outputIndex) {
    @Override
    public String toString() {
      return txidHex + ":" + outputIndex;
    }
  }
}
