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

  private List<String> linesOf(Path p) throws Exception {
    return Files.readAllLines(p, StandardCharsets.US_ASCII);
  }

  @Test
  void rotatesBySizeKeepsTheNewestFilesAndRestatesActsInFlight() throws Exception {
    Path current = dir.resolve(ServingJournal.FILE_NAME);
    try (ServingJournal j = ServingJournal.open(dir, "r1", 1000, 3)) {
      ServingJournal.Act longAct = j.begin(ServingJournal.Kind.COMMIT, 4); // act 1, open across rotations
      String longBegin = linesOf(current).get(1);
      for (int i = 0; i < 30; i++) j.begin(ServingJournal.Kind.RELEASE, 4).end(); // ~180 B per act: 5+ files
      assertThat(ServingJournal.rotatedFile(current, 1)).exists();
      assertThat(ServingJournal.rotatedFile(current, 3)).exists();
      assertThat(ServingJournal.rotatedFile(current, 4)).as("only 3 rotated files are kept").doesNotExist();
      for (Path f : List.of(current, ServingJournal.rotatedFile(current, 1), ServingJournal.rotatedFile(current, 2))) {
        List<String> lines = linesOf(f);
        // Every new file: the rotated record, then the begin of the act still in flight, as first written.
        assertThat(lines.get(0)).startsWith("rotated pid=" + ProcessHandle.current().pid() + " mono=")
            .contains(" replica=r1 previous=serving-journal.1");
        assertThat(lines.get(1)).isEqualTo(longBegin + " restated=yes");
      }
      for (int k = 1; k <= 3; k++) {
        long size = Files.size(ServingJournal.rotatedFile(current, k));
        // Rotated once full: at least the limit, at most the limit plus one record.
        assertThat(size).as("size of serving-journal.%d", k).isBetween(1000L, 1000L + 200);
      }
      longAct.end();
      // After its end, the next file no longer restates it.
      for (int i = 0; i < 12; i++) j.begin(ServingJournal.Kind.RELEASE, 4).end();
      List<String> last = linesOf(current);
      assertThat(last.get(0)).startsWith("rotated ");
      assertThat(last).noneMatch(l -> l.startsWith("begin act=1 "));
    }
    // A new process on a full file rotates before its start record.
    Files.writeString(current, "x".repeat(1000), java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
    try (ServingJournal j = ServingJournal.open(dir, "r1", 1000, 3)) {
      assertThat(linesOf(ServingJournal.rotatedFile(current, 1))).containsExactly("x".repeat(1000));
      assertThat(linesOf(current).get(0)).startsWith("rotated ");
      assertThat(linesOf(current).get(1)).startsWith("start pid=");
    }
  }

  @Test
  void aFailedRotationKeepsRecordingInTheCurrentFileAndRetriesLater() throws Exception {
    Path current = dir.resolve(ServingJournal.FILE_NAME);
    // The oldest slot is a non-empty directory: deleting it, and so the rotation, fails.
    Path blocker = Files.createDirectories(ServingJournal.rotatedFile(current, 2));
    Files.writeString(blocker.resolve("keep"), "x");
    try (ServingJournal j = ServingJournal.open(dir, "r1", 1000, 2)) {
      for (int i = 0; i < 20; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end(); // no act refused
      assertThat(Files.size(current)).as("still growing in place").isGreaterThan(3000);
      assertThat(ServingJournal.rotatedFile(current, 1)).doesNotExist();
      Files.delete(blocker.resolve("keep"));
      Files.delete(blocker);
      for (int i = 0; i < 3; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end();
      assertThat(ServingJournal.rotatedFile(current, 1)).as("rotated once possible again").exists();
      assertThat(linesOf(current).get(0)).startsWith("rotated ");
    }
  }

  @Test
  void aRotationWithNoFileAtThePathOpensANewOneWithoutShiftingTheOlderFiles() throws Exception {
    Path current = dir.resolve(ServingJournal.FILE_NAME);
    try (ServingJournal j = ServingJournal.open(dir, "r1", 1000, 3)) {
      Files.writeString(ServingJournal.rotatedFile(current, 1), "older\n");
      Files.delete(current); // as after a rename whose new file could not be opened (or removed by hand)
      for (int i = 0; i < 8; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end();
      assertThat(current).as("a new file at the path").exists();
      assertThat(linesOf(current).get(0)).startsWith("rotated ");
      assertThat(linesOf(ServingJournal.rotatedFile(current, 1))).as("not shifted").containsExactly("older");
      assertThat(ServingJournal.rotatedFile(current, 2)).doesNotExist();
    }
  }

  @Test
  void badRotationSettingsAreRefused() {
    assertThatThrownBy(() -> ServingJournal.open(dir, "r1", 0, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive size");
    assertThatThrownBy(() -> ServingJournal.open(dir, "r1", 1000, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one kept file");
  }

  /** Cost with rotation every 64 KiB (about 380 acts per file): printed, bounded loosely like the above. */
  @Test
  void rotationKeepsAnActInMicroseconds() throws Exception {
    try (ServingJournal j = ServingJournal.open(dir, "r1", 64 << 10, 3)) {
      for (int i = 0; i < 2_000; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end(); // warm-up
      int n = 20_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) j.begin(ServingJournal.Kind.COMMIT, 1).end();
      double micros = (System.nanoTime() - t0) / 1000.0 / n;
      System.out.printf("serving journal with 64 KiB rotation: %.1f us per act (begin + end)%n", micros);
      assertThat(micros).as("microseconds per act").isLessThan(500);
      assertThat(ServingJournal.rotatedFile(dir.resolve(ServingJournal.FILE_NAME), 3)).exists();
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
