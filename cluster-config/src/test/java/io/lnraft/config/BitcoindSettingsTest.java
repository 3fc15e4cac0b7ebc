package io.lnraft.config;

import static io.lnraft.config.Fixtures.chmod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BitcoindSettingsTest {
  private static final URI URL = URI.create("http://127.0.0.1:18443");

  @TempDir Path dir;

  @Test
  void exactlyOneAuthModeIsEnforcedByTheRecord() {
    Path f = Path.of("f");
    assertThatThrownBy(() -> new BitcoindSettings(URL, Optional.empty(), Optional.empty(), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
    assertThatThrownBy(() -> new BitcoindSettings(URL, Optional.of(f), Optional.of("u"), Optional.of(f)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
    assertThatThrownBy(() -> new BitcoindSettings(URL, Optional.empty(), Optional.of("u"), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
    assertThatThrownBy(() -> BitcoindSettings.password(URL, "a:b", f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("':'");
  }

  @Test
  void urlRulesAreEnforcedByTheRecordWithoutEchoingCredentials() {
    Path f = Path.of("f");
    assertThatThrownBy(() -> BitcoindSettings.cookie(URI.create("http://u:hunter2@127.0.0.1:18443"), f))
        .hasMessageContaining("holds credentials").hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> BitcoindSettings.cookie(URI.create("http://127.0.0.1"), f)).hasMessageContaining("no port");
    assertThatThrownBy(() -> BitcoindSettings.cookie(URI.create("tcp://127.0.0.1:1"), f)).hasMessageContaining("http");
    assertThat(BitcoindSettings.cookie(URI.create("HTTPS://node:8332/wallet/x"), f).rpcUrl().getPort()).isEqualTo(8332);
  }

  @Test
  void readPasswordChecksTheModeAndNeverRevealsThePassword() throws IOException {
    Path pw = dir.resolve("pw");
    OwnerOnlyFiles.write(pw, "  s3cr3t-pass \n".getBytes());
    BitcoindSettings s = BitcoindSettings.password(URL, "lnraft", pw);
    assertThat(s.readPassword()).isEqualTo("s3cr3t-pass");

    chmod(pw, "rw----r--");
    ConfigException e = catchThrowableOfType(ConfigException.class, s::readPassword);
    assertThat(e.getMessage()).contains("mode 0604", "chmod 600 " + pw).doesNotContain("s3cr3t");

    chmod(pw, "rw-------");
    OwnerOnlyFiles.write(pw, "\n".getBytes());
    assertThatThrownBy(s::readPassword).isInstanceOf(ConfigException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> BitcoindSettings.cookie(URL, pw).readPassword()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void toStringHoldsNoSecret() throws IOException {
    Path pw = dir.resolve("pw");
    OwnerOnlyFiles.write(pw, "s3cr3t-pass".getBytes());
    assertThat(BitcoindSettings.password(URL, "lnraft", pw).toString()).doesNotContain("s3cr3t");
  }
}
