package io.lnraft.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lnraft.api.tls: the operator API's optional TLS files, and every way they can be wrong. */
class ApiTlsConfigTest {
  @TempDir Path tmp;

  private LocalClusterLayout layout() throws IOException {
    return LocalClusterLayout.generate(tmp.resolve("c"), 3, LocalClusterLayout.Options.defaults().withClusterId("t"));
  }

  /** Appends {@code extra} to r1.conf and loads it; returns the problems (empty if it loads). */
  private static List<String> problemsWith(LocalClusterLayout l, String extra) throws IOException {
    Path f = l.configFiles().get(0);
    Files.writeString(f, Files.readString(f) + "\n" + extra + "\n");
    try {
      ConfigLoader.load(f);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  @Test
  void aValidBlockLoadsAndRendersBack() throws IOException {
    LocalClusterLayout l = layout();
    Path f = l.configFiles().get(0);
    Files.writeString(f, Files.readString(f) + "\nlnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r1.key\" }\n");
    ReplicaConfig c = ConfigLoader.load(f);
    assertThat(c.apiTls()).contains(new ApiTlsSettings(l.dir().resolve("tls/r1.crt"), l.dir().resolve("tls/r1.key")));
    String text = ConfigLoader.render(c, l.dir());
    assertThat(text).contains("cert-file = \"tls/r1.crt\"").doesNotContain("PRIVATE KEY");
    assertThat(ConfigLoader.loadString(text, l.dir())).isEqualTo(c);
    // Without the block: plain HTTP, as before.
    assertThat(l.configs().get(0).apiTls()).isEmpty();
  }

  @Test
  void aKeyOfAnotherCertificateIsNamed() throws IOException {
    assertThat(problemsWith(layout(), "lnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r2.key\" }"))
        .singleElement().asString().startsWith("lnraft.api.tls.key-file:").contains("is not the private key of");
  }

  @Test
  void aMissingFileOrKeyIsNamed() throws IOException {
    assertThat(problemsWith(layout(), "lnraft.api.tls { cert-file = \"tls/nope.crt\", key-file = \"tls/r1.key\" }"))
        .singleElement().asString().startsWith("lnraft.api.tls.cert-file:").contains("does not exist");
    assertThat(problemsWith(layout2(), "lnraft.api.tls { cert-file = \"tls/r1.crt\" }"))
        .singleElement().asString().startsWith("lnraft.api.tls.key-file: missing");
  }

  private LocalClusterLayout layout2() throws IOException {
    return LocalClusterLayout.generate(tmp.resolve("c2"), 3, LocalClusterLayout.Options.defaults().withClusterId("t"));
  }

  @Test
  void aKeyOthersCanReadIsRefused() throws IOException {
    LocalClusterLayout l = layout();
    Files.setPosixFilePermissions(l.dir().resolve("tls/r1.key"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(problemsWith(l, "lnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r1.key\" }"))
        .anySatisfy(p -> assertThat(p).startsWith("lnraft.api.tls.key-file:"));
  }

  @Test
  void wrongShapesAndUnknownKeysAreNamed() throws IOException {
    assertThat(problemsWith(layout(), "lnraft.api.tls = 5")).singleElement().asString()
        .startsWith("lnraft.api.tls: must be an object");
    assertThat(problemsWith(layout2(), "lnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r1.key\","
        + " ca-dir = \"tls\" }")).singleElement().asString().startsWith("lnraft.api.tls.ca-dir: unknown key");
  }

  // ---- ca-file: the CA the lnraft commands trust for the API --------------------------------------

  private static final String API_TLS = "lnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r1.key\"";

  @Test
  void theCommandsTrustCaFileElseTheClusterCa() throws IOException {
    LocalClusterLayout l = layout();
    Path f = l.configFiles().get(0);
    String base = Files.readString(f);
    Files.writeString(f, base + "\n" + API_TLS + ", ca-file = \"tls/ca.crt\" }\n");
    ReplicaConfig c = ConfigLoader.load(f);
    assertThat(c.apiTls().orElseThrow().caFile()).contains(l.dir().resolve("tls/ca.crt"));
    assertThat(c.apiTrustedCaFile()).contains(l.dir().resolve("tls/ca.crt"));
    String text = ConfigLoader.render(c, l.dir());
    assertThat(ConfigLoader.loadString(text, l.dir())).isEqualTo(c);

    // Without ca-file: raft.tls's cluster CA (init-cluster's, which signed tls/r1.crt).
    Files.writeString(f, base + "\n" + API_TLS + " }\n");
    ReplicaConfig fallback = ConfigLoader.load(f);
    assertThat(fallback.apiTls().orElseThrow().caFile()).isEmpty();
    assertThat(fallback.apiTrustedCaFile()).contains(fallback.raft().tls().orElseThrow().caFile());
    // Without api.tls: plain HTTP, no CA.
    assertThat(l.configs().get(0).apiTrustedCaFile()).isEmpty();
  }

  @Test
  void aMissingOrUnreadableCaFileIsNamed() throws IOException {
    assertThat(problemsWith(layout(), API_TLS + ", ca-file = \"tls/nope.crt\" }")).singleElement().asString()
        .startsWith("lnraft.api.tls.ca-file:").contains("tls/nope.crt").contains("does not exist")
        .contains("ca-file = \"tls/ca.crt\"");
    LocalClusterLayout l = layout2();
    Files.writeString(l.dir().resolve("tls/junk.crt"), "not a certificate");
    assertThat(problemsWith(l, API_TLS + ", ca-file = \"tls/junk.crt\" }")).singleElement().asString()
        .startsWith("lnraft.api.tls.ca-file:").contains("holds no PEM block \"CERTIFICATE\"");
  }

  @Test
  void aCaThatDidNotIssueTheApiCertificateIsNamedWithTheFix() throws IOException {
    LocalClusterLayout other = LocalClusterLayout.generate(tmp.resolve("other"), 3,
        LocalClusterLayout.Options.defaults().withClusterId("o"));
    Path otherCa = other.dir().resolve("tls/ca.crt");
    assertThat(problemsWith(layout(), API_TLS + ", ca-file = \"" + otherCa + "\" }")).singleElement().asString()
        .startsWith("lnraft.api.tls.ca-file: " + otherCa + " does not accept").contains("set ca-file to the CA that issued r1.crt");

    // An API certificate of another CA, no ca-file: the cluster CA of raft.tls would refuse it.
    Path cert = other.dir().resolve("tls/r1.crt");
    Path key = other.dir().resolve("tls/r1.key");
    assertThat(problemsWith(layout2(), "lnraft.api.tls { cert-file = \"" + cert + "\", key-file = \"" + key + "\" }"))
        .singleElement().asString().startsWith("lnraft.api.tls.cert-file: " + cert + " is not accepted by the cluster CA")
        .contains("lnraft.raft.tls.ca-file").contains("add ca-file =");
    // ... and with that CA as ca-file it loads.
    assertThat(problemsWith(layout3(), "lnraft.api.tls { cert-file = \"" + cert + "\", key-file = \"" + key
        + "\", ca-file = \"" + otherCa + "\" }")).isEmpty();
  }

  private LocalClusterLayout layout3() throws IOException {
    return LocalClusterLayout.generate(tmp.resolve("c3"), 3, LocalClusterLayout.Options.defaults().withClusterId("t"));
  }
}
