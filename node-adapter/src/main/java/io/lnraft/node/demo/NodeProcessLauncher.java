package io.lnraft.node.demo;

import io.lnraft.node.cli.LnraftCli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts `lnraft node` in its own JVM (same classpath), logs to a file, waits for its start line. */
public final class NodeProcessLauncher {
  private final String name;
  private final Path config;
  private final List<String> extraArgs;
  private final Path log;
  private final Path tmp;
  private Process process;

  public NodeProcessLauncher(String name, Path config, List<String> extraArgs, Path logDir) {
    this.name = name;
    this.config = config;
    this.extraArgs = List.copyOf(extraArgs);
    this.log = logDir.resolve(name + ".log");
    this.tmp = logDir.resolve(name + "-tmp");
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public void start() throws IOException, InterruptedException {
    Files.createDirectories(tmp);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:TieredStopAtLevel=1",
        "-Djava.io.tmpdir=" + tmp, // each JVM extracts its own copy of LDK's native library
        "-cp", System.getProperty("java.class.path"), LnraftCli.class.getName(), "node", "--config", config.toString()));
    cmd.addAll(extraArgs);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    process = p;
    CompletableFuture<Boolean> started = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
           var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        for (String line; (line = r.readLine()) != null; ) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.startsWith("node ") && line.contains(" started ")) started.complete(true);
        }
      } catch (IOException ignored) {
        // the process ended
      }
      started.complete(false);
    }, name + "-output");
    t.setDaemon(true);
    t.start();
    try {
      if (!started.get(120, TimeUnit.SECONDS)) throw new IllegalStateException(name + " exited at start; see " + log);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(name + " did not start within 120 s; see " + log, e);
    }
  }

  /** SIGKILL, as a machine loss looks to the others. */
  public void kill() throws InterruptedException {
    if (process == null) return;
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  public void stop() {
    if (process == null) return;
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
