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
 * @param servingJournalMaxFileBytes size at which the serving journal is rotated to {@code serving-journal.1}
 * @param servingJournalKeepFiles rotated serving journal files kept ({@code .1} to {@code .<n>}); older ones are deleted
 */
public record NodeSettings(String alias, Duration reconnectInterval, int maxPeerConnections, int apiMaxBodyBytes,
    boolean servingJournal, long servingJournalMaxFileBytes, int servingJournalKeepFiles) {
  /** Longest alias in bytes: the alias field of a BOLT 7 node_announcement. */
  public static final int MAX_ALIAS_BYTES = 32;
  /** Default serving journal file size before rotation (reference.conf). */
  public static final long DEFAULT_JOURNAL_MAX_FILE_BYTES = 64L << 20;
  /** Default number of rotated serving journal files kept (reference.conf). */
  public static final int DEFAULT_JOURNAL_KEEP_FILES = 15;

  public NodeSettings {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(reconnectInterval, "reconnectInterval");
  }

  /** The settings with the serving journal's default rotation. */
  public NodeSettings(String alias, Duration reconnectInterval, int maxPeerConnections, int apiMaxBodyBytes,
      boolean servingJournal) {
    this(alias, reconnectInterval, maxPeerConnections, apiMaxBodyBytes, servingJournal, DEFAULT_JOURNAL_MAX_FILE_BYTES,
        DEFAULT_JOURNAL_KEEP_FILES);
  }

  /** The settings with the serving journal on (its default) and its default rotation. */
  public NodeSettings(String alias, Duration reconnectInterval, int maxPeerConnections, int apiMaxBodyBytes) {
    this(alias, reconnectInterval, maxPeerConnections, apiMaxBodyBytes, true);
  }

  /** Defaults used by tests and tools that build settings in code (same as reference.conf). */
  public static NodeSettings defaults() {
    return new NodeSettings("lnraft", Duration.ofSeconds(5), 64, 64 << 10);
  }
}
