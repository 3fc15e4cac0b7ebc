package io.lnraft.config;

import static io.lnraft.config.Fixtures.chmod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.bitcoinj.crypto.MnemonicCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedFileTest {
  private static final String ABANDON_ABOUT = String.join(" ", Collections.nCopies(11, "abandon")) + " about";

  @TempDir Path dir;

  private Path ownerOnly(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    OwnerOnlyFiles.write(p, content.getBytes());
    return p;
  }

  @Test
  void createdSeedIsA24WordMnemonicInAnOwnerOnlyFile() throws IOException {
    Path p = dir.resolve("seed.txt");
    SeedFile.create(p, new SecureRandom());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
    List<String> words = SeedFile.readMnemonic(p);
    assertThat(words).hasSize(24);
    assertThat(MnemonicCode.INSTANCE.getWordList()).containsAll(words);
    assertThat(Files.readString(p)).isEqualTo(String.join(" ", words) + "\n");
    byte[] seed = SeedFile.read(p);
    assertThat(seed).hasSize(SeedFile.SEED_BYTES).isEqualTo(MnemonicCode.toSeed(words, ""));
  }

  @Test
  void twoCreatedSeedsDiffer() throws IOException {
    SeedFile.create(dir.resolve("a"), new SecureRandom());
    SeedFile.create(dir.resolve("b"), new SecureRandom());
    assertThat(SeedFile.readMnemonic(dir.resolve("a"))).isNotEqualTo(SeedFile.readMnemonic(dir.resolve("b")));
  }

  @Test
  void readsTheBip39SeedOfAKnownVector() throws IOException {
    Path p = ownerOnly("seed.txt", ABANDON_ABOUT + "\n");
    assertThat(HexFormat.of().formatHex(SeedFile.read(p))).isEqualTo(
        "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1"
            + "9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4");
  }

  @Test
  void wordsMaySpanLinesWithCommentsAndCapitals() throws IOException {
    Path p = ownerOnly("seed.txt", "# backup of 2024-01-01\n\n  ABANDON abandon abandon abandon\n"
        + "abandon abandon\tabandon abandon\r\nabandon abandon abandon about  \n");
    assertThat(SeedFile.readMnemonic(p)).isEqualTo(List.of(ABANDON_ABOUT.split(" ")));
  }

  @Test
  void worldReadableSeedIsRefusedWithChmodHint() throws IOException {
    Path p = ownerOnly("seed.txt", ABANDON_ABOUT);
    chmod(p, "rw-r--r--");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> SeedFile.read(p));
    assertThat(e.getMessage()).contains("mode 0644", "chmod 600 " + p).doesNotContain("abandon");
  }

  @Test
  void unknownWordIsReportedByPositionNeverByValue() throws IOException {
    Path p = ownerOnly("seed.txt", ABANDON_ABOUT.replaceFirst("abandon", "xyzzy").replace("about", "plugh"));
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> SeedFile.read(p));
    assertThat(e.getMessage()).contains("words 1 and 12 of 12 are not in the BIP39 English word list")
        .doesNotContain("xyzzy", "plugh", "abandon");
  }

  @Test
  void badChecksumIsReported() throws IOException {
    Path p = ownerOnly("seed.txt", String.join(" ", Collections.nCopies(12, "abandon")));
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> SeedFile.read(p));
    assertThat(e.getMessage()).contains("checksum does not match").doesNotContain("abandon");
  }

  @Test
  void wrongWordCountIsReported() throws IOException {
    Path p = ownerOnly("seed.txt", ABANDON_ABOUT + " abandon");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> SeedFile.read(p));
    assertThat(e.getMessage()).contains("holds 13 words", "12, 15, 18, 21 or 24").doesNotContain("abandon");
  }

  @Test
  void missingSeedFileIsReported() {
    Path p = dir.resolve("none.txt");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> SeedFile.readMnemonic(p));
    assertThat(e.getMessage()).contains(p.toString(), "does not exist");
  }
}
