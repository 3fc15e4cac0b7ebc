package io.lnraft.store.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * A process's wall clock moved with libfaketime (LD_PRELOAD): an offset read from a file on every
 * call, so a test can jump it while the process runs. CLOCK_MONOTONIC (Java's nanoTime) is left
 * alone, as a real NTP step leaves it; the offset file is re-read at most once a second. Skips the test when libfaketime is not installed.
 */
final class FakeClock {
  static final Path LIB = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
  private final Path offsetFile;

  private FakeClock(Path offsetFile) {
    this.offsetFile = offsetFile;
  }

  static FakeClock orSkip(Path offsetFile, String initialOffset) throws IOException {
    Assumptions.assumeTrue(Files.exists(LIB), "skipped: libfaketime not found at " + LIB
        + "; install it with: apt-get install -y faketime");
    FakeClock c = new FakeClock(offsetFile);
    c.set(initialOffset);
    return c;
  }

  /** Sets the offset, e.g. "+3600" or "-120" (seconds; libfaketime's relative format). */
  void set(String offset) throws IOException {
    Path tmp = offsetFile.resolveSibling(offsetFile.getFileName() + ".tmp");
    Files.writeString(tmp, offset + "\n");
    Files.move(tmp, offsetFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  Map<String, String> environment() {
    return Map.of("LD_PRELOAD", LIB.toString(), "FAKETIME_TIMESTAMP_FILE", offsetFile.toString(),
        "FAKETIME_CACHE_DURATION", "1", "FAKETIME_DONT_FAKE_MONOTONIC", "1",
        // libfaketime 0.9.10 turns its "monotonic fix" on by itself with this glibc; it then breaks the
        // JVM's timed waits (measured here: 500 x Thread.sleep(1) took 27 s, parkNanos returned at once),
        // which would starve Ratis' timers for reasons that have nothing to do with the wall clock.
        "FAKETIME_FORCE_MONOTONIC_FIX", "0");
  }
}
