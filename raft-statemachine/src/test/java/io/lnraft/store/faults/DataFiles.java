package io.lnraft.store.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The files of a replica's data directory that the fault tests damage, and how they damage them. */
final class DataFiles {
  private DataFiles() {}

  /** Ratis' log segments ({@code raft/<group>/current/log_*}), closed ones first, by start index. */
  static List<Path> logSegments(Path dataDir) throws IOException {
    try (Stream<Path> s = Files.walk(dataDir.resolve("raft"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("log_")).sorted(Comparator.comparingLong(
          p -> Long.parseLong(p.getFileName().toString().replace("log_inprogress_", "").replace("log_", "").split("-")[0])))
          .toList();
    }
  }

  static List<Path> closedLogSegments(Path dataDir) throws IOException {
    return logSegments(dataDir).stream().filter(p -> !p.getFileName().toString().startsWith("log_inprogress_")).toList();
  }

  /** Files of the live RocksDB ({@code state/}) whose name ends with {@code suffix} or starts with {@code prefix}. */
  static List<Path> liveDbFiles(Path dataDir, String prefix, String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dataDir.resolve("state"))) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(suffix))
          .sorted().toList();
    }
  }

  /** Inverts {@code n} bytes at {@code offset} of {@code f} (in place: the inode, and any hard link, changes). */
  static void flipBytes(Path f, long offset, int n) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      for (int i = 0; i < n; i++) {
        raf.seek(offset + i);
        int b = raf.read();
        raf.seek(offset + i);
        raf.write(~b & 0xff);
      }
      raf.getFD().sync();
    }
  }

  /** Offset one past the last non-zero byte (Ratis preallocates segments with zeros). */
  static long dataEnd(Path f) throws IOException {
    byte[] all = Files.readAllBytes(f);
    int end = all.length;
    while (end > 0 && all[end - 1] == 0) end--;
    return end;
  }

  /** Moves a replica's damaged data directory aside, as the operator's repair procedure says. */
  static Path moveAside(Path dataDir, String suffix) throws IOException {
    Path aside = dataDir.resolveSibling(dataDir.getFileName() + "." + suffix);
    Files.move(dataDir, aside);
    return aside;
  }
}
