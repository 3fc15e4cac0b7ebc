package io.lnraft.bench;

import io.lnraft.config.ConfigLoader;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.store.LeadershipListener;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.StoreMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bench's private launcher of ONE replica in its own JVM (so the harness does not depend on
 * the product's {@code lnraft replica} command, which is written elsewhere).
 *
 * <pre>
 * java -cp ... io.lnraft.bench.ReplicaProcess &lt;replica.conf&gt; [--ratis key=value]...
 * </pre>
 *
 * <p>Protocol on stdout, one line each (the harness parses these; everything else goes to
 * stderr through logback):
 * <ul>
 *   <li>{@code SETTING key=value}: effective Ratis properties that matter for latency;
 *   <li>{@code READY <replicaId> <rpcType> <raftHostPort>} once the Ratis server is started;
 *   <li>{@code LEADER <replicaId> <term>} / {@code NOT_LEADER <replicaId> <term>} on leadership
 *       events (LEADER = ready leader: its first entry of the term is applied).
 * </ul>
 * <p>On stdin it takes {@code WRITE ...} lines: run the harness's writers inside this JVM
 * ({@link LocalWriters}, answered by {@code RESULT ...} or {@code WRITE_FAILED ...}).
 * Exits when stdin reaches EOF (the harness closed it or died) or on SIGTERM; both close the
 * server, bounded to 10 s.
 */
public final class ReplicaProcess {
  private ReplicaProcess() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-bench.xml");
    }
    if (args.length < 1 || args[0].startsWith("--")) {
      System.err.println("usage: ReplicaProcess <replica.conf> [--ratis key=value]...");
      System.exit(2);
    }
    Path configFile = Path.of(args[0]);
    Map<String, String> overrides = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--ratis") && i + 1 < args.length) {
        putOverride(overrides, args[++i]);
      } else if (args[i].startsWith("--ratis=")) {
        putOverride(overrides, args[i].substring("--ratis=".length()));
      } else {
        System.err.println("unknown argument: " + args[i]);
        System.exit(2);
      }
    }

    PrintStream out = System.out;
    ReplicaConfig cfg = ConfigLoader.load(configFile);
    ReplicaServer server = ReplicaServer.start(cfg, StoreMetrics.inMemory(), overrides);
    AtomicBoolean closed = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeBounded(server, closed), "replica-shutdown"));

    server.addLeadershipListener(new LeadershipListener() {
      @Override
      public void onReadyLeader(long term) {
        line(out, "LEADER " + cfg.replicaId() + " " + term);
      }

      @Override
      public void onNotLeader(long term) {
        line(out, "NOT_LEADER " + cfg.replicaId() + " " + term);
      }
    });
    RatisSettings.effective(server.properties()).forEach((k, v) -> line(out, "SETTING " + k + "=" + v));
    line(out, "READY " + cfg.replicaId() + " " + cfg.raft().rpcType() + " " + cfg.self().raft());
    // The listener may have missed an election won before it was registered.
    if (server.isReadyLeader()) line(out, "LEADER " + cfg.replicaId() + " " + server.currentTerm());

    // Serve WRITE requests (writers inside this JVM, see LocalWriters) until the harness closes our
    // stdin (or dies): then exit, which runs the hook.
    try (java.io.BufferedReader in = new java.io.BufferedReader(
        new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))) {
      String cmd;
      while ((cmd = in.readLine()) != null) {
        String[] f = cmd.trim().split(" ");
        if (f[0].equals("WRITE") && f.length == 8) {
          Thread t = new Thread(() -> {
            String result;
            try {
              result = LocalWriters.run(server, f);
            } catch (Exception e) {
              result = "WRITE_FAILED " + e;
            }
            line(out, result.replace('\n', ' '));
          }, "local-writers");
          t.setDaemon(true);
          t.start();
        } else if (!f[0].isEmpty()) {
          System.err.println("ignoring unknown request on stdin: " + cmd);
        }
      }
    } catch (IOException ignored) {
      // a broken pipe means the harness is gone: exit as on EOF
    }
    System.exit(0);
  }

  private static void putOverride(Map<String, String> overrides, String kv) {
    int eq = kv.indexOf('=');
    if (eq <= 0) throw new IllegalArgumentException("--ratis wants key=value, got " + kv);
    overrides.put(kv.substring(0, eq), kv.substring(eq + 1));
  }

  private static synchronized void line(PrintStream out, String s) {
    out.println(s);
    out.flush();
  }

  private static void closeBounded(ReplicaServer server, AtomicBoolean closed) {
    if (!closed.compareAndSet(false, true)) return;
    Thread t = new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("closing the replica failed: " + e);
      }
    }, "replica-close");
    t.setDaemon(true);
    t.start();
    try {
      t.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
