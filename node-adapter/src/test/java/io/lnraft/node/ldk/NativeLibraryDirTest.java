package io.lnraft.node.ldk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each node process gets its own directory for LDK's native library; dead processes' dirs go. */
class NativeLibraryDirTest {
  @TempDir Path tmp;

  /** Prints the temp dir it ends up with, after loading LDK's bindings (which copy the library there). */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      NativeLibraryDir.isolate();
      Class.forName("org.ldk.impl.bindings");
      System.out.println(System.getProperty("java.io.tmpdir"));
    }
  }

  private Process start() throws Exception {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Probe.class.getName())
        .redirectErrorStream(true).start();
  }

  @Test
  void eachProcessLoadsLdkFromItsOwnDirectoryWhichIsRemovedAfterwards() throws Exception {
    Process a = start();
    assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(a.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(a.exitValue()).as(out).isZero();
    assertThat(out).isEqualTo(tmp.resolve("lnraft-" + a.pid()).toString());
    assertThat(Path.of(out)).as("removed at exit").doesNotExist();
    assertThat(tmp.resolve("ldk-java-nativelib")).as("the shared path is not used").doesNotExist();

    // A directory left by a process killed with SIGKILL is removed by the next start.
    Path stale = Files.createDirectories(tmp.resolve("lnraft-" + a.pid()).resolve("ldk-java-nativelib"));
    Files.writeString(stale.resolve("liblightningjni.so"), "x");
    Process b = start();
    assertThat(b.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(b.exitValue()).isZero();
    assertThat(tmp.resolve("lnraft-" + a.pid())).doesNotExist();
  }
}
