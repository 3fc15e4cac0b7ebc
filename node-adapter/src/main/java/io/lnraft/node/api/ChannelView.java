package io.lnraft.node.api;

import java.util.Objects;

/**
 * A channel as the operator sees it.
 *
 * @param channelId lowercase hex, 32 bytes
 * @param peerNodeId the counterparty, lowercase hex, 33 bytes
 * @param capacitySat the funding amount
 * @param localBalanceMsat our side
 * @param remoteBalanceMsat the peer's side
 * @param state see {@link State}
 */
public record ChannelView(
    String channelId,
    String peerNodeId,
    long capacitySat,
    long localBalanceMsat,
    long remoteBalanceMsat,
    State state) {

  /** A channel's state. */
  public enum State {
    /** Funding not yet confirmed deeply enough. */
    PENDING_OPEN,
    /** Open and the peer is connected: can route payments. */
    ACTIVE,
    /** Open but the peer is not connected. */
    INACTIVE,
    /** A close was started (cooperative or force); funds not yet swept. */
    CLOSING
  }

  public ChannelView {
    HexId.require("channelId", channelId, HexId.CHANNEL_ID_BYTES);
    HexId.requireNodeId("peerNodeId", peerNodeId);
    Objects.requireNonNull(state, "state");
    if (capacitySat < 0 || localBalanceMsat < 0 || remoteBalanceMsat < 0) {
      throw new IllegalArgumentException("amounts must not be negative");
    }
  }
}
