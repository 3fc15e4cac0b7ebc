package io.lnraft.node.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A peer the node knows.
 *
 * @param nodeId lowercase hex, 33 bytes
 * @param address {@code host:port} the node connects to, when known
 * @param connected whether a connection is up now
 */
public record PeerView(String nodeId, Optional<String> address, boolean connected) {
  public PeerView {
    HexId.requireNodeId("nodeId", nodeId);
    Objects.requireNonNull(address, "address");
  }
}
