package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** The renderer writes durations and sizes that Typesafe Config reads back exactly. */
class HoconValueProperties {
  @Property
  void durationsRoundTrip(@ForAll @LongRange(min = 0, max = 1_000_000_000_000_000L) long nanos) {
    Duration d = Duration.ofNanos(nanos);
    assertThat(ConfigFactory.parseString("d = " + ConfigLoader.duration(d)).getDuration("d")).isEqualTo(d);
  }

  @Property
  void wholeMillisecondsAreWrittenAsMillisecondsOrSeconds(@ForAll @LongRange(min = 1, max = 10_000_000) long ms) {
    String text = ConfigLoader.duration(Duration.ofMillis(ms));
    assertThat(text).matches(ms % 1000 == 0 ? "\\d+s" : "\\d+ms");
  }

  @Property
  void sizesRoundTrip(@ForAll @LongRange(min = 0, max = 1L << 40) long bytes) {
    assertThat(ConfigFactory.parseString("b = " + ConfigLoader.bytes(bytes)).getMemorySize("b").toBytes())
        .isEqualTo(bytes);
  }
}
