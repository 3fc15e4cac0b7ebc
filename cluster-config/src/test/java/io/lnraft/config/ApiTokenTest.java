package io.lnraft.config;

import static io.lnraft.config.Fixtures.chmod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokenTest {
  private static final String TOKEN = "Zq8-t0ken_with.punct!~";

  @TempDir Path dir;

  private Path ownerOnly(String content) throws IOException {
    Path p = dir.resolve("api-token");
    OwnerOnlyFiles.write(p, content.getBytes(StandardCharsets.UTF_8));
    return p;
  }

  private String refusal(Path p) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ApiToken.read(p));
    assertThat(e).as("expected %s to be refused", p).isNotNull();
    return e.getMessage();
  }

  @Test
  void readsTheTokenStrippedOfSurroundingWhitespace() throws IOException {
    assertThat(ApiToken.read(ownerOnly("\n  " + TOKEN + "\r\n\n"))).isEqualTo(TOKEN);
    assertThat(ApiToken.read(ownerOnly("0123456789abcdef"))).as("16 characters suffice").isEqualTo("0123456789abcdef");
  }

  @Test
  void readsATokenWrittenByInitCluster() throws IOException {
    LocalClusterLayout layout = LocalClusterLayout.generate(dir.resolve("c"), 3);
    assertThat(ApiToken.read(layout.apiTokenFile())).matches("[0-9a-f]{64}");
  }

  @Test
  void groupReadableFileIsRefusedWithChmodHintAndWithoutTheToken() throws IOException {
    Path p = ownerOnly(TOKEN);
    chmod(p, "rw-r-----");
    assertThat(refusal(p)).contains("mode 0640", "chmod 600 " + p).doesNotContain(TOKEN);
  }

  @Test
  void shortEmptyOrNonPrintableTokensAreRefusedWithoutQuotingThem() throws IOException {
    assertThat(refusal(ownerOnly("abcdefghijklmno\n"))).contains("15 characters, fewer than 16")
        .doesNotContain("abcdefghijklmno");
    assertThat(refusal(ownerOnly(" \n\t"))).contains("empty");
    assertThat(refusal(ownerOnly("secretsecret secretsecret"))).contains("character 13", "not printable ASCII")
        .doesNotContain("secretsecret");
    assertThat(refusal(ownerOnly("secretsecretsecré"))).contains("character 17").doesNotContain("secretsecret");
    assertThat(refusal(ownerOnly("secretsecret\u0001secretsecret"))).contains("character 13");
  }

  @Test
  void missingFileIsRefused() {
    assertThat(refusal(dir.resolve("none"))).contains("does not exist");
  }
}
