package io.lnraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.config.ApiTlsSettings;
import io.lnraft.config.LocalClusterLayout;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator API over TLS (lnraft.api.tls), with the replica certificate init-cluster writes:
 * a client trusting the cluster CA gets answers over HTTPS; plain HTTP and clients that do not
 * trust the certificate get nothing from it.
 */
class ApiServerTlsTest {
  private static final String TOKEN = ApiServerTest.TOKEN;
  @TempDir Path dir;

  private static HttpClient trusting(Path caFile) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Test
  void theApiAnswersOverHttpsOnlyToClientsThatTrustItsCertificate() throws Exception {
    LocalClusterLayout l = LocalClusterLayout.generate(dir.resolve("c"), 3);
    Path tls = l.dir().resolve("tls");
    RecordingNode node = new RecordingNode();
    ApiServerConfig config = ApiServerConfig.defaults("127.0.0.1", 0)
        .withTls(new ApiTlsSettings(tls.resolve("r1.crt"), tls.resolve("r1.key")));
    try (ApiServer server = new ApiServer(node, TOKEN, () -> true, config)) {
      int port = server.start().getPort();
      URI base = URI.create("https://127.0.0.1:" + port);
      HttpClient https = trusting(tls.resolve("ca.crt"));
      var info = https.send(HttpRequest.newBuilder(base.resolve("/v1/info")).timeout(Duration.ofSeconds(10))
          .header("Authorization", "Bearer " + TOKEN).build(), BodyHandlers.ofString());
      assertThat(info.statusCode()).isEqualTo(200);
      assertThat(info.body()).contains(RecordingNode.NODE_ID);
      var noToken = https.send(HttpRequest.newBuilder(base.resolve("/v1/info")).timeout(Duration.ofSeconds(10)).build(),
          BodyHandlers.ofString());
      assertThat(noToken.statusCode()).isEqualTo(401);

      // Plain HTTP to the same port: no HTTP answer (the TLS layer refuses the bytes).
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.setSoTimeout(5000);
        s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        String reply;
        try {
          reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException reset) {
          reply = "";
        }
        assertThat(reply).doesNotStartWith("HTTP/");
      }

      // A client that does not trust the certificate does not get through the handshake.
      HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThatThrownBy(() -> untrusting.send(HttpRequest.newBuilder(base.resolve("/health"))
          .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
    }
    assertThat(node.calls).containsExactly("info");
  }

  @Test
  void unusableFilesStopTheStartWithAnErrorNamingThem() throws Exception {
    Path cert = dir.resolve("api.crt");
    Files.writeString(cert, "not a certificate");
    ApiServerConfig config = ApiServerConfig.defaults("127.0.0.1", 0)
        .withTls(new ApiTlsSettings(cert, dir.resolve("api.key")));
    ApiServer server = new ApiServer(new RecordingNode(), TOKEN, () -> true, config);
    assertThatThrownBy(server::start).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lnraft.api.tls").hasMessageContaining(cert.toString());
  }
}
