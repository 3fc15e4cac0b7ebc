package io.lnraft.store;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;

/**
 * Snapshots as RocksDB checkpoints: one directory {@code snapshot.<term>_<index>} per snapshot in
 * Ratis' state-machine directory. The live database is kept elsewhere (Ratis replaces this
 * directory wholesale when it installs a snapshot from the leader). Ratis ships every file of the
 * latest checkpoint to a follower that is too far behind; MD5 side files it writes are ignored.
 */
final class CheckpointSnapshotStorage implements StateMachineStorage {
  private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");

  private volatile File smDir;
  private volatile File tmpDir;
  private volatile FileListSnapshotInfo latest;

  @Override
  public void init(RaftStorage raftStorage) throws IOException {
    this.smDir = raftStorage.getStorageDir().getStateMachineDir();
    this.tmpDir = raftStorage.getStorageDir().getTmpDir();
    Files.createDirectories(smDir.toPath());
    refresh();
  }

  /** Rescans the directory (after a snapshot is taken or installed). */
  void refresh() throws IOException {
    latest = findLatest().map(this::info).orElse(null);
  }

  private Optional<Path> findLatest() throws IOException {
    try (Stream<Path> s = Files.list(smDir.toPath())) {
      return s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
          .max(Comparator.comparing(CheckpointSnapshotStorage::termIndexOf));
    }
  }

  static TermIndex termIndexOf(Path dir) {
    Matcher m = NAME.matcher(dir.getFileName().toString());
    if (!m.matches()) throw new IllegalArgumentException("not a snapshot directory: " + dir);
    return TermIndex.valueOf(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
  }

  private FileListSnapshotInfo info(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      List<FileInfo> infos = new ArrayList<>();
      files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".md5")).sorted()
          .forEach(p -> infos.add(new FileInfo(p.toAbsolutePath(), null)));
      return new FileListSnapshotInfo(infos, termIndexOf(dir));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where a new checkpoint for {@code ti} goes. */
  Path directoryFor(TermIndex ti) {
    return smDir.toPath().resolve("snapshot." + ti.getTerm() + "_" + ti.getIndex());
  }

  Path scratchDirectory(String name) {
    return tmpDir.toPath().resolve(name);
  }

  /** The checkpoint directory of the latest snapshot, if any. */
  Optional<Path> latestDirectory() {
    FileListSnapshotInfo l = latest;
    return l == null ? Optional.empty() : Optional.of(directoryFor(l.getTermIndex()));
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return latest;
  }

  @Override
  public void format() {}

  @Override
  public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
    int keep = policy.getNumSnapshotsRetained();
    if (keep <= 0) return;
    List<Path> all;
    try (Stream<Path> s = Files.list(smDir.toPath())) {
      all = s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
          .sorted(Comparator.comparing(CheckpointSnapshotStorage::termIndexOf).reversed()).toList();
    }
    for (int i = keep; i < all.size(); i++) deleteTree(all.get(i));
  }

  @Override
  public File getSnapshotDir() {
    return smDir;
  }

  @Override
  public File getTmpDir() {
    return tmpDir;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
