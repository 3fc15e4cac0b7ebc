package io.lnraft.node.ldk;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Gives this process its own directory for ldk-java's native library.
 *
 * <p>ldk-java 0.0.106, when the library is not on java.library.path, copies it to the fixed path
 * {@code ${java.io.tmpdir}/ldk-java-nativelib/liblightningjni.so} and loads it from there. Two
 * node processes starting together on one machine (three replicas and a counterparty in the demo
 * and the tests, or replicas sharing /tmp) then overwrite the file another is mapping: a replica
 * died with SIGBUS. Before any LDK class loads, {@link #isolate()} points java.io.tmpdir at a
 * directory of this process ({@code lnraft-<pid>} in the system temp dir, removed at exit), and
 * removes such directories left by processes that no longer run (killed with SIGKILL).
 */
public final class NativeLibraryDir {
  private static final String PREFIX = "lnraft-";

  private NativeLibraryDir() {}

  /** Idempotent; on failure the shared temp dir stays in use (the old behaviour). */
  public static synchronized void isolate() {
    if (System.getProperty("lnraft.tmpdir.isolated") != null) return;
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    removeStale(base);
    try {
      long pid = ProcessHandle.current().pid();
      Path own = Files.createDirectories(base.resolve(PREFIX + pid));
      System.setProperty("java.io.tmpdir", own.toString());
      System.setProperty("lnraft.tmpdir.isolated", base.toString());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(own), "lnraft-tmpdir-cleanup"));
    } catch (IOException | RuntimeException e) {
      // keep the shared directory: a rare start race is better than no start
    }
  }

  private static void removeStale(Path base) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*")) {
      for (Path d : dirs) {
        String rest = d.getFileName().toString().substring(PREFIX.length());
        if (!rest.matches("[0-9]{1,10}") || !Files.isDirectory(d)) continue;
        if (ProcessHandle.of(Long.parseLong(rest)).map(ProcessHandle::isAlive).orElse(false)) continue;
        deleteTree(d);
      }
    } catch (IOException | RuntimeException e) {
      // best effort
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort
        }
      });
    } catch (IOException | RuntimeException e) {
      // best effort
    }
  }
}
