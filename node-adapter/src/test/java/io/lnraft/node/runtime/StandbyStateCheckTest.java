package io.lnraft.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.store.StateSealer;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.junit.jupiter.api.Test;

/**
 * A restarted or lagging standby must not claim a wrong seed (the fault suite's long run showed that
 * WARN after every one of ~100 restarts), while a real wrong seed is reported at the first probe.
 */
class StandbyStateCheckTest {
  private static byte[] seed(int b) {
    byte[] s = new byte[64];
    Arrays.fill(s, (byte) b);
    return s;
  }

  /** What opening the cluster's state with another seed throws, as the probe's future reports it. */
  private static Throwable wrongSeed() {
    byte[] sealed = StateSealer.fromSeed(seed(1)).seal("manager".getBytes(), new byte[] {1});
    Throwable[] caught = new Throwable[1];
    assertThatThrownBy(() -> StateSealer.fromSeed(seed(2)).open(sealed, new byte[] {1}, "the manager"))
        .isInstanceOfSatisfying(StateSealer.SealedDataException.class, e -> caught[0] = e);
    return new ExecutionException(new CompletionException(caught[0]));
  }

  /** What a replica that has not heard from the leader yet answers a stale read (Ratis' own message). */
  private static Throwable notCaughtUp() {
    return new ExecutionException(new CompletionException(
        new StaleReadException("Unable to serve stale-read due to server commit index = -1 < min = 0")));
  }

  @Test
  void aWrongSeedIsReportedAtTheFirstProbeOnceAndItsRepairToo() {
    StandbyStateCheck c = new StandbyStateCheck("r3", 24, 5);
    StandbyStateCheck.Say first = c.failed(wrongSeed()).orElseThrow();
    assertThat(first.warn()).isTrue();
    assertThat(first.message()).contains("replica r3", "cannot open", "check that its seed file is the cluster's");
    assertThat(c.failed(wrongSeed())).as("said once").isEmpty();
    StandbyStateCheck.Say back = c.opened().orElseThrow();
    assertThat(back.warn()).isFalse();
    assertThat(back.message()).contains("opens again");
    assertThat(c.opened()).isEmpty();
  }

  @Test
  void aReplicaCatchingUpIsNotBlamedOnTheSeedAndWarnsOnlyIfItLasts() {
    StandbyStateCheck c = new StandbyStateCheck("r1", 24, 5);
    for (int i = 1; i < 24; i++) assertThat(c.failed(notCaughtUp())).as("probe %d", i).isEmpty();
    StandbyStateCheck.Say warn = c.failed(notCaughtUp()).orElseThrow();
    assertThat(warn.warn()).isTrue();
    assertThat(warn.message()).contains("for 120 s", "behind the group or cut off", "commit index = -1")
        .doesNotContain("seed");
    assertThat(c.failed(notCaughtUp())).as("said once").isEmpty();
    assertThat(c.opened().orElseThrow().message()).contains("opens again");
    // A restart after it caught up: the count starts again, and caught up in time means no line at all.
    for (int i = 1; i < 24; i++) assertThat(c.failed(notCaughtUp())).isEmpty();
    assertThat(c.opened()).isEmpty();
    for (int i = 1; i < 24; i++) assertThat(c.failed(notCaughtUp())).isEmpty();
  }
}
