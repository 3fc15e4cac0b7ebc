package io.lnraft.node.faults;

import io.lnraft.config.ConfigLoader;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.e2e.Placement;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Each replica in its own network namespace, joined by a veth pair to one bridge in the root
 * namespace (10.X.Y.0/24, only addresses inside this machine). The bridge holds 10.X.Y.1, where
 * the counterparty listens and a relay forwards to the chain simulator; replica i gets
 * 10.X.Y.(11+i). {@link #isolate} takes a replica's veth off the bridge (it then reaches no one
 * and no one reaches it; its sockets stay open, packets are lost), {@link #heal} puts it back.
 * Names carry a random run id; {@link #close} deletes the namespaces (and with them the veths),
 * the bridge and the relay, and is safe to call twice or after a failed {@link #create}.
 */
final class NetworkNamespaces implements Placement {
  /** Why namespaces cannot be made here, or empty if they can (root and `ip` present). */
  static Optional<String> unavailable() {
    if (!"0".equals(run(false, "id", "-u").trim())) {
      return Optional.of("network namespaces need root (run the tests as root)");
    }
    if (run(false, "ip", "-V").isEmpty()) return Optional.of("`ip` is missing: apt-get install -y iproute2");
    return Optional.empty();
  }

  final String id;
  final String bridge;
  final String subnet; // "10.X.Y."
  final List<String> namespaces = new ArrayList<>();
  final List<String> veths = new ArrayList<>();
  private final int replicas;
  private ServerSocket relay;
  private final List<Socket> relayed = new java.util.concurrent.CopyOnWriteArrayList<>();
  private boolean closed;

  private NetworkNamespaces(int replicas) {
    this.replicas = replicas;
    byte[] b = new byte[2];
    new SecureRandom().nextBytes(b);
    id = HexFormat.of().formatHex(b);
    bridge = "lnfb" + id;
    subnet = "10." + (200 + (b[0] & 0xff) % 50) + "." + (b[1] & 0xff) + ".";
  }

  /** Makes the bridge and one namespace per replica; on any failure deletes what it made and throws. */
  static NetworkNamespaces create(int replicas) {
    NetworkNamespaces n = new NetworkNamespaces(replicas);
    try {
      if (run(false, "ip", "-4", "addr").contains(n.subnet)) {
        throw new IllegalStateException("subnet " + n.subnet + "0/24 already in use here; run again");
      }
      run(true, "ip", "link", "add", n.bridge, "type", "bridge");
      run(true, "ip", "addr", "add", n.rootHost() + "/24", "dev", n.bridge);
      run(true, "ip", "link", "set", n.bridge, "up");
      for (int i = 0; i < replicas; i++) {
        String ns = "lnf-" + n.id + "-r" + (i + 1);
        String veth = "lnf" + n.id + "r" + (i + 1);
        run(true, "ip", "netns", "add", ns);
        n.namespaces.add(ns);
        run(true, "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        n.veths.add(veth);
        run(true, "ip", "link", "set", veth, "master", n.bridge, "up");
        run(true, "ip", "-n", ns, "addr", "add", n.replicaHost(i) + "/24", "dev", "eth0");
        run(true, "ip", "-n", ns, "link", "set", "eth0", "up");
        run(true, "ip", "-n", ns, "link", "set", "lo", "up");
      }
      return n;
    } catch (RuntimeException e) {
      n.close();
      throw e;
    }
  }

  String rootHost() {
    return subnet + "1";
  }

  String replicaHost(int index) {
    return subnet + (11 + index);
  }

  /** Cuts replica {@code index} off from every other process (its veth leaves the bridge). */
  void isolate(int index) {
    run(true, "ip", "link", "set", veths.get(index), "nomaster");
  }

  /** Reconnects replica {@code index}. */
  void heal(int index) {
    run(true, "ip", "link", "set", veths.get(index), "master", bridge);
  }

  // ---- Placement ----

  @Override
  public LocalClusterLayout.Options clusterOptions() {
    // Certificates name the generated host; the replicas move to their own addresses below, so no TLS here.
    return LocalClusterLayout.Options.defaults().withTls(false);
  }

  @Override
  public LocalClusterLayout place(LocalClusterLayout generated) throws IOException {
    List<String> texts = new ArrayList<>();
    for (Path f : generated.configFiles()) texts.add(Files.readString(f, StandardCharsets.UTF_8));
    for (int i = 0; i < generated.configs().size(); i++) {
      ReplicaConfig c = generated.configs().get(i);
      for (var hp : List.of(c.self().raft(), c.self().peer(), c.self().api())) {
        for (int k = 0; k < texts.size(); k++) {
          texts.set(k, texts.get(k).replace("\"" + hp + "\"", "\"" + replicaHost(i) + ":" + hp.port() + "\""));
        }
      }
    }
    List<ReplicaConfig> loaded = new ArrayList<>();
    for (int k = 0; k < texts.size(); k++) {
      Files.writeString(generated.configFiles().get(k), texts.get(k), StandardCharsets.UTF_8);
      loaded.add(ConfigLoader.load(generated.configFiles().get(k)));
      if (!loaded.get(k).self().raft().host().equals(replicaHost(k))) {
        throw new IllegalStateException("could not move " + generated.configFiles().get(k) + " to " + replicaHost(k));
      }
    }
    return new LocalClusterLayout(generated.dir(), generated.configFiles(), loaded, generated.seedFile(),
        generated.apiTokenFile());
  }

  @Override
  public List<String> commandPrefix(int index) {
    return List.of("ip", "netns", "exec", namespaces.get(index));
  }

  @Override
  public String counterpartyHost() {
    return rootHost();
  }

  @Override
  public synchronized Optional<String> chainUrl(InetSocketAddress simulator) throws IOException {
    relay = new ServerSocket(0, 50, InetAddress.getByName(rootHost()));
    Thread t = new Thread(() -> {
      while (!relay.isClosed()) {
        try {
          Socket in = relay.accept();
          Socket out = new Socket(simulator.getAddress(), simulator.getPort());
          relayed.add(in);
          relayed.add(out);
          pump(in, out);
          pump(out, in);
        } catch (IOException e) {
          // closed, or the simulator went away: the next accept decides
        }
      }
    }, "chain-relay-" + id);
    t.setDaemon(true);
    t.start();
    return Optional.of("http://" + rootHost() + ":" + relay.getLocalPort() + "/");
  }

  private static void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }, "chain-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    try {
      if (relay != null) relay.close();
      for (Socket s : relayed) s.close();
    } catch (IOException ignored) {
      // closing
    }
    for (String ns : namespaces) run(false, "ip", "netns", "del", ns);
    for (String v : veths) run(false, "ip", "link", "del", v); // normally gone with its namespace
    run(false, "ip", "link", "del", bridge);
  }

  /** Runs a command (bounded, 10 s); with {@code check}, a non-zero exit throws with its output. */
  static String run(boolean check, String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 10 s");
      }
      if (check && p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out.trim());
      }
      return out;
    } catch (IOException e) {
      if (check) throw new IllegalStateException(String.join(" ", cmd) + " could not run: " + e.getMessage(), e);
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
    }
  }
}
