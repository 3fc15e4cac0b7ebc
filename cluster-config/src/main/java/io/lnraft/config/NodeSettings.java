package io.lnraft.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the replica's Lightning node ({@code lnraft.node}); defaults as in reference.conf.
 *
 * @param alias node alias announced to the network, at most 32 UTF-8 bytes
 * @param reconnectInterval wait between attempts to reconnect to a known peer
 * @param maxPeerConnections most peer connections (inbound and outbound) held at once
 * @param apiMaxBodyBytes largest request body the operator API accepts
 * @param servingJournal whether the replica records its node's acts in {@code <data-dir>/serving-journal}
 */
public record NodeSettings(String alias, Duration reconnectInterval, int maxPeerConnections, int apiMaxBodyBytes,
    boolean servingJournal) {
  /** Longest alias in bytes: the alias field of a BOLT 7 node_announcement. */
  public static final int MAX_ALIAS_BYTES = 32;

  public NodeSettings {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(reconnectInterval, "reconnectInterval");
  }

  /** The settings with the serving journal on (its default). */
  public NodeSettings(String alias, Duration reconnectInterval, int maxPeerConnections, int apiMaxBodyBytes) {
    this(alias, reconnectInterval, maxPeerConnections, apiMaxBodyBytes, true);
  }

  /** Defaults used by tests and tools that build settings in code (same as reference.conf). */
  public static NodeSettings defaults() {
    return new NodeSettings("lnraft", Duration.ofSeconds(5), 64, 64 << 10);
  }
}
