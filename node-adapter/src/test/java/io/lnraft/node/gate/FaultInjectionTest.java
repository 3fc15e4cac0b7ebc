package io.lnraft.node.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.node.gate.FaultInjection.CrashSpec;
import io.lnraft.node.gate.FaultInjection.Point;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {
  @Test
  void offUnlessThePropertyIsSet() {
    // Surefire does not set lnraft.fault.crash: the hook is disarmed in every other test.
    assertThat(FaultInjection.ARMED).isFalse();
    assertThat(FaultInjection.armed()).isEmpty();
    assertThat(FaultInjection.specFrom(null)).isEmpty();
    assertThat(FaultInjection.specFrom(" ")).isEmpty();
  }

  @Test
  void parsesEveryPointAndRoundTrips() {
    assertThat(FaultInjection.specFrom("after-commit-before-release:7")).contains(new CrashSpec(Point.AFTER_COMMIT_BEFORE_RELEASE, 7));
    assertThat(CrashSpec.parse("before-commit:1")).isEqualTo(new CrashSpec(Point.BEFORE_COMMIT, 1));
    assertThat(CrashSpec.parse("AFTER-RELEASE: 12")).isEqualTo(new CrashSpec(Point.AFTER_RELEASE, 12));
    for (Point p : Point.values()) {
      CrashSpec s = new CrashSpec(p, 3);
      assertThat(CrashSpec.parse(s.value())).isEqualTo(s);
    }
  }

  @Test
  void malformedValuesAreRefusedNotIgnored() {
    assertThatThrownBy(() -> CrashSpec.parse("after-commit")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("<point>:<cycle>");
    assertThatThrownBy(() -> CrashSpec.parse("mid-commit:3")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown crash point");
    assertThatThrownBy(() -> CrashSpec.parse("before-commit:x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a cycle number");
    assertThatThrownBy(() -> CrashSpec.parse("before-commit:0")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("starts at 1");
  }

  @Test
  void anUnarmedHookNeverFires() {
    // reached() returns for every point and cycle when nothing is armed (the process is still alive).
    for (Point p : Point.values()) FaultInjection.reached(p, 1);
  }
}
