package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.AlphaChars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {
  @Test
  void parsesHostnamesIpv4AndBracketedIpv6() {
    assertThat(HostPort.parse("10.0.0.1:9861")).isEqualTo(new HostPort("10.0.0.1", 9861));
    assertThat(HostPort.parse(" node-a.example:1 ")).isEqualTo(new HostPort("node-a.example", 1));
    assertThat(HostPort.parse("[::1]:9735")).isEqualTo(new HostPort("::1", 9735));
    assertThat(new HostPort("::1", 9735)).hasToString("[::1]:9735");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "localhost        | is not host:port",
    ":9861            | is not host:port",
    "10.0.0.1:        | is not host:port",
    "10.0.0.1:http    | has no numeric port",
    "10.0.0.1:0       | outside 1..65535",
    "10.0.0.1:65536   | outside 1..65535",
    "' :80'           | is not host:port",
  })
  void rejectsMalformedAddresses(String text, String message) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Property
  void toStringParsesBack(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String host,
      @ForAll @IntRange(min = 1, max = 65535) int port) {
    HostPort hp = new HostPort(host, port);
    assertThat(HostPort.parse(hp.toString())).isEqualTo(hp);
  }

  @Property
  void ipv6ToStringParsesBack(@ForAll @IntRange(min = 0, max = 0xffff) int group,
      @ForAll @IntRange(min = 1, max = 65535) int port) {
    HostPort hp = new HostPort("fe80::" + Integer.toHexString(group), port);
    assertThat(HostPort.parse(hp.toString())).isEqualTo(hp);
  }
}
