package io.lnraft.store.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted by the test (needs root and {@code mount}; the test is skipped with that
 * message otherwise), so that a replica's data directory can be filled up for real (ENOSPC).
 */
final class Tmpfs implements AutoCloseable {
  final Path mountPoint;

  private Tmpfs(Path mountPoint) {
    this.mountPoint = mountPoint;
  }

  /** Mounts a tmpfs of {@code megabytes} at {@code dir} (created), or skips the test. */
  static Tmpfs mountOrSkip(Path dir, int megabytes) throws Exception {
    Files.createDirectories(dir);
    String out = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0700", "tmpfs", dir.toString()));
    Assumptions.assumeTrue(out == null, () -> "skipped: cannot mount a tmpfs at " + dir + " (" + out + "): this"
        + " scenario needs root and mount(8) (util-linux) to fill a replica's disk for real");
    return new Tmpfs(dir);
  }

  /** Writes {@code name} until the file system is full (ENOSPC); returns the bytes written. */
  long fill(String name) throws IOException {
    byte[] chunk = new byte[256 << 10];
    java.util.Arrays.fill(chunk, (byte) 0x5a);
    long written = 0;
    try (OutputStream out = Files.newOutputStream(mountPoint.resolve(name))) {
      while (true) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) throw e;
    }
    return written;
  }

  long free() throws IOException {
    return Files.getFileStore(mountPoint).getUsableSpace();
  }

  void delete(String name) throws IOException {
    Files.deleteIfExists(mountPoint.resolve(name));
  }

  @Override
  public void close() throws Exception {
    String out = run(List.of("umount", "-l", mountPoint.toString()));
    if (out != null) throw new IOException("umount " + mountPoint + " failed: " + out);
  }

  /** Runs a command (bounded); null on success, else its output or error. */
  private static String run(List<String> cmd) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return String.join(" ", cmd) + " did not finish within 30 s";
      }
      String out = new String(p.getInputStream().readAllBytes()).trim();
      return p.exitValue() == 0 ? null : String.join(" ", cmd) + ": exit " + p.exitValue() + " " + out;
    } catch (IOException e) {
      return String.join(" ", cmd) + ": " + e.getMessage();
    }
  }
}
