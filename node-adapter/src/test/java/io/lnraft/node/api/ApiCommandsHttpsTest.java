package io.lnraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.ApiTlsSettings;
import io.lnraft.config.ApiToken;
import io.lnraft.config.ClusterCertificates;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.cli.LnraftCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code lnraft} API commands (info, channels, ...) against the real ApiServer with
 * lnraft.api.tls, certificates made by init-cluster's generator, run through the real picocli
 * command line in-process: they speak HTTPS and follow a follower's redirect; an untrusted
 * certificate, a certificate for another host, HTTP against HTTPS and HTTPS against HTTP each fail
 * with a message saying what to change (no raw handshake exception) and a non-zero exit code; a
 * missing ca-file is refused at load.
 */
class ApiCommandsHttpsTest {
  private static final String API_TLS = "lnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r1.key\" }";

  @TempDir Path dir;
  private LocalClusterLayout layout;
  private String token;
  private final List<ApiServer> servers = new ArrayList<>();

  @BeforeEach
  void cluster() throws IOException {
    layout = LocalClusterLayout.generate(dir.resolve("c"), 3);
    token = ApiToken.read(layout.apiTokenFile());
  }

  @AfterEach
  void stop() {
    servers.forEach(ApiServer::close);
  }

  /** The command's exit code, standard output and standard error. */
  private record Run(int exit, String out, String err) {}

  private static Run lnraft(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int exit = LnraftCli.run(args);
      return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  /** r1.conf with {@code extra} appended. */
  private Path r1ConfWith(String extra) throws IOException {
    Path f = layout.configFiles().get(0);
    Files.writeString(f, Files.readString(f) + "\n" + extra + "\n");
    return f;
  }

  /** A real API server on replica {@code i}'s configured api address, with TLS if given. */
  private void serve(int i, RecordingNode node, boolean readyLeader, Optional<ApiTlsSettings> tls) throws Exception {
    ReplicaConfig c = layout.configs().get(i);
    ApiServerConfig config = ApiServerConfig.defaults(c.self().api().host(), c.self().api().port());
    if (tls.isPresent()) config = config.withTls(tls.get());
    ApiServer server = new ApiServer(node, token, () -> readyLeader, config);
    servers.add(server);
    server.start();
  }

  private Optional<ApiTlsSettings> replicaCert(String id) {
    Path tls = layout.dir().resolve("tls");
    return Optional.of(new ApiTlsSettings(tls.resolve(id + ".crt"), tls.resolve(id + ".key")));
  }

  @Test
  void theCommandsAnswerOverHttpsAndFollowTheFollowersRedirectToTheLeader() throws Exception {
    RecordingNode follower = new RecordingNode();
    follower.leaderApi = Optional.of(layout.configs().get(1).self().api().toString());
    RecordingNode leader = new RecordingNode();
    serve(0, follower, false, replicaCert("r1"));
    serve(1, leader, true, replicaCert("r2"));
    Path conf = r1ConfWith(API_TLS); // no ca-file: raft.tls's cluster CA is trusted

    Run info = lnraft("info", "--config", conf.toString());
    assertThat(info.exit()).as(info.err()).isZero();
    assertThat(info.out()).contains(RecordingNode.NODE_ID);
    assertThat(follower.calls).containsExactly("info"); // a follower answers info itself

    Run channels = lnraft("channels", "--config", conf.toString());
    assertThat(channels.exit()).as(channels.err()).isZero();
    assertThat(channels.out()).contains(RecordingNode.CHANNEL_ID);
    assertThat(leader.calls).containsExactly("channels"); // r1 said 503 not_leader, r2 answered over HTTPS
    assertThat(channels.err()).doesNotContain(token);
  }

  @Test
  void theThirdReplicaIsAskedWhenTheFirstTwoAreDown() throws Exception {
    // r1 (the config's own replica) and r2 are not running: r3 still answers (it once was never tried).
    RecordingNode node = new RecordingNode();
    serve(2, node, true, replicaCert("r3"));
    Run run = lnraft("channels", "--config", r1ConfWith(API_TLS).toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(node.calls).containsExactly("channels");
  }

  @Test
  void aServerCertificateOfAnotherCaIsRefusedWithTheFix() throws Exception {
    LocalClusterLayout other = LocalClusterLayout.generate(dir.resolve("other"), 3);
    Path otherTls = other.dir().resolve("tls");
    RecordingNode node = new RecordingNode();
    serve(0, node, true, Optional.of(new ApiTlsSettings(otherTls.resolve("r1.crt"), otherTls.resolve("r1.key"))));

    Run run = lnraft("info", "--config", r1ConfWith(API_TLS).toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("https://" + layout.configs().get(0).self().api())
        .contains("not signed by a CA this client trusts")
        .contains(layout.dir().resolve("tls/ca.crt").toString())
        .contains("set lnraft.api.tls.ca-file")
        .doesNotContain("SSLHandshakeException").doesNotContain("Is the cluster running");
    assertThat(node.calls).isEmpty();
  }

  @Test
  void withoutCaFileAndRaftTlsTheJvmTrustStoreDecidesAndRefusesAPrivateCa() throws Exception {
    // A group without raft.tls: the commands fall back to the JVM's trust store, which does not
    // hold init-cluster's private CA.
    LocalClusterLayout plainRaft = LocalClusterLayout.generate(dir.resolve("plain"), 3,
        LocalClusterLayout.Options.defaults().withTls(false));
    LocalClusterLayout certs = LocalClusterLayout.generate(dir.resolve("certs"), 3);
    Path tls = certs.dir().resolve("tls");
    layout = plainRaft;
    token = ApiToken.read(plainRaft.apiTokenFile());
    assertThat(plainRaft.configs().get(0).raft().tls()).isEmpty();
    RecordingNode node = new RecordingNode();
    serve(0, node, true, Optional.of(new ApiTlsSettings(tls.resolve("r1.crt"), tls.resolve("r1.key"))));

    Run run = lnraft("info", "--config", r1ConfWith("lnraft.api.tls { cert-file = \"" + tls.resolve("r1.crt")
        + "\", key-file = \"" + tls.resolve("r1.key") + "\" }").toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("not signed by a CA this client trusts (trusted: the JVM's default trust store)")
        .contains("set lnraft.api.tls.ca-file");
    assertThat(node.calls).isEmpty();
  }

  @Test
  void aServerCertificateForAnotherHostIsRefusedWithTheFix() throws Exception {
    Path tls = layout.dir().resolve("tls");
    Path certs = Files.createDirectories(dir.resolve("elsewhere"));
    // Signed by the trusted cluster CA, but naming 10.9.9.9, not 127.0.0.1.
    var ca = ClusterCertificates.readAuthority(tls.resolve("ca.crt"), tls.resolve("ca.key"));
    ClusterCertificates.issue(ca, tls.resolve("ca.crt"), certs, "t", "r1", "10.9.9.9", new SecureRandom());
    RecordingNode node = new RecordingNode();
    serve(0, node, true, Optional.of(new ApiTlsSettings(certs.resolve("r1.crt"), certs.resolve("r1.key"))));

    Run run = lnraft("info", "--config", r1ConfWith(API_TLS).toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("does not name this host").contains("127.0.0.1")
        .doesNotContain("SSLHandshakeException");
    assertThat(node.calls).isEmpty();
  }

  @Test
  void plainHttpToAnHttpsApiSaysToAddApiTls() throws Exception {
    RecordingNode node = new RecordingNode();
    serve(0, node, true, replicaCert("r1"));

    Run run = lnraft("info", "--config", layout.configFiles().get(0).toString()); // no api.tls in the config
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("http://" + layout.configs().get(0).self().api())
        .contains("without an HTTP answer").contains("add the same api.tls block to this config");
    assertThat(node.calls).isEmpty();
  }

  @Test
  void httpsToAPlainHttpApiSaysTheReplicaHasNoApiTls() throws Exception {
    RecordingNode node = new RecordingNode();
    serve(0, node, true, Optional.empty());

    Run run = lnraft("info", "--config", r1ConfWith(API_TLS).toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("answered in plain HTTP, not TLS").contains("has no lnraft.api.tls")
        .doesNotContain("SSLException");
    assertThat(node.calls).isEmpty();
  }

  @Test
  void aMissingCaFileStopsTheCommandWithTheKeyNamed() throws Exception {
    Path conf = r1ConfWith("lnraft.api.tls { cert-file = \"tls/r1.crt\", key-file = \"tls/r1.key\","
        + " ca-file = \"tls/cluster-ca.crt\" }");
    Run run = lnraft("info", "--config", conf.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("lnraft.api.tls.ca-file:").contains(layout.dir().resolve("tls/cluster-ca.crt").toString())
        .contains("does not exist").contains("ca-file = \"tls/ca.crt\"");

    // With the right file named, the same command answers over HTTPS.
    RecordingNode node = new RecordingNode();
    serve(0, node, true, replicaCert("r1"));
    Files.copy(layout.dir().resolve("tls/ca.crt"), layout.dir().resolve("tls/cluster-ca.crt"));
    Run ok = lnraft("info", "--config", conf.toString());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(node.calls).containsExactly("info");
  }
}
