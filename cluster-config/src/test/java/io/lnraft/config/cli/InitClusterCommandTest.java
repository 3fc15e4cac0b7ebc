package io.lnraft.config.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.BitcoindSettings;
import io.lnraft.config.ConfigLoader;
import io.lnraft.config.HostPort;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.config.RpcType;
import io.lnraft.config.SeedFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class InitClusterCommandTest {
  @TempDir Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new InitClusterCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void writesThreeConfigsWithDistinctPortsAndOwnerOnlySecrets() throws IOException {
    Path dir = tmp.resolve("cluster");

    int code = run("--replicas", "3", "--dir", dir.toString(), "--cluster-id", "itest", "--rpc-type", "netty");

    assertThat(code).as("stderr: %s", err).isZero();
    Set<Integer> ports = new HashSet<>();
    for (int i = 1; i <= 3; i++) {
      ReplicaConfig c = ConfigLoader.load(dir.resolve("r" + i + ".conf"));
      assertThat(c.replicaId()).isEqualTo("r" + i);
      assertThat(c.clusterId()).isEqualTo("itest");
      assertThat(c.network()).isEqualTo("regtest");
      assertThat(c.raft().rpcType()).isEqualTo(RpcType.NETTY);
      assertThat(c.dataDir()).isEqualTo(dir.resolve("r" + i + "-data"));
      ReplicaEndpoint self = c.self();
      for (HostPort hp : List.of(self.raft(), self.peer(), self.api())) {
        assertThat(hp.host()).isEqualTo("127.0.0.1");
        assertThat(ports.add(hp.port())).as("port %s used twice", hp.port()).isTrue();
        assertThat(out.toString()).contains(hp.toString());
      }
    }
    assertThat(ports).hasSize(9);
    assertThat(mode(dir.resolve("seed.txt"))).isEqualTo("rw-------");
    assertThat(mode(dir.resolve("api-token"))).isEqualTo("rw-------");
    assertThat(out.toString()).contains(dir.resolve("r1.conf").toString(), dir.resolve("seed.txt").toString());

    // Neither the mnemonic nor the token ever reaches the terminal.
    String printed = out + "\n" + err;
    // Single words may occur in the prose ("type", "group"...), so look for any two adjacent words.
    List<String> words = SeedFile.readMnemonic(dir.resolve("seed.txt"));
    for (int i = 0; i + 1 < words.size(); i++) {
      assertThat(printed).doesNotContainPattern("(?i)\\b" + words.get(i) + "\\W+" + words.get(i + 1) + "\\b");
    }
    String token = Files.readString(dir.resolve("api-token")).strip();
    assertThat(printed).doesNotContain(token).doesNotContain(token.substring(0, 16));
  }

  @Test
  void refusesANonEmptyDirectoryWithoutForce() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(dir.resolve("something"), "x");

    assertThat(run("--dir", dir.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("is not empty", "--force");
    assertThat(dir.resolve("r1.conf")).doesNotExist();

    assertThat(run("--dir", dir.toString(), "--force")).isZero();
    assertThat(dir.resolve("r3.conf")).exists();
  }

  @Test
  void unsafeGroupSizeNeedsTheFlagAndSetsTheKey() throws IOException {
    assertThat(run("--replicas", "2", "--dir", tmp.resolve("a").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("--allow-unsafe-group-size");

    assertThat(run("--replicas", "1", "--dir", tmp.resolve("b").toString(), "--allow-unsafe-group-size")).isZero();
    ReplicaConfig single = ConfigLoader.load(tmp.resolve("b/r1.conf"));
    assertThat(single.replicas()).hasSize(1);
    assertThat(single.allowUnsafeGroupSize()).isTrue();
    assertThat(Files.readString(tmp.resolve("b/r1.conf"))).contains("allow-unsafe-group-size = true");
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertThat(run("--replicas", "0", "--dir", tmp.resolve("z").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--replicas must be at least 1");
    assertThat(run("--rpc-type", "http", "--dir", tmp.resolve("z").toString())).isEqualTo(2);
    assertThat(run("--replicas", "3")).as("--dir is required").isEqualTo(2);
    assertThat(tmp.resolve("z")).doesNotExist();
  }

  @Test
  void bitcoindCookieOrUserAndPasswordFileAreWrittenIntoEveryConfig() throws IOException {
    Path cookie = tmp.resolve(".cookie");
    assertThat(run("--dir", tmp.resolve("k").toString(), "--bitcoind-url", "http://127.0.0.1:18443",
        "--bitcoind-cookie-file", cookie.toString())).as("stderr: %s", err).isZero();
    for (int i = 1; i <= 3; i++) {
      BitcoindSettings b = ConfigLoader.load(tmp.resolve("k/r" + i + ".conf")).requireBitcoind();
      assertThat(b).isEqualTo(BitcoindSettings.cookie(URI.create("http://127.0.0.1:18443"), cookie));
    }
    assertThat(out.toString()).contains("bitcoind   http://127.0.0.1:18443 (cookie file " + cookie + ")");

    Path pw = tmp.resolve("rpc-password");
    Files.writeString(pw, "pa55word-xyz\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
    assertThat(run("--dir", tmp.resolve("p").toString(), "--bitcoind-url", "http://127.0.0.1:18443",
        "--bitcoind-user", "lnraft", "--bitcoind-password-file", pw.toString())).as("stderr: %s", err).isZero();
    BitcoindSettings b = ConfigLoader.load(tmp.resolve("p/r1.conf")).requireBitcoind();
    assertThat(b.user()).contains("lnraft");
    assertThat(b.readPassword()).isEqualTo("pa55word-xyz");
    assertThat(out + "\n" + err).doesNotContain("pa55word");
  }

  @Test
  void inconsistentBitcoindOptionsAreUsageErrors() throws IOException {
    String d = tmp.resolve("z").toString();
    String url = "http://127.0.0.1:18443";
    assertThat(run("--dir", d, "--bitcoind-url", url)).isEqualTo(2);
    assertThat(err.toString()).contains("exactly one of --bitcoind-cookie-file or --bitcoind-user");
    assertThat(run("--dir", d, "--bitcoind-cookie-file", "c")).isEqualTo(2);
    assertThat(err.toString()).contains("need --bitcoind-url");
    assertThat(run("--dir", d, "--bitcoind-url", url, "--bitcoind-cookie-file", "c", "--bitcoind-user", "u",
        "--bitcoind-password-file", "p")).isEqualTo(2);
    assertThat(run("--dir", d, "--bitcoind-url", url, "--bitcoind-user", "u")).isEqualTo(2);
    assertThat(err.toString()).contains("go together");
    assertThat(run("--dir", d, "--bitcoind-url", "http://127.0.0.1", "--bitcoind-cookie-file", "c")).isEqualTo(2);
    assertThat(err.toString()).contains("no port");
    assertThat(run("--dir", d, "--bitcoind-url", "http://u:hunter2@127.0.0.1:1", "--bitcoind-cookie-file", "c"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("holds credentials").doesNotContain("hunter2");
    assertThat(tmp.resolve("z")).doesNotExist();

    Path pw = tmp.resolve("open-password");
    Files.writeString(pw, "pa55word-xyz\n");
    Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(run("--dir", d, "--bitcoind-url", url, "--bitcoind-user", "u", "--bitcoind-password-file",
        pw.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("chmod 600 " + pw).doesNotContain("pa55word");
    assertThat(tmp.resolve("z")).doesNotExist();
  }

  @Test
  void networkAndHostAreWritten() throws IOException {
    assertThat(run("--dir", tmp.resolve("s").toString(), "--network", "signet", "--host", "localhost")).isZero();
    ReplicaConfig c = ConfigLoader.load(tmp.resolve("s/r2.conf"));
    assertThat(c.network()).isEqualTo("signet");
    assertThat(c.self().raft().host()).isEqualTo("localhost");
  }
}
