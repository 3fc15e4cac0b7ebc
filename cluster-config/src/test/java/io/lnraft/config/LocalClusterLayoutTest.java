package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClusterLayoutTest {
  @TempDir Path tmp;

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void generatedLayoutLoadsAndValidates() throws IOException {
    Path dir = tmp.resolve("cluster");
    LocalClusterLayout layout = LocalClusterLayout.generate(dir, 3,
        LocalClusterLayout.Options.defaults().withClusterId("demo").withRpcType(RpcType.NETTY));

    assertThat(layout.configFiles()).containsExactly(dir.resolve("r1.conf"), dir.resolve("r2.conf"),
        dir.resolve("r3.conf"));
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = ConfigLoader.load(layout.configFiles().get(i));
      assertThat(c).isEqualTo(layout.configs().get(i));
      assertThat(c.replicaId()).isEqualTo("r" + (i + 1));
      assertThat(c.clusterId()).isEqualTo("demo");
      assertThat(c.network()).isEqualTo("regtest");
      assertThat(c.raft()).isEqualTo(RaftSettings.defaults().withRpcType(RpcType.NETTY));
      assertThat(c.dataDir()).isEqualTo(dir.resolve("r" + (i + 1) + "-data")).isDirectory();
      assertThat(mode(c.dataDir())).isEqualTo("rwx------");
      assertThat(c.seedFile()).isEqualTo(dir.resolve("seed.txt"));
      assertThat(c.apiTokenFile()).isEqualTo(dir.resolve("api-token"));
      assertThat(c.replicas()).isEqualTo(layout.configs().get(0).replicas());
      assertThat(c.allowUnsafeGroupSize()).isFalse();
    }
    assertThat(mode(layout.seedFile())).isEqualTo("rw-------");
    assertThat(mode(layout.apiTokenFile())).isEqualTo("rw-------");
    assertThat(SeedFile.readMnemonic(layout.seedFile())).hasSize(24);
    assertThat(Files.readString(layout.apiTokenFile())).matches("[0-9a-f]{64}\n");
    // Configs hold no secret and relative paths only, so the directory can be moved.
    String text = Files.readString(dir.resolve("r1.conf"));
    assertThat(text).contains("seed-file = \"seed.txt\"").doesNotContain(dir.toString());
    List<String> words = SeedFile.readMnemonic(layout.seedFile());
    for (int i = 0; i + 1 < words.size(); i++) assertThat(text).doesNotContain(words.get(i) + " " + words.get(i + 1));
  }

  @Test
  void bitcoindIsWrittenIntoEveryConfig() throws IOException {
    Path dir = tmp.resolve("c");
    Path cookie = tmp.resolve("bitcoin/regtest/.cookie");
    LocalClusterLayout layout = LocalClusterLayout.generate(dir, 3, LocalClusterLayout.Options.defaults()
        .withBitcoind(BitcoindSettings.cookie(URI.create("http://127.0.0.1:18443"), cookie)));
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = ConfigLoader.load(layout.configFiles().get(i));
      assertThat(c.requireBitcoind()).isEqualTo(BitcoindSettings.cookie(URI.create("http://127.0.0.1:18443"), cookie));
      assertThat(c).isEqualTo(layout.configs().get(i));
      assertThat(c.node()).isEqualTo(NodeSettings.defaults());
    }
    assertThat(Files.readString(dir.resolve("r2.conf"))).contains("rpc-cookie-file = \"" + cookie + "\"");
    assertThat(LocalClusterLayout.generate(tmp.resolve("none"), 3).configs())
        .allSatisfy(c -> assertThat(c.bitcoind()).isEmpty());
  }

  @Test
  void bitcoindPasswordFileMustBeOwnerOnlyBeforeAnythingIsWritten() throws IOException {
    Path pw = tmp.resolve("rpc-password");
    OwnerOnlyFiles.write(pw, "secret-password\n".getBytes());
    Fixtures.chmod(pw, "rw-r--r--");
    LocalClusterLayout.Options options = LocalClusterLayout.Options.defaults()
        .withBitcoind(BitcoindSettings.password(URI.create("http://127.0.0.1:18443"), "lnraft", pw));
    assertThatThrownBy(() -> LocalClusterLayout.generate(tmp.resolve("c"), 3, options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--bitcoind-password-file")
        .hasMessageContaining("chmod 600 " + pw);
    assertThat(tmp.resolve("c")).doesNotExist();

    Fixtures.chmod(pw, "rw-------");
    ReplicaConfig c = LocalClusterLayout.generate(tmp.resolve("c"), 3, options).configs().get(0);
    assertThat(c.requireBitcoind().readPassword()).isEqualTo("secret-password");
    assertThat(Files.readString(tmp.resolve("c/r1.conf"))).doesNotContain("secret-password");
  }

  @Test
  void everyAddressGetsItsOwnPortOnTheChosenHost() throws IOException {
    LocalClusterLayout layout = LocalClusterLayout.generate(tmp.resolve("c"), 5);
    Set<Integer> ports = new HashSet<>();
    for (ReplicaEndpoint r : layout.configs().get(0).replicas()) {
      for (HostPort hp : List.of(r.raft(), r.peer(), r.api())) {
        assertThat(hp.host()).isEqualTo("127.0.0.1");
        ports.add(hp.port());
      }
    }
    assertThat(ports).hasSize(15);
  }

  @Test
  void refusesANonEmptyDirectoryUnlessForced() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("c"));
    Files.writeString(dir.resolve("notes.txt"), "keep");

    assertThatThrownBy(() -> LocalClusterLayout.generate(dir, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not empty")
        .hasMessageContaining("--force");
    assertThat(dir.resolve("r1.conf")).doesNotExist();
    assertThat(dir.resolve("seed.txt")).doesNotExist();

    LocalClusterLayout layout = LocalClusterLayout.generate(dir, 3, LocalClusterLayout.Options.defaults().withForce(true));
    assertThat(layout.configs()).hasSize(3);
    assertThat(dir.resolve("notes.txt")).hasContent("keep");
  }

  @Test
  void forceReplacesTheSeedButNeverAReplicasData() throws IOException {
    Path dir = tmp.resolve("c");
    LocalClusterLayout first = LocalClusterLayout.generate(dir, 3);
    List<String> firstWords = SeedFile.readMnemonic(first.seedFile());

    LocalClusterLayout second = LocalClusterLayout.generate(dir, 3, LocalClusterLayout.Options.defaults().withForce(true));
    assertThat(SeedFile.readMnemonic(second.seedFile())).isNotEqualTo(firstWords);
    assertThat(mode(second.seedFile())).isEqualTo("rw-------");

    Files.writeString(dir.resolve("r2-data/raft.log"), "state");
    assertThatThrownBy(() -> LocalClusterLayout.generate(dir, 3, LocalClusterLayout.Options.defaults().withForce(true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(dir.resolve("r2-data").toString());
    assertThat(SeedFile.readMnemonic(second.seedFile())).as("nothing written when refused")
        .isEqualTo(SeedFile.readMnemonic(dir.resolve("seed.txt")));
  }

  @Test
  void unsafeGroupSizesNeedTheFlag() throws IOException {
    for (int n : new int[] {1, 2, 4}) {
      assertThatThrownBy(() -> LocalClusterLayout.generate(tmp.resolve("c" + n), n))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--allow-unsafe-group-size");
    }
    LocalClusterLayout two = LocalClusterLayout.generate(tmp.resolve("two"), 2,
        LocalClusterLayout.Options.defaults().withAllowUnsafeGroupSize(true));
    assertThat(two.configs()).hasSize(2).allSatisfy(c -> assertThat(c.allowUnsafeGroupSize()).isTrue());
    assertThatThrownBy(() -> LocalClusterLayout.generate(tmp.resolve("zero"), 0,
            LocalClusterLayout.Options.defaults().withAllowUnsafeGroupSize(true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
  }

  @Test
  void rejectsBadNetworkAndClusterIdBeforeWriting() {
    assertThatThrownBy(() -> LocalClusterLayout.generate(tmp.resolve("a"), 3,
            LocalClusterLayout.Options.defaults().withNetwork("bitcoin")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("network");
    assertThatThrownBy(() -> LocalClusterLayout.generate(tmp.resolve("b"), 3,
            LocalClusterLayout.Options.defaults().withClusterId("has space")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster id");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b")).doesNotExist();
  }
}
