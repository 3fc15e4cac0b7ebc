package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mutual TLS settings: what init-cluster writes, and every way a replica's TLS files can be wrong. */
class TlsConfigTest {
  @TempDir Path tmp;

  private LocalClusterLayout layout() throws IOException {
    return LocalClusterLayout.generate(tmp.resolve("c"), 3, LocalClusterLayout.Options.defaults().withClusterId("t"));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /** Replaces one line of r1.conf and loads it; returns the problems (empty if it loads). */
  private static List<String> problemsAfter(LocalClusterLayout l, String from, String to) throws IOException {
    Path f = l.configFiles().get(0);
    String text = Files.readString(f);
    assertThat(text).contains(from);
    Files.writeString(f, text.replace(from, to));
    try {
      ConfigLoader.load(f);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  @Test
  void generatedClusterHasMutualTlsWithOwnerOnlyKeysAndLoadsBack() throws IOException {
    LocalClusterLayout l = layout();
    for (int i = 0; i < 3; i++) {
      ReplicaConfig c = l.configs().get(i);
      TlsSettings t = c.raft().tls().orElseThrow();
      assertThat(t.caFile()).isEqualTo(l.dir().resolve("tls/ca.crt"));
      assertThat(t.certFile()).isEqualTo(l.dir().resolve("tls/r" + (i + 1) + ".crt"));
      assertThat(mode(t.keyFile())).isEqualTo("rw-------");
      assertThat(ClusterCertificates.problems(t, "127.0.0.1", "k")).isEmpty();
      assertThat(ConfigLoader.load(l.configFiles().get(i))).isEqualTo(c);
    }
    assertThat(mode(l.dir().resolve("tls/ca.key"))).isEqualTo("rw-------");
    // Relative paths, so the directory can move; no key material in the config itself.
    String text = Files.readString(l.configFiles().get(0));
    assertThat(text).contains("ca-file = \"tls/ca.crt\"").doesNotContain("PRIVATE KEY");
    // A certificate names its replica's raft host and is accepted by the cluster CA only.
    assertThat(ClusterCertificates.subjectAltNames(ClusterCertificates.readCertificate(l.dir().resolve("tls/r2.crt"))))
        .containsExactly("127.0.0.1");
  }

  @Test
  void nettyTransportGetsNoCertificatesAndTlsWithNettyIsRefused() throws IOException {
    LocalClusterLayout n = LocalClusterLayout.generate(tmp.resolve("n"), 3,
        LocalClusterLayout.Options.defaults().withRpcType(RpcType.NETTY));
    assertThat(n.configs().get(0).raft().tls()).isEmpty();
    assertThat(n.dir().resolve("tls")).doesNotExist();

    LocalClusterLayout l = layout();
    assertThat(problemsAfter(l, "rpc-type = grpc", "rpc-type = netty"))
        .anySatisfy(p -> assertThat(p).startsWith("lnraft.raft.tls: needs rpc-type = grpc"));
  }

  @Test
  void certificateFromAnotherCaIsRefusedAtLoad() throws IOException {
    LocalClusterLayout l = layout();
    LocalClusterLayout other = LocalClusterLayout.generate(tmp.resolve("other"), 3,
        LocalClusterLayout.Options.defaults().withClusterId("other"));
    Path foreignCa = other.dir().resolve("tls/ca.crt");
    assertThat(problemsAfter(l, "ca-file = \"tls/ca.crt\"", "ca-file = \"" + foreignCa + "\""))
        .containsExactly("lnraft.raft.tls.cert-file: " + l.dir().resolve("tls/r1.crt") + " is not signed by the CA in "
            + foreignCa + " — every replica must use certificates issued by the same cluster CA");
  }

  @Test
  void keyOfAnotherCertificateIsRefused() throws IOException {
    LocalClusterLayout l = layout();
    assertThat(problemsAfter(l, "key-file = \"tls/r1.key\"", "key-file = \"tls/r2.key\""))
        .singleElement().asString().contains("is not the private key of").contains("r1.crt");
  }

  @Test
  void certificateThatDoesNotNameTheRaftHostIsRefused() throws IOException {
    LocalClusterLayout l = layout();
    Path f = l.configFiles().get(0);
    String text = Files.readString(f);
    String self = l.configs().get(0).self().raft().toString();
    Files.writeString(f, text.replace("raft = \"" + self + "\"", "raft = \"localhost:" + l.configs().get(0).self()
        .raft().port() + "\""));
    assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
            .contains("names [127.0.0.1] but this replica's raft host is localhost")
            .contains("issue a certificate for localhost"));
  }

  @Test
  void keyReadableByOthersMissingFilesAndGarbageAreRefusedWithoutEchoingContent() throws IOException {
    LocalClusterLayout l = layout();
    Path key = l.dir().resolve("tls/r1.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(problemsAfter(l, "rpc-type = grpc", "rpc-type = grpc"))
        .containsExactly("lnraft.raft.tls.key-file: file " + key + " has mode 0644, so other users can read or change it"
            + " — run chmod 600 " + key);

    LocalClusterLayout m = LocalClusterLayout.generate(tmp.resolve("m"), 3, LocalClusterLayout.Options.defaults());
    Files.delete(m.dir().resolve("tls/r1.crt"));
    assertThat(problemsAfter(m, "rpc-type = grpc", "rpc-type = grpc")).singleElement().asString()
        .startsWith("lnraft.raft.tls.cert-file: file ").contains("does not exist");

    LocalClusterLayout g = LocalClusterLayout.generate(tmp.resolve("g"), 3, LocalClusterLayout.Options.defaults());
    Files.writeString(g.dir().resolve("tls/ca.crt"), "secret-looking garbage 12345\n", StandardCharsets.US_ASCII);
    assertThat(problemsAfter(g, "rpc-type = grpc", "rpc-type = grpc")).singleElement().asString()
        .contains("holds no PEM block \"CERTIFICATE\"").doesNotContain("12345");
  }

  @Test
  void incompleteOrMistypedTlsBlockIsRefused() throws IOException {
    LocalClusterLayout l = layout();
    assertThat(problemsAfter(l, "key-file = \"tls/r1.key\"", "keyfile = \"tls/r1.key\"")).containsExactlyInAnyOrder(
        "lnraft.raft.tls.keyfile: unknown key — did you mean key-file?",
        "lnraft.raft.tls.key-file: missing — add key-file = \"tls/r1.key\"");
  }

  @Test
  void certificateIssuedLaterByTheSameCaIsAccepted() throws IOException {
    LocalClusterLayout l = layout();
    Path tls = l.dir().resolve("tls");
    ClusterCertificates.Authority ca = ClusterCertificates.readAuthority(tls.resolve("ca.crt"), tls.resolve("ca.key"));
    TlsSettings r4 = ClusterCertificates.issue(ca, tls.resolve("ca.crt"), tls, "t", "r4", "10.0.0.4", new SecureRandom());
    assertThat(ClusterCertificates.problems(r4, "10.0.0.4", "k")).isEmpty();
    assertThat(ClusterCertificates.problems(r4, "10.0.0.5", "k")).singleElement().asString()
        .contains("names [10.0.0.4]");
  }
}
