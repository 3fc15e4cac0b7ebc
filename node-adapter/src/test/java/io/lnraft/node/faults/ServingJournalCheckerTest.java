package io.lnraft.node.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlap checker on hand-written journals: what it must catch and what Raft's log order allows. */
class ServingJournalCheckerTest {
  @TempDir Path dir;

  private Map<String, Path> journals(String r1, String r2) throws Exception {
    return Map.of("r1", Files.writeString(dir.resolve("r1"), r1), "r2", Files.writeString(dir.resolve("r2"), r2));
  }

  @Test
  void disjointActsPass() throws Exception {
    var r = ServingJournalChecker.check(journals("""
        start pid=1 mono=0 wall=x
        begin act=1 kind=commit epoch=1 mono=10 wall=x
        end act=1 epoch=1 mono=20 wall=x
        begin act=2 kind=release epoch=1 mono=21 wall=x
        end act=2 epoch=1 mono=30 wall=x
        """, """
        start pid=2 mono=0 wall=x
        begin act=1 kind=commit epoch=0 mono=31 wall=x
        end act=1 epoch=2 mono=40 wall=x
        """));
    assertThat(r.ok()).as(r.overlaps().toString()).isTrue();
    assertThat(r.intervals()).hasSize(3);
    assertThat(r.intervals().get(2).epoch()).as("AcquireEpoch's epoch comes from its end record").isEqualTo(2);
  }

  @Test
  void aReleaseOverlappingAnotherReplicasActFailsNamingBoth() throws Exception {
    var r = ServingJournalChecker.check(journals("""
        start pid=1 mono=0 wall=x
        begin act=5 kind=release epoch=1 mono=10 wall=x
        end act=5 epoch=1 mono=50 wall=x
        """, """
        start pid=2 mono=0 wall=x
        begin act=1 kind=commit epoch=0 mono=40 wall=x
        end act=1 epoch=2 mono=60 wall=x
        """));
    assertThat(r.ok()).isFalse();
    assertThat(r.overlaps().get(0).toString()).contains("r1 act 5").contains("release").contains("r2 act 1");
  }

  @Test
  void anOpenActLastsUntilTheProcessDiedOrTheNextStart() throws Exception {
    String r1 = """
        start pid=1 mono=0 wall=x
        begin act=1 kind=release epoch=1 mono=10 wall=x
        died mono=20 wall=x
        start pid=3 mono=100 wall=x
        """;
    String r2 = """
        start pid=2 mono=0 wall=x
        begin act=1 kind=commit epoch=0 mono=30 wall=x
        end act=1 epoch=2 mono=40 wall=x
        """;
    assertThat(ServingJournalChecker.check(journals(r1, r2)).ok()).isTrue();
    // Without the harness's died record the open act is bounded by the next start only: overlap.
    var r = ServingJournalChecker.check(journals(r1.replace("died mono=20 wall=x\n", ""), r2));
    assertThat(r.ok()).isFalse();
    // With nothing after it, it never ends.
    r = ServingJournalChecker.check(journals("""
        begin act=1 kind=release epoch=1 mono=10 wall=x
        """, r2));
    assertThat(r.ok()).isFalse();
    assertThat(r.unboundedActs()).isEqualTo(1);
  }

  @Test
  void anOldEpochsCommitStillInFlightIsOrderedByTheLogNotAFailure() throws Exception {
    // r1 was paused with a commit in flight; r2 took epoch 2 and released bytes meanwhile.
    var r = ServingJournalChecker.check(journals("""
        start pid=1 mono=0 wall=x
        begin act=9 kind=commit epoch=1 mono=10 wall=x
        end act=9 epoch=1 mono=500 wall=x
        """, """
        start pid=2 mono=0 wall=x
        begin act=1 kind=commit epoch=0 mono=200 wall=x
        end act=1 epoch=2 mono=210 wall=x
        begin act=2 kind=release epoch=2 mono=220 wall=x
        end act=2 epoch=2 mono=230 wall=x
        """));
    assertThat(r.ok()).as(r.overlaps().toString()).isTrue();
    assertThat(r.orderedByLog()).isEqualTo(2);
    // The same overlap the other way round (the newer epoch's commit in flight over an older release) fails.
    r = ServingJournalChecker.check(journals("""
        begin act=9 kind=release epoch=1 mono=10 wall=x
        end act=9 epoch=1 mono=500 wall=x
        """, """
        begin act=1 kind=commit epoch=2 mono=200 wall=x
        end act=1 epoch=2 mono=210 wall=x
        """));
    assertThat(r.ok()).isFalse();
  }

  /** Writes a journal of {@code replica} as files in its own directory: {@code files[0]} is the current file, then .1, .2 ... */
  private Path rotatedJournal(String replica, String... files) throws Exception {
    Path d = Files.createDirectories(dir.resolve(replica + "-data"));
    Path current = d.resolve("serving-journal");
    for (int k = 0; k < files.length; k++) {
      if (files[k] != null) Files.writeString(k == 0 ? current : d.resolve("serving-journal." + k), files[k]);
    }
    return current;
  }

  @Test
  void rotatedFilesAreReadOldestFirstAndAnActSpanningThemIsOneInterval() throws Exception {
    // r1's act 2 (a release) begins in .2, is restated at the top of .1 and of the current file, ends there.
    Path r1 = rotatedJournal("r1", """
        rotated pid=1 mono=60 wall=x replica=r1 previous=serving-journal.1
        begin act=2 kind=release epoch=1 mono=20 wall=x restated=yes
        end act=2 epoch=1 mono=70 wall=x
        """, """
        rotated pid=1 mono=40 wall=x replica=r1 previous=serving-journal.1
        begin act=2 kind=release epoch=1 mono=20 wall=x restated=yes
        begin act=3 kind=commit epoch=1 mono=45 wall=x
        end act=3 epoch=1 mono=50 wall=x
        """, """
        start pid=1 mono=0 wall=x replica=r1
        begin act=1 kind=commit epoch=1 mono=10 wall=x
        end act=1 epoch=1 mono=15 wall=x
        begin act=2 kind=release epoch=1 mono=20 wall=x
        """);
    assertThat(ServingJournalChecker.filesOldestFirst(r1)).extracting(p -> p.getFileName().toString())
        .containsExactly("serving-journal.2", "serving-journal.1", "serving-journal");
    Path r2 = rotatedJournal("r2", """
        start pid=2 mono=0 wall=x replica=r2
        begin act=1 kind=commit epoch=0 mono=80 wall=x
        end act=1 epoch=2 mono=90 wall=x
        """);
    var r = ServingJournalChecker.check(Map.of("r1", r1, "r2", r2));
    assertThat(r.ok()).as(r.overlaps().toString()).isTrue();
    assertThat(r.intervals()).hasSize(4);
    var act2 = r.intervals().stream().filter(i -> i.replica().equals("r1") && i.act() == 2).toList();
    assertThat(act2).hasSize(1);
    assertThat(act2.get(0).begin()).as("the first begin, not a restatement").isEqualTo(20);
    assertThat(act2.get(0).end()).isEqualTo(70);
    assertThat(act2.get(0).endedBy()).as("a rotation ends nothing").isEqualTo("end");

    // The same r1 against an r2 acting while act 2 was in flight (mono 65, in r1's current file's span): caught.
    Path r2Overlapping = rotatedJournal("r2b", """
        start pid=2 mono=0 wall=x replica=r2
        begin act=1 kind=commit epoch=0 mono=30 wall=x
        end act=1 epoch=2 mono=65 wall=x
        """);
    r = ServingJournalChecker.check(Map.of("r1", r1, "r2", r2Overlapping));
    assertThat(r.ok()).isFalse();
    assertThat(r.overlaps()).singleElement().asString().contains("r1 act 2").contains("release").contains("r2 act 1");
  }

  @Test
  void rotatedFilesSortByNumberAndTheOldestMayBeGone() throws Exception {
    // Kept: .10 (oldest), .2, .1 and the current file; .3 to .9 were deleted (or never written).
    String[] files = new String[11];
    files[0] = "begin act=5 kind=commit epoch=3 mono=500 wall=x\nend act=5 epoch=3 mono=510 wall=x\n";
    files[1] = "rotated pid=1 mono=400 wall=x\nbegin act=4 kind=release epoch=3 mono=390 wall=x restated=yes\n"
        + "end act=4 epoch=3 mono=420 wall=x\n";
    files[2] = "rotated pid=1 mono=300 wall=x\nbegin act=3 kind=commit epoch=3 mono=310 wall=x\n"
        + "end act=3 epoch=3 mono=320 wall=x\nbegin act=4 kind=release epoch=3 mono=390 wall=x\n";
    // The oldest kept file starts mid-history: its in-flight act is restated, so its end finds a begin.
    files[10] = "rotated pid=1 mono=100 wall=x\nbegin act=1 kind=commit epoch=0 mono=50 wall=x restated=yes\n"
        + "end act=1 epoch=3 mono=110 wall=x\n";
    Path r1 = rotatedJournal("r1", files);
    Files.writeString(r1.resolveSibling("serving-journal.old"), "not a journal file\n"); // ignored
    assertThat(ServingJournalChecker.filesOldestFirst(r1)).extracting(p -> p.getFileName().toString())
        .containsExactly("serving-journal.10", "serving-journal.2", "serving-journal.1", "serving-journal");
    var r = ServingJournalChecker.check(Map.of("r1", r1));
    assertThat(r.ok()).isTrue();
    assertThat(r.intervals()).extracting(ServingJournalChecker.Interval::act).containsExactlyInAnyOrder(1L, 3L, 4L, 5L);
    assertThat(r.intervals().stream().filter(i -> i.act() == 1).findFirst().orElseThrow().epoch())
        .as("epoch from the end record").isEqualTo(3);
    assertThat(r.unboundedActs()).isZero();
  }

  @Test
  void journalsWrittenByTheRotatingServingJournalPassAndShowTheirOverlaps() throws Exception {
    // r1's journal, rotated every 600 bytes while act 1 stays open across several files.
    Path d1 = Files.createDirectories(dir.resolve("real-r1"));
    try (var j = io.lnraft.node.gate.ServingJournal.open(d1, "r1", 600, 50)) {
      var open = j.begin(io.lnraft.node.gate.ServingJournal.Kind.COMMIT, 0);
      for (int i = 0; i < 20; i++) j.begin(io.lnraft.node.gate.ServingJournal.Kind.RELEASE, 1).end();
      open.endAs(1);
    }
    Path r1 = d1.resolve(io.lnraft.node.gate.ServingJournal.FILE_NAME);
    assertThat(ServingJournalChecker.filesOldestFirst(r1).size()).as("rotated several times").isGreaterThan(3);
    Path d2 = Files.createDirectories(dir.resolve("real-r2"));
    try (var j = io.lnraft.node.gate.ServingJournal.open(d2, "r2", 600, 50)) {
      j.begin(io.lnraft.node.gate.ServingJournal.Kind.COMMIT, 0).endAs(2);
    }
    var r = ServingJournalChecker.check(Map.of("r1", r1, "r2", d2.resolve(io.lnraft.node.gate.ServingJournal.FILE_NAME)));
    assertThat(r.ok()).as(r.overlaps().toString()).isTrue();
    assertThat(r.intervals()).hasSize(22);
    assertThat(r.unboundedActs()).isZero();
    var act1 = r.intervals().stream().filter(i -> i.replica().equals("r1") && i.act() == 1).findFirst().orElseThrow();
    var lastRelease = r.intervals().stream().filter(i -> i.replica().equals("r1") && i.act() == 21).findFirst().orElseThrow();
    assertThat(act1.begin()).isLessThan(lastRelease.begin());
    assertThat(act1.end()).as("act 1 spans every file").isGreaterThan(lastRelease.end());
    assertThat(act1.epoch()).isEqualTo(1);
  }
}
