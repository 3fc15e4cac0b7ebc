package io.lnraft.node.e2e;

import static io.lnraft.node.e2e.NodeCluster.await;
import static io.lnraft.node.e2e.NodeCluster.connected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.demo.ApiClient;
import java.io.File;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's HAProxy example ({@code cluster-config/examples/haproxy/haproxy.cfg}) in front of
 * a real three-replica node ({@link NodeCluster}): the example file is rendered with the cluster's
 * loopback ports ({@link #render}), checked with {@code haproxy -c} and run with a real haproxy.
 * API calls through it reach the ready leader; the counterparty dials the node through the proxy's
 * peer port; after SIGKILL of the leader, the proxy routes API calls to the new leader and the
 * counterparty's peer connection comes back through the proxy. Skipped when haproxy is not
 * installed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
public class HAProxyFailoverTest {
  public static final Path EXAMPLE = Path.of("..", "cluster-config", "examples", "haproxy", "haproxy.cfg");
  /** The new leader is UP after 2 good checks 250 ms apart; generous for a loaded 2-core machine. */
  static final long MAX_ROUTING_LAG_MS = 5_000;

  @TempDir Path dir;
  private NodeCluster c;
  private Process haproxy;

  @AfterEach
  void stopAll() throws InterruptedException {
    if (haproxy != null) {
      haproxy.destroyForcibly();
      haproxy.waitFor(10, TimeUnit.SECONDS);
    }
    if (c != null) c.close();
  }

  @Test
  void proxyFollowsTheLeaderForApiAndPeerTraffic() throws Exception {
    Optional<Path> bin = onPath("haproxy");
    assumeTrue(bin.isPresent(), "install haproxy (apt-get install -y haproxy) to run this test");

    c = NodeCluster.startWithoutChannel(dir, "HAProxyFailoverTest");
    int[] ports = freePorts(2);
    int peerPort = ports[0];
    int apiPort = ports[1];
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, render(Files.readString(EXAMPLE), c.layout.configs(), peerPort, apiPort));
    Process check = new ProcessBuilder(bin.get().toString(), "-c", "-f", cfg.toString()).redirectErrorStream(true).start();
    assertThat(check.waitFor(30, TimeUnit.SECONDS)).as("haproxy -c finished").isTrue();
    String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.exitValue()).as("haproxy -c -f " + cfg + ":\n" + checkOut).isZero();
    haproxy = new ProcessBuilder(bin.get().toString(), "-db", "-f", cfg.toString(), "-p", dir.resolve("haproxy.pid").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    await("haproxy listening on 127.0.0.1:" + apiPort, () -> {
      assertThat(haproxy.isAlive()).as("haproxy exited; see " + dir.resolve("haproxy.log")).isTrue();
      try (Socket s = new Socket("127.0.0.1", apiPort)) {
        return true;
      }
    });

    // API calls through the proxy reach the ready leader, reads and writes.
    ApiClient via = new ApiClient("127.0.0.1:" + apiPort, Files.readString(c.layout.apiTokenFile()).trim());
    NodeProcess leader = c.awaitReadyLeader(Optional.empty());
    long epoch = leader.ok("GET", "/v1/info", null).get("epoch").asLong();
    await("the proxy routes the API to the ready leader", () -> routedTo(via, epoch));
    assertSteadilyRoutedTo(via, epoch);
    assertThat(via.call("POST", "/v1/invoices", Map.of("amount_msat", 1_000, "description", "via haproxy")).status())
        .as("a write through the proxy").isEqualTo(201);

    // The counterparty dials the node through the proxy's peer port (BOLT 8 to the shared node id).
    c.cp.ok("POST", "/v1/peers", Map.of("node_id", c.clusterId, "host", "127.0.0.1", "port", peerPort));
    await("counterparty connected through the proxy", () -> connected(c.cp, c.clusterId) && connected(leader, c.cpId));

    // SIGKILL of the leader: the proxy follows the new leader.
    long killAt = System.nanoTime();
    leader.kill();
    long[] readyMs = {-1};
    long[] routedMs = {-1};
    await("a new ready leader, and the proxy routing the API to it", () -> {
      // Asked again on every poll: on a starved machine leadership may move once more.
      Optional<NodeProcess> n = c.readyLeader(Optional.of(leader));
      if (n.isEmpty()) return false;
      if (readyMs[0] < 0) readyMs[0] = NodeCluster.msSince(killAt);
      long e = n.get().ok("GET", "/v1/info", null).get("epoch").asLong();
      if (!routedTo(via, e)) return false;
      routedMs[0] = NodeCluster.msSince(killAt);
      return true;
    });
    await("counterparty reconnected through the proxy", () -> connected(c.cp, c.clusterId)
        && c.readyLeader(Optional.of(leader)).map(l -> {
          try {
            return connected(l, c.cpId);
          } catch (Exception e) {
            return false;
          }
        }).orElse(false));
    long reconnectedMs = NodeCluster.msSince(killAt);
    System.out.printf("haproxy failover: kill -> new leader ready %d ms, -> API routed to it %d ms,"
        + " -> counterparty reconnected through haproxy %d ms%n", readyMs[0], routedMs[0], reconnectedMs);

    long newEpoch = via.ok("GET", "/v1/info", null).get("epoch").asLong();
    assertThat(newEpoch).as("the epoch behind the proxy after the kill").isGreaterThan(epoch);
    assertThat(routedMs[0] - readyMs[0]).as("ms from the new leader being ready to the proxy routing to it")
        .isLessThanOrEqualTo(MAX_ROUTING_LAG_MS);
    assertSteadilyRoutedTo(via, newEpoch);
    JsonNode info = via.ok("GET", "/v1/info", null);
    assertThat(info.get("node_id").asText()).as("same node id through the proxy").isEqualTo(c.clusterId);
    assertThat(via.call("POST", "/v1/invoices", Map.of("amount_msat", 2_000, "description", "via haproxy, after")).status())
        .as("a write through the proxy after the failover").isEqualTo(201);
    assertThat(haproxy.isAlive()).isTrue();
  }

  /** Whether an API call through the proxy is answered by the ready leader of {@code epoch}. */
  private static boolean routedTo(ApiClient via, long epoch) {
    try {
      ApiClient.Reply r = via.call("GET", "/v1/info", null);
      return r.status() == 200 && r.body().get("role").asText().equals("leader_ready") && r.body().get("epoch").asLong() == epoch;
    } catch (Exception e) {
      return false; // a pooled connection the proxy cut, or the proxy has no server UP yet
    }
  }

  /** Ten calls in a row answered by the ready leader of {@code epoch} (or a later one). */
  private static void assertSteadilyRoutedTo(ApiClient via, long epoch) throws Exception {
    for (int i = 0; i < 10; i++) {
      JsonNode info = via.ok("GET", "/v1/info", null);
      assertThat(info.get("role").asText()).as("call " + i + " through the proxy: " + info).isEqualTo("leader_ready");
      assertThat(info.get("epoch").asLong()).as("call " + i + " through the proxy: " + info).isGreaterThanOrEqualTo(epoch);
    }
  }

  private static final Pattern SERVER = Pattern.compile(
      "^(\\s*server r([1-3]) )10\\.0\\.0\\.([1-3]):(9735|8080)( check port )8080( .*)$");

  /**
   * The example with the cluster's loopback addresses: each {@code server rN 10.0.0.N:PORT check
   * port 8080} gets replica N's peer (9735) or API (8080) address and its API port for the check;
   * {@code bind :9735} / {@code bind :8080} become the given loopback ports; the {@code global}
   * lines marked "host only" (chroot, user, log socket, stats socket) are left out, and haproxy
   * logs to stderr instead. Everything else is the example as written. Fails if the example no
   * longer has that shape.
   */
  public static String render(String example, List<ReplicaConfig> replicas, int peerPort, int apiPort) {
    List<String> out = new ArrayList<>();
    int servers = 0;
    int binds = 0;
    for (String line : example.split("\n", -1)) {
      Matcher m = SERVER.matcher(line);
      if (line.contains("# host only")) {
        out.add("#" + line);
      } else if (line.trim().equals("global")) {
        out.add(line);
        out.add("    log stderr format raw local0 info");
      } else if (m.matches()) {
        int n = Integer.parseInt(m.group(2));
        assertThat(m.group(3)).as("server r" + n + " is on 10.0.0." + n + " in the example").isEqualTo(Integer.toString(n));
        ReplicaConfig r = replicas.get(n - 1);
        String target = m.group(4).equals("9735") ? r.self().peer().toString() : r.self().api().toString();
        out.add(m.group(1) + target + m.group(5) + r.self().api().port() + m.group(6));
        servers++;
      } else if (line.trim().startsWith("bind :9735")) {
        out.add(line.replace("bind :9735", "bind 127.0.0.1:" + peerPort));
        binds++;
      } else if (line.trim().startsWith("bind :8080")) {
        out.add(line.replace("bind :8080", "bind 127.0.0.1:" + apiPort));
        binds++;
      } else {
        out.add(line);
      }
    }
    String text = String.join("\n", out);
    assertThat(servers).as("server lines rendered (3 peer + 3 API) in " + EXAMPLE).isEqualTo(6);
    assertThat(binds).as("bind lines rendered (peer + API) in " + EXAMPLE).isEqualTo(2);
    for (String line : out) {
      String code = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
      assertThat(code).as("an example address left after rendering " + EXAMPLE).doesNotContain("10.0.0.");
    }
    return text;
  }

  public static Optional<Path> onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (d.isEmpty()) continue;
      Path p = Path.of(d, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  private static int[] freePorts(int n) throws Exception {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : held) s.close();
    }
  }
}
