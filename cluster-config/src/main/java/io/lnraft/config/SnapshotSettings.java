package io.lnraft.config;

/**
 * When a replica snapshots its state (a RocksDB checkpoint) and purges the Raft log behind it.
 *
 * @param autoTrigger take snapshots automatically (otherwise the log is never purged)
 * @param everyEntries take one after this many applied entries
 * @param retain how many snapshots to keep on disk
 */
public record SnapshotSettings(boolean autoTrigger, long everyEntries, int retain) {
  public static SnapshotSettings defaults() {
    return new SnapshotSettings(true, 10_000, 2);
  }
}
