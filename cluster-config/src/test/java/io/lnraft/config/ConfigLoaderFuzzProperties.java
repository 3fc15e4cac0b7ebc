package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzes the config loader with random and mutated HOCON: wrong types, missing keys, out-of-range
 * numbers and junk. Whatever the text, the loader returns a valid config or throws its own
 * {@link ConfigException} (never an NPE, ClassCastException, ArithmeticException or a raw
 * Typesafe exception), and when one key was given a bad value or was removed, the error names
 * that key.
 */
class ConfigLoaderFuzzProperties {
  private static Path dir;
  /** Every key of the valid file, with every default written out (ConfigLoader.render). */
  private static String fullValid;
  private static List<String> leafKeys;

  @BeforeContainer
  static void setUp() throws IOException {
    dir = Files.createTempDirectory("lnraft-config-fuzz");
    Fixtures.writeSecrets(dir);
    fullValid = ConfigLoader.render(ConfigLoader.loadString(Fixtures.validHocon(), dir), dir);
    leafKeys = new ArrayList<>(ConfigFactory.parseString(fullValid).entrySet().stream().map(Map.Entry::getKey)
        .sorted().toList());
  }

  @AfterContainer
  static void tearDown() throws IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  /** Loads {@code hocon}: the config, or the loader's own error; any other throwable fails the property. */
  private static Optional<ConfigException> load(String hocon) {
    try {
      ReplicaConfig c = ConfigLoader.loadString(hocon, dir);
      assertThat(c).isNotNull();
      return Optional.empty();
    } catch (ConfigException e) {
      assertThat(e.problems()).as("a rejection lists its problems").isNotEmpty();
      for (String p : e.problems()) assertThat(p).as("every problem is worded").isNotBlank();
      return Optional.of(e);
    }
  }

  @Property(tries = 300)
  void junkTextGivesTheLoadersOwnError(@ForAll("junk") String hocon) {
    Statistics.collect(load(hocon).isPresent() ? "rejected" : "loaded");
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
  void aBadValueIsReportedUnderItsKey(@ForAll("keys") String key, @ForAll("values") String value) {
    String hocon = fullValid + "\n" + key + " = " + value + "\n";
    Optional<ConfigException> e = load(hocon);
    Statistics.collect(e.isPresent() ? "rejected" : "loaded");
    if (e.isPresent() && !value.contains("${")) {
      // An unresolvable substitution is reported by Typesafe with the line, not our key name.
      assertThat(e.get().getMessage()).as("the error for %s = %s", key, value).containsAnyOf(key, block(key));
    }
  }

  /**
   * The block holding {@code key}: a key set inside an optional block that is otherwise absent
   * (raft.tls, bitcoind) may leave the key valid and its siblings missing, which the error names.
   */
  private static String block(String key) {
    String parent = key.substring(0, key.lastIndexOf('.'));
    return parent.equals("lnraft.raft.tls") || parent.equals("lnraft.bitcoind") || parent.equals("lnraft.api.tls")
        ? parent : key;
  }

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void aWrongValueInsideTheMinimalFileIsReportedToo(@ForAll("keys") String key, @ForAll("values") String value) {
    // Same against the minimal file, where optional sections come from reference.conf only.
    Optional<ConfigException> e = load(Fixtures.validHocon(key + " = " + value));
    if (e.isPresent() && !value.contains("${")) assertThat(e.get().getMessage()).containsAnyOf(key, block(key));
  }

  @Property(tries = 100)
  void aMissingRequiredKeyIsNamed(@ForAll("requiredKeys") String key) {
    Map<String, String> entries = Fixtures.validEntries();
    entries.remove(key);
    Optional<ConfigException> e = load(Fixtures.hocon(entries));
    assertThat(e).isPresent();
    assertThat(e.get().getMessage()).contains("lnraft." + key + ": missing");
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void mutatedTextGivesTheLoadersOwnError(@ForAll("mutatedText") String hocon) {
    Statistics.collect(load(hocon).isPresent() ? "rejected" : "loaded");
  }

  // ---- generators -------------------------------------------------------------------------------

  @Provide
  Arbitrary<String> keys() {
    List<String> k = new ArrayList<>(leafKeys);
    // Whole sections and optional blocks too.
    k.addAll(List.of("lnraft.raft", "lnraft.snapshot", "lnraft.node", "lnraft.bitcoind", "lnraft.raft.tls",
        "lnraft.raft.tls.ca-file", "lnraft.bitcoind.rpc-url", "lnraft.bitcoind.rpc-user",
        "lnraft.bitcoind.rpc-cookie-file", "lnraft.bitcoind.rpc-password-file", "lnraft.api", "lnraft.api.tls",
        "lnraft.api.tls.cert-file", "lnraft.api.tls.key-file", "lnraft.api.tls.ca-file"));
    return Arbitraries.of(k);
  }

  @Provide
  Arbitrary<String> requiredKeys() {
    return Arbitraries.of(Fixtures.validEntries().keySet());
  }

  /** HOCON values of every type, at the edges of every range, and malformed ones. */
  @Provide
  Arbitrary<String> values() {
    Arbitrary<String> fixed = Arbitraries.of(
        "null", "true", "off", "0", "-1", "1", "2", "3", "65535", "65536", "2147483647", "2147483648",
        "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e400", "-1e400", "NaN",
        "0.0", "1.0", "0.5", "1.5", "\"\"", "\" \"", "\"\\u0000\"", "[]", "[1, 2]", "[{}]", "[{ id = 1 }]", "{}",
        "{ x = 1 }", "{ ca-file = 1 }", "{ ca-file = {} }", "5s", "0s", "-5s", "1ns", "9999999999999999d",
        "106751d", "106752d", "1 fortnight", "8MiB", "0B", "-1B", "64KiB", "16MiB", "17MiB", "1 ZiB",
        "9223372036854775807 TiB", "1.5KiB", "\"127.0.0.1:0\"", "\"127.0.0.1:99999\"", "\"[::1]:9861\"",
        "\"::1:9861\"", "\"host\"", "\"http://\"", "\"http://127.0.0.1:18443\"", "\"ftp://x\"", "\"%zz\"",
        "\"/dev/null\"", "\"/\"", "\".\"", "\"a\\u0000b\"", "\"" + "x".repeat(300) + "\"", "regtest", "grpc", "netty",
        "\"r1\"", "\"r9\"", "${undefined}", "${?undefined}", "${lnraft.raft}", "${lnraft}");
    Arbitrary<String> numbers = Arbitraries.oneOf(Arbitraries.longs().map(n -> Long.toString(n)),
        Arbitraries.doubles().map(d -> Double.toString(d)));
    Arbitrary<String> units = Combinators.combine(Arbitraries.longs().between(-5, Long.MAX_VALUE),
        Arbitraries.of("ns", "us", "ms", "s", "m", "h", "d", "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kB", "x"))
        .as((n, u) -> n + u);
    Arbitrary<String> strings = Arbitraries.strings().ofMaxLength(40).map(s -> ConfigFactory.parseMap(Map.of("v", s))
        .root().get("v").render(com.typesafe.config.ConfigRenderOptions.concise()));
    return Arbitraries.oneOf(fixed, fixed, numbers, units, strings);
  }

  @Provide
  Arbitrary<String> junk() {
    Arbitrary<String> tokens = Arbitraries.of("{", "}", "[", "]", "=", ":", ",", "\n", " ", "\"", "${", "}", "lnraft",
        "raft", "lnraft.raft", "node", "replicas", "include", "\"file:///etc/hostname\"", "#", "//", "+=", "null",
        "1", "-", ".", "\"\"\"", "\\", "\t", "x", "data-dir", "seed-file", "max-entry-bytes", "5s", "\u0000")
        .list().ofMaxSize(40).map(l -> String.join("", l));
    return Arbitraries.oneOf(tokens, Arbitraries.strings().ofMaxLength(200),
        tokens.map(t -> "lnraft { " + t + " }"), tokens.map(t -> "lnraft { raft { " + t + " } }"));
  }

  @Provide
  Arbitrary<String> mutatedText() {
    return Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.integers().between(0, 3),
        Arbitraries.strings().ofMinLength(1).ofMaxLength(8).withChars("{}[]=:,\"$\n #.x0"))
        .as((where, kind, junk) -> {
          String s = fullValid;
          int at = where % (s.length() + 1);
          return switch (kind) {
            case 0 -> s.substring(0, at); // truncated
            case 1 -> s.substring(0, at) + junk + s.substring(at); // inserted
            case 2 -> s.substring(0, at) + s.substring(Math.min(s.length(), at + junk.length())); // deleted
            default -> s.substring(0, at) + junk + s.substring(Math.min(s.length(), at + junk.length())); // replaced
          };
        });
  }
}
