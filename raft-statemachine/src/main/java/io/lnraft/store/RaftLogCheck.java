package io.lnraft.store;

import java.io.IOException;
import java.util.List;
import org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;

/**
 * Start-up verification of a replica's Raft log, before Ratis loads it: every segment is read with
 * its entry checksums (Ratis' own reader, corruption policy EXCEPTION), closed segments must hold
 * exactly the entries their name promises, and the log must not end below the index the local
 * database has applied (a follower applies only entries it has fsynced, so a shorter log lost
 * acknowledged entries: voting with it could elect a leader without them).
 *
 * <p>Why not rely on Ratis alone: Ratis 3.3 also refuses a segment with a bad checksum, but its
 * error does not name the file, and it accepts a log that ends early (a torn last entry is taken
 * for a crash during a write). Cost: one sequential read of the log, which snapshots bound.
 */
final class RaftLogCheck {
  private RaftLogCheck() {}

  /** What was checked, for the start-up log line. */
  record Result(int segments, long entries, long lastIndex, long millis) {}

  /**
   * @param appliedIndex the local database's applied index (-1: none)
   * @param snapshotIndex the latest local snapshot's index (-1: none)
   * @throws IOException naming the damaged file and what is wrong with it
   */
  static Result verify(RaftStorage storage, SizeInBytes maxEntrySize, long appliedIndex, long snapshotIndex)
      throws IOException {
    long t0 = System.nanoTime();
    List<LogSegmentPath> paths = LogSegmentPath.getLogSegmentPaths(storage);
    long entries = 0;
    long last = -1;
    for (LogSegmentPath p : paths) {
      // File names: log_<start>-<end> (closed), log_inprogress_<start> (open).
      String name = p.getPath().getFileName().toString();
      boolean open = name.startsWith("log_inprogress_");
      String[] range = name.replace("log_inprogress_", "").replace("log_", "").split("-");
      long start = Long.parseLong(range[0]);
      if (last >= 0 && start != last + 1) {
        throw new IOException("Raft log segment " + p.getPath() + " starts at index " + start + " but the previous one ends at "
            + last + ": a segment file is missing or misnamed");
      }
      long[] lastRead = {-1};
      int count;
      try {
        count = LogSegment.readSegmentFile(p.getPath().toFile(), p.getStartEnd(), maxEntrySize, CorruptionPolicy.EXCEPTION,
            null, e -> lastRead[0] = e.getIndex());
      } catch (IOException | RuntimeException e) {
        throw new IOException("Raft log segment " + p.getPath() + " is damaged: " + e.getMessage(), e);
      }
      if (!open) {
        long expected = Long.parseLong(range[1]) - start + 1;
        if (count != expected) {
          throw new IOException("Raft log segment " + p.getPath() + " is damaged: it holds " + count + " readable entries,"
              + " its name promises " + expected + " (file truncated or overwritten)");
        }
      }
      entries += count;
      if (count > 0) last = lastRead[0];
    }
    if (appliedIndex > Math.max(last, snapshotIndex)) {
      throw new IOException("the Raft log under " + storage.getStorageDir().getCurrentDir() + " ends at index " + last
          + " (latest snapshot " + snapshotIndex + ") but the channel-state database has applied index " + appliedIndex
          + ": the log lost entries this replica had fsynced and acknowledged (a truncated or replaced segment file"
          + (paths.isEmpty() ? "" : ", last one " + paths.get(paths.size() - 1).getPath().getFileName()) + ")");
    }
    return new Result(paths.size(), entries, last, (System.nanoTime() - t0) / 1_000_000);
  }
}
