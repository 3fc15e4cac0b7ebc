package io.lnraft.node.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serving journal: record order and content, SIGKILL survival, refusal when unwritable, cost. */
class ServingJournalTest {
  @TempDir Path dir;

  @Test
  void recordsStartThenBeginBeforeAndEndAfterEachAct() throws Exception {
    long before = System.nanoTime();
    try (ServingJournal j = ServingJournal.open(dir, "r1")) {
      ServingJournal.Act a = j.begin(ServingJournal.Kind.COMMIT, 0);
      long during = System.nanoTime();
      a.endAs(7);
      a.end(); // idempotent
      ServingJournal.Act b = j.begin(ServingJournal.Kind.RELEASE, 7);
      b.end();
      long after = System.nanoTime();
      List<String> lines = Files.readAllLines(dir.resolve(ServingJournal.FILE_NAME));
      assertThat(lines).hasSize(5);
      assertThat(lines.get(0)).startsWith("start pid=" + ProcessHandle.current().pid() + " mono=").endsWith(" replica=r1");
      assertThat(lines.get(1)).startsWith("begin act=1 kind=commit epoch=0 mono=");
      assertThat(lines.get(2)).startsWith("end act=1 epoch=7 mono=");
      assertThat(lines.get(3)).startsWith("begin act=2 kind=release epoch=7 mono=");
      assertThat(lines.get(4)).startsWith("end act=2 epoch=7 mono=");
      assertThat(mono(lines.get(0))).isBetween(before, during);
      assertThat(mono(lines.get(1))).isBetween(before, during); // begin precedes the act
      assertThat(mono(lines.get(2))).isBetween(during, after); // end follows it
      assertThat(lines).allMatch(l -> l.contains(" wall=20"));
    }
    // A second process on the same data directory appends its own start record.
    try (ServingJournal j = ServingJournal.open(dir, "r1")) {
      assertThat(Files.readAllLines(dir.resolve(ServingJournal.FILE_NAME)).get(5)).startsWith("start ");
    }
  }

  @Test
  void disabledJournalWritesNothing() {
    ServingJournal j = ServingJournal.disabled();
    assertThat(j.enabled()).isFalse();
    j.begin(ServingJournal.Kind.COMMIT, 3).end();
    assertThat(dir.resolve(ServingJournal.FILE_NAME)).doesNotExist();
  }

  @Test
  void aClosedJournalRefusesTheActAndAnUnwritableDirectoryIsAClearError() throws Exception {
    ServingJournal j = ServingJournal.open(dir, "r1");
    j.close();
    assertThatThrownBy(() -> j.begin(ServingJournal.Kind.RELEASE, 1)).hasMessageContaining("closed");
    Path notADir = Files.writeString(dir.resolve("file"), "x");
    assertThatThrownBy(() -> ServingJournal.open(notADir, "r1")).isInstanceOf(java.io.IOException.class);
  }

  /** A begin written just before a SIGKILL is in the file afterwards (page cache, one write(2)). */
  @Test
  void aBeginRecordSurvivesSigkill() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), JournalWriter.class.getName(), dir.toString()).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = r.readLine();
      } while (line != null && !line.equals("acting"));
      assertThat(line).as("child process reached its act").isEqualTo("acting");
      p.destroyForcibly();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    List<String> lines = Files.readAllLines(dir.resolve(ServingJournal.FILE_NAME));
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).startsWith("begin act=1 kind=release epoch=9 ");
  }

  /** Cost of one act (begin + end) on this machine's page cache: printed, and bounded loosely. */
  @Test
  void anActCostsMicroseconds() throws Exception {
    try (ServingJournal j = ServingJournal.open(dir, "r1")) {
      for (int i = 0; i < 2_000; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end(); // warm-up
      int n = 20_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end();
      double micros = (System.nanoTime() - t0) / 1000.0 / n;
      long bytes = Files.size(dir.resolve(ServingJournal.FILE_NAME));
      System.out.printf("serving journal: %.1f us per act (begin + end), %d bytes per act%n", micros, bytes / (n + 2_000));
      assertThat(micros).as("microseconds per act").isLessThan(500);
    }
  }

  /** Child process for {@link #aBeginRecordSurvivesSigkill}: opens the journal, begins an act, waits to be killed. */
  public static final class JournalWriter {
    public static void main(String[] args) throws Exception {
      ServingJournal j = ServingJournal.open(Path.of(args[0]), "r9");
      j.begin(ServingJournal.Kind.RELEASE, 9);
      System.out.println("acting");
      System.out.flush();
      Thread.sleep(60_000);
    }
  }

  private static long mono(String line) {
    for (String f : line.split(" ")) if (f.startsWith("mono=")) return Long.parseLong(f.substring(5));
    throw new AssertionError("no mono= in " + line);
  }
}
