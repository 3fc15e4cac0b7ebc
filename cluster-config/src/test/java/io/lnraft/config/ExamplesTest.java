package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The operator examples must not drift from the keys and rules of the loader. */
class ExamplesTest {
  private static final Path THREE_MACHINES = Path.of("examples/three-machines/r1.conf");

  @Test
  void threeMachineExampleFailsOnlyOnFilesAbsentFromThisMachine() {
    assertThat(THREE_MACHINES).exists();
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(
        ConfigFactory.parseFile(THREE_MACHINES.toFile()), THREE_MACHINES.toString(), THREE_MACHINES.getParent()));
    if (e == null) return; // every file it names exists here: fully valid
    // No typo, no bad value, no group error: only the seed/token (and maybe data-dir) of the target machine.
    assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p)
        .matches("lnraft\\.(seed-file|api-token-file|data-dir): .*"));
  }

  @Test
  void threeMachineExampleDescribesAGroupOfThreeDistinctHosts() throws Exception {
    var c = ConfigFactory.parseFile(THREE_MACHINES.toFile());
    assertThat(c.getConfigList("lnraft.replicas")).hasSize(3);
    assertThat(c.getString("lnraft.replica-id")).isEqualTo("r1");
    assertThat(c.getDuration("lnraft.raft.election-timeout-min")).isEqualTo(Duration.ofMillis(300));
    assertThat(Files.readString(THREE_MACHINES)).contains("10.0.0.1", "10.0.0.2", "10.0.0.3", "chmod 600");
    // Each replica uses the bitcoind on its own machine, authenticated by the cookie file.
    assertThat(c.getString("lnraft.bitcoind.rpc-url")).startsWith("http://127.0.0.1:");
    assertThat(c.hasPath("lnraft.bitcoind.rpc-cookie-file")).isTrue();
    assertThat(c.hasPath("lnraft.bitcoind.rpc-user")).isFalse();
  }
}
