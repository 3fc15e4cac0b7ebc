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
}
