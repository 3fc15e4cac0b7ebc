package io.lnraft.node.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.node.cli.LnraftCli;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One `lnraft node` process (a replica with its Lightning node) and a client of its REST API. */
final class NodeProcess implements AutoCloseable {

  final String name;
  final Path config;
  final String apiBase;
  final String token;
  final List<String> bitcoindArgs;
  final Path logFile;
  Process process;
  /** JVM options of the current process (e.g. a fault-injection system property). */
  volatile List<String> jvmArgs = List.of();
  /** The fault-injection line the current process printed before it halted, if it did. */
  volatile String crashLine;
  /** The last "fault injection: commit cycle N" line of the current process. */
  volatile String lastCycleLine;
  private volatile Thread reader;
  /** Words put before `java` (e.g. `ip netns exec NS`); the process keeps the pid (exec). */
  volatile List<String> commandPrefix = List.of();

  NodeProcess(String name, Path config, String api, Path tokenFile, List<String> bitcoindArgs, Path logDir) throws Exception {
    this.name = name;
    this.config = config;
    this.apiBase = "http://" + api;
    this.token = Files.readString(tokenFile).trim();
    this.bitcoindArgs = bitcoindArgs;
    this.logFile = logDir.resolve(name + ".log");
  }

  void start() throws Exception {
    start(List.of());
  }

  /** Starts the process with extra JVM options (system properties such as -Dlnraft.fault.crash=...). */
  void start(List<String> extraJvmArgs) throws Exception {
    Path tmp = Files.createDirectories(logFile.resolveSibling(name + "-tmp"));
    List<String> cmd = new ArrayList<>(commandPrefix);
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:TieredStopAtLevel=1", "-DLNRAFT_TEST_LOG=" + System.getProperty("LNRAFT_TEST_LOG", "INFO"),
        "-Djava.io.tmpdir=" + tmp)); // own copy of LDK's native library
    cmd.addAll(extraJvmArgs);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LnraftCli.class.getName(), "node", "--config",
        config.toString()));
    cmd.addAll(bitcoindArgs);
    jvmArgs = List.copyOf(extraJvmArgs);
    crashLine = null;
    lastCycleLine = null;
    Files.writeString(logFile, "==== " + java.time.Instant.now() + " start " + name + " " + extraJvmArgs + System.lineSeparator(),
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    process = p;
    CompletableFuture<Boolean> started = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
           var out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
               java.nio.file.StandardOpenOption.APPEND)) {
        for (String line; (line = r.readLine()) != null; ) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.startsWith("node ") && line.contains(" started ")) started.complete(true);
          if (line.startsWith("fault injection: crashing at ")) crashLine = line;
          else if (line.startsWith("fault injection: commit cycle ")) lastCycleLine = line;
        }
      } catch (Exception ignored) {
        // process ended
      }
      started.complete(false);
    }, name + "-out");
    t.setDaemon(true);
    t.start();
    reader = t;
    if (!started.get(90, TimeUnit.SECONDS)) {
      // The temp dir (and the log) goes with the test: put the log's end into the failure itself.
      List<String> lines;
      try {
        lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        lines = List.of("(log unreadable: " + e + ")");
      }
      Long exit = p.isAlive() ? null : (long) p.exitValue();
      throw new IllegalStateException(name + " exited before it started (exit code " + exit + "); last lines of "
          + logFile + ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
    }
  }

  /** SIGTERM: the shutdown hook stops the node and the replica (a graceful leader handover). */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) kill();
  }

  void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** After the process ended: waits until its output is read to the end (so {@link #crashLine} is set). */
  void awaitOutputDrained() throws InterruptedException {
    Thread t = reader;
    if (t != null) t.join(5_000);
  }

  long pid() {
    return process.pid();
  }

  /** Sends a signal by name (STOP, CONT) with kill(1); bounded. */
  void signal(String name) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true).start();
    if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + pid() + " failed: " + new String(k.getInputStream().readAllBytes()));
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** The operator API of this process, through the product's own client. */
  private io.lnraft.node.demo.ApiClient api() {
    return new io.lnraft.node.demo.ApiClient(apiBase.substring("http://".length()), token);
  }

  boolean ready() {
    return api().ready();
  }

  record Reply(int status, JsonNode body) {}

  Reply call(String method, String path, Object body) throws Exception {
    io.lnraft.node.demo.ApiClient.Reply r = api().call(method, path, body);
    return new Reply(r.status(), r.body());
  }

  JsonNode ok(String method, String path, Object body) throws Exception {
    Reply r = call(method, path, body);
    if (r.status() / 100 != 2) throw new IllegalStateException(name + " " + method + " " + path + " -> " + r.status() + " " + r.body());
    return r.body();
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
