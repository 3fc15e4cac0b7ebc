package io.lnraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lnraft.config.ApiTlsSettings;
import io.lnraft.config.ApiToken;
import io.lnraft.config.ClusterCertificates;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.demo.ApiClient;
import io.lnraft.node.demo.ApiTransport;
import io.lnraft.node.e2e.HAProxyFailoverTest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTPS variant of the HAProxy example ({@code cluster-config/examples/haproxy/haproxy.cfg},
 * its commented {@code check-ssl} / {@code ssl verify required ca-file} lines swapped in as its
 * header tells the operator) with a real haproxy in front of real API servers with lnraft.api.tls
 * and init-cluster's certificates: r1 the ready leader, r2 a follower (503 on /ready), r3 down.
 * The checks over TLS mark only r1 UP, HTTPS API calls through the proxy and peer bytes reach r1;
 * with a CA that did not issue the replicas' certificates every server stays DOWN. No Raft group
 * or Lightning node is needed for what the proxy sees. Skipped when haproxy is not installed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HAProxyHttpsExampleTest {
  private static final Pattern HTTPS_LINE = Pattern.compile("^#(\\s+(server r[1-3] .*|bind :8080 ssl .*))$");
  private static final Pattern PLAIN_LINE = Pattern.compile("^\\s+(server r[1-3] .*|bind :8080)$");
  private static final String CA = "/etc/haproxy/lnraft-ca.crt";
  private static final String PEM = "/etc/haproxy/lnraft-api.pem";

  @TempDir Path dir;
  private Path haproxyBin;
  private LocalClusterLayout layout;
  private String token;
  private final RecordingNode leader = new RecordingNode();
  private final RecordingNode follower = new RecordingNode();
  private final List<AutoCloseable> open = new ArrayList<>();
  private Process haproxy;
  private int peerPort;
  private int apiPort;

  @BeforeEach
  void replicas() throws Exception {
    Optional<Path> bin = HAProxyFailoverTest.onPath("haproxy");
    assumeTrue(bin.isPresent(), "install haproxy (apt-get install -y haproxy) to run this test");
    haproxyBin = bin.get();
    layout = LocalClusterLayout.generate(dir.resolve("c"), 3);
    token = ApiToken.read(layout.apiTokenFile());
    serve(0, leader, true);
    serve(1, follower, false);
    // r1's peer port: says who it is, so a peer connection through the proxy shows where it went.
    ServerSocket peer = new ServerSocket(layout.configs().get(0).self().peer().port(), 5, InetAddress.getLoopbackAddress());
    open.add(peer);
    Thread t = new Thread(() -> {
      while (!peer.isClosed()) {
        try (Socket s = peer.accept()) {
          s.getOutputStream().write("peer r1\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          // closed at the end of the test
        }
      }
    }, "r1-peer");
    t.setDaemon(true);
    t.start();
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      peerPort = a.getLocalPort();
      apiPort = b.getLocalPort();
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (haproxy != null) {
      haproxy.destroyForcibly();
      haproxy.waitFor(10, TimeUnit.SECONDS);
    }
    for (AutoCloseable c : open) c.close();
  }

  private void serve(int i, RecordingNode node, boolean readyLeader) throws Exception {
    ReplicaConfig c = layout.configs().get(i);
    Path tls = layout.dir().resolve("tls");
    ApiServer server = new ApiServer(node, token, () -> readyLeader,
        ApiServerConfig.defaults(c.self().api().host(), c.self().api().port())
            .withTls(new ApiTlsSettings(tls.resolve(c.replicaId() + ".crt"), tls.resolve(c.replicaId() + ".key"))));
    open.add(server);
    server.start();
  }

  /** The example with its HTTPS lines in place of the plain ones, as the header tells the operator. */
  static String httpsVariant(String example) {
    List<String> out = new ArrayList<>();
    int swappedIn = 0;
    for (String line : example.split("\n", -1)) {
      Matcher https = HTTPS_LINE.matcher(line);
      if (https.matches()) {
        out.add(" " + https.group(1)); // same indentation as the plain lines
        swappedIn++;
      } else if (PLAIN_LINE.matcher(line).matches()) {
        out.add("#" + line);
      } else {
        out.add(line);
      }
    }
    assertThat(swappedIn).as("HTTPS lines (6 servers, 1 bind) in " + HAProxyFailoverTest.EXAMPLE).isEqualTo(7);
    return String.join("\n", out);
  }

  /** Starts haproxy on the HTTPS variant, its replicas' certificates checked against {@code ca}. */
  private void startProxy(Path ca) throws Exception {
    // The proxy's own certificate (clients check it): issued by the cluster CA for 127.0.0.1.
    Path tls = layout.dir().resolve("tls");
    Path proxyDir = Files.createDirectories(dir.resolve("proxy"));
    ClusterCertificates.issue(ClusterCertificates.readAuthority(tls.resolve("ca.crt"), tls.resolve("ca.key")),
        tls.resolve("ca.crt"), proxyDir, "t", "proxy", "127.0.0.1", new SecureRandom());
    Path pem = proxyDir.resolve("proxy.pem");
    Files.writeString(pem, Files.readString(proxyDir.resolve("proxy.crt")) + Files.readString(proxyDir.resolve("proxy.key")));

    String text = HAProxyFailoverTest.render(httpsVariant(Files.readString(HAProxyFailoverTest.EXAMPLE)),
        layout.configs(), peerPort, apiPort);
    assertThat(text).contains(CA).contains(PEM);
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, text.replace(CA, ca.toString()).replace(PEM, pem.toString()));
    Process check = new ProcessBuilder(haproxyBin.toString(), "-c", "-f", cfg.toString()).redirectErrorStream(true).start();
    assertThat(check.waitFor(20, TimeUnit.SECONDS)).as("haproxy -c finished").isTrue();
    String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.exitValue()).as("haproxy -c -f " + cfg + ":\n" + checkOut).isZero();
    haproxy = new ProcessBuilder(haproxyBin.toString(), "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    await("haproxy listening on 127.0.0.1:" + apiPort, () -> {
      assertThat(haproxy.isAlive()).as("haproxy exited; see " + dir.resolve("haproxy.log")).isTrue();
      try (Socket s = new Socket("127.0.0.1", apiPort)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("timed out waiting for: " + what).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** The last "is UP" / "is DOWN" haproxy logged for {@code server}; "" if none (still its initial UP). */
  private static String lastState(String log, String server) {
    Matcher m = Pattern.compile("Server " + Pattern.quote(server) + " is (UP|DOWN)").matcher(log);
    String last = "";
    while (m.find()) last = m.group(1);
    return last;
  }

  private String log() throws IOException {
    return Files.readString(dir.resolve("haproxy.log"));
  }

  @Test
  void checksOverTlsRouteHttpsApiCallsAndPeerBytesToTheReadyLeaderOnly() throws Exception {
    startProxy(layout.dir().resolve("tls/ca.crt"));
    ApiClient via = new ApiClient("127.0.0.1:" + apiPort, token, ApiTransport.https(layout.dir().resolve("tls/ca.crt")));
    await("an HTTPS call through the proxy answered by the ready leader", () -> {
      try {
        return via.call("GET", "/v1/channels", null).status() == 200;
      } catch (Exception e) {
        return false; // no server UP yet
      }
    });
    for (int i = 0; i < 5; i++) assertThat(via.call("GET", "/v1/channels", null).status()).isEqualTo(200);
    assertThat(leader.calls).containsOnly("channels").hasSizeGreaterThanOrEqualTo(6);
    assertThat(follower.calls).isEmpty();

    await("peer bytes through the proxy from r1", () -> {
      try (Socket s = new Socket("127.0.0.1", peerPort)) {
        s.setSoTimeout(2000);
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII).equals("peer r1\n");
      } catch (IOException e) {
        return false;
      }
    });
    // Servers start UP. r1 may have gone DOWN and UP again once (a fresh JVM's first TLS
    // handshakes can outlast `inter`); it ends UP. r2 (503 on /ready) ends DOWN and never came UP.
    await("r1 UP and r2 DOWN in both backends", () -> {
      try {
        String log = log();
        return !lastState(log, "lnraft_api/r1").equals("DOWN") && !lastState(log, "lnraft_peer/r1").equals("DOWN")
            && lastState(log, "lnraft_api/r2").equals("DOWN") && lastState(log, "lnraft_peer/r2").equals("DOWN");
      } catch (IOException e) {
        return false;
      }
    });
    assertThat(log()).doesNotContain("lnraft_api/r2 is UP").doesNotContain("lnraft_peer/r2 is UP");
  }

  @Test
  void replicaCertificatesFromAnotherCaKeepEveryServerDown() throws Exception {
    Path otherCa = LocalClusterLayout.generate(dir.resolve("other"), 3).dir().resolve("tls/ca.crt");
    startProxy(otherCa);
    await("every server marked DOWN", () -> {
      try {
        String log = log();
        return List.of("lnraft_api/r1", "lnraft_api/r2", "lnraft_peer/r1", "lnraft_peer/r2").stream()
            .allMatch(s -> log.contains(s + " is DOWN"));
      } catch (IOException e) {
        return false;
      }
    });
    assertThat(log()).contains("SSL handshake failure");
    ApiClient via = new ApiClient("127.0.0.1:" + apiPort, token, ApiTransport.https(layout.dir().resolve("tls/ca.crt")));
    assertThatThrownBy(() -> via.call("GET", "/v1/channels", null)).isInstanceOf(IOException.class);
    assertThat(leader.calls).isEmpty();
    assertThat(follower.calls).isEmpty();
  }
}
