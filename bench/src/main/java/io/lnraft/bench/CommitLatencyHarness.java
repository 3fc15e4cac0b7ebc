package io.lnraft.bench;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.RpcType;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.WriterEpoch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Commit latency of the replicated store, 3 replicas in 3 separate JVMs on loopback, for
 * transport {grpc, netty} x writers {1, 16}, plus an fdatasync baseline of the same disk.
 *
 * <p>Each writer owns one channel and loops (closed loop: next commit after the previous reply)
 * {@code commit(epoch, [AppendMonitorUpdate(ch, ++u, 400 B), PutManager(4096 B)])}, the shape of
 * one payment commit. Latency is client side, from just before {@code commit()} to the reply
 * (ops are built before the clock starts). Not corrected for coordinated omission (closed loop):
 * it is service time under N concurrent writers.
 *
 * <p>Run: {@code bench/run.sh [--short] [--seconds N] ...}; {@code --help} lists the options.
 */
public final class CommitLatencyHarness {
  private static final PrintStream OUT = System.out;

  /** Command line options. */
  static final class Options {
    // The 3 replica JVMs + this one JIT-compile Ratis/gRPC/Netty/protobuf on 2 cores: C2 was still busy
    // 20-30 s into a run on the reference box, so the default warm-up is long.
    int warmupSeconds = 15;
    int seconds = 20;
    List<RpcType> transports = List.of(RpcType.GRPC, RpcType.NETTY);
    List<Integer> writers = List.of(1, 16);
    /** rpc: writers in this JVM through the Ratis client; local: writers inside the leader replica's JVM. */
    List<String> submit = List.of("rpc");
    int updateBytes = 400;
    int managerBytes = 4096;
    int fsyncBytes = 4096;
    boolean fsyncBaseline = true;
    int idleSeconds = 5;
    String heap = "512m";
    List<String> jvmArgs = new ArrayList<>();
    Path dir;
    boolean keep;
    Map<String, String> ratis = new LinkedHashMap<>();

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String v = null;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0 && !a.startsWith("--ratis=")) {
          v = a.substring(eq + 1);
          a = a.substring(0, eq);
        }
        switch (a) {
          case "--short" -> {
            o.warmupSeconds = 3;
            o.seconds = 5;
            o.idleSeconds = 3;
          }
          case "--seconds" -> o.seconds = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--warmup" -> o.warmupSeconds = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--transports" -> o.transports = parseList(v != null ? v : next(args, ++i, a)).stream()
              .map(s -> RpcType.valueOf(s.toUpperCase(Locale.ROOT))).toList();
          case "--writers" -> o.writers = parseList(v != null ? v : next(args, ++i, a)).stream()
              .map(Integer::parseInt).toList();
          case "--submit" -> o.submit = parseList(v != null ? v : next(args, ++i, a)).stream()
              .map(x -> x.toLowerCase(Locale.ROOT)).toList();
          case "--update-bytes" -> o.updateBytes = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--manager-bytes" -> o.managerBytes = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--no-fsync-baseline" -> o.fsyncBaseline = false;
          case "--heap" -> o.heap = v != null ? v : next(args, ++i, a);
          case "--jvm-arg" -> o.jvmArgs.add(v != null ? v : next(args, ++i, a));
          case "--dir" -> o.dir = Path.of(v != null ? v : next(args, ++i, a));
          case "--keep" -> o.keep = true;
          case "--ratis" -> putRatis(o, next(args, ++i, a));
          case "--help", "-h" -> {
            usage(OUT);
            System.exit(0);
          }
          default -> {
            if (a.startsWith("--ratis=")) {
              putRatis(o, a.substring("--ratis=".length()));
            } else {
              System.err.println("unknown option: " + args[i]);
              usage(System.err);
              System.exit(2);
            }
          }
        }
      }
      if (o.seconds < 1 || o.warmupSeconds < 0 || o.writers.isEmpty() || o.transports.isEmpty()) {
        throw new IllegalArgumentException("need --seconds >= 1, --warmup >= 0, some writers and transports");
    }
    if (o.submit.isEmpty() || !List.of("rpc", "local").containsAll(o.submit)) {
      throw new IllegalArgumentException("--submit wants rpc, local or rpc,local, got " + o.submit);
      }
      return o;
    }

    private static String next(String[] args, int i, String opt) {
      if (i >= args.length) throw new IllegalArgumentException(opt + " needs a value");
      return args[i];
    }

    private static List<String> parseList(String s) {
      return List.of(s.split(",")).stream().map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static void putRatis(Options o, String kv) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--ratis wants key=value, got " + kv);
      o.ratis.put(kv.substring(0, eq), kv.substring(eq + 1));
    }

    static void usage(PrintStream p) {
      p.println("""
          usage: CommitLatencyHarness [options]
            --short                 3 s warm-up + 5 s measured per configuration (whole run < 3 min)
            --seconds N             measured seconds per configuration (default 20)
            --warmup N              warm-up seconds per configuration (default 15: JIT of 4 JVMs on 2 cores)
            --transports grpc,netty transports to measure (default both)
            --writers 1,16          concurrent writers to measure (default 1,16; e.g. 1,16,64)
            --submit rpc,local      rpc: writers here, through the Ratis client (default); local: writers
                                    inside the leader replica's JVM, submitting into its Raft server
            --update-bytes N        AppendMonitorUpdate payload (default 400)
            --manager-bytes N       PutManager payload (default 4096)
            --no-fsync-baseline     skip the FileChannel append+force baseline
            --heap SIZE             -Xmx of each replica JVM (default 512m)
            --jvm-arg ARG           extra JVM argument for each replica JVM (repeatable)
            --ratis key=value       raw Ratis property for replicas and client (repeatable)
            --dir PATH              work directory (default: a new temp dir); deleted at the end
            --keep                  keep the work directory (replica logs, Raft logs)""");
    }
  }

  /** One measured configuration. */
  record Result(String name, String transport, int writers, Histogram h, double seconds, long errors, String load,
      Cpu.Usage cpu) {
    double rate() {
      return h.getTotalCount() / seconds;
    }
  }

  private final Options opt;
  private final Path base;
  private final List<Replica> running = new CopyOnWriteArrayList<>();
  private final AtomicBoolean cleanedUp = new AtomicBoolean();
  private final Map<RpcType, Map<String, String>> settings = new LinkedHashMap<>();

  private CommitLatencyHarness(Options opt, Path base) {
    this.opt = opt;
    this.base = base;
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-bench.xml");
    }
    Options opt = Options.parse(args);
    Path base = opt.dir != null ? Files.createDirectories(opt.dir) : Files.createTempDirectory("lnraft-bench-");
    CommitLatencyHarness h = new CommitLatencyHarness(opt, base);
    Thread hook = new Thread(h::cleanup, "bench-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    int rc = 0;
    long t0 = System.nanoTime();
    try {
      h.run(args);
    } catch (Throwable t) {
      rc = 1;
      System.err.println("benchmark FAILED: " + t);
      t.printStackTrace();
      h.dumpReplicaLogs();
    } finally {
      h.cleanup();
      OUT.printf(Locale.ROOT, "wall time: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
    // Ratis client threads may be non-daemon: exit explicitly.
    System.exit(rc);
  }

  private void run(String[] args) throws Exception {
    OUT.println("# lnraft commit latency harness");
    OUT.println("date: " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    OUT.println("args: " + String.join(" ", args));
    OUT.println("machine: " + Machine.describe());
    OUT.println("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + "; replica JVMs: -Xmx" + opt.heap + " " + String.join(" ", opt.jvmArgs) + " (default GC unless given)");
    OUT.println("work dir: " + base + " (filesystem: " + Machine.filesystemOf(base) + ")");
    OUT.printf(Locale.ROOT, "commit: AppendMonitorUpdate %d B + PutManager %d B; warm-up %d s, measured %d s per config%n",
        opt.updateBytes, opt.managerBytes, opt.warmupSeconds, opt.seconds);
    if (!opt.ratis.isEmpty()) OUT.println("ratis overrides: " + opt.ratis);
    OUT.println();

    List<Result> results = new ArrayList<>();
    if (opt.fsyncBaseline) {
      results.add(fsyncBaseline());
      OUT.println(row(results.get(results.size() - 1)));
    }
    for (RpcType t : opt.transports) {
      results.addAll(measureTransport(t));
    }

    OUT.println();
    OUT.println("## Effective Ratis settings (as reported by replica r1)");
    for (Map.Entry<RpcType, Map<String, String>> e : settings.entrySet()) {
      OUT.println("### " + e.getKey());
      e.getValue().forEach((k, v) -> OUT.println("- " + k + " = " + v));
    }
    OUT.println();
    OUT.println("## Results (latency in ms)");
    OUT.println(header());
    for (Result r : results) OUT.println(row(r));
  }

  // ---------------------------------------------------------------- fdatasync baseline

  private Result fsyncBaseline() throws IOException {
    OUT.printf(Locale.ROOT, "fdatasync baseline: append %d B + FileChannel.force(false), 1 writer ...%n", opt.fsyncBytes);
    Path f = base.resolve("fsync-baseline.dat");
    Histogram h = newHistogram();
    String load;
    long measured;
    Cpu.Usage usage;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      byte[] block = new byte[opt.fsyncBytes];
      ByteBuffer buf = ByteBuffer.wrap(block);
      long start = System.nanoTime();
      long measureFrom = start + TimeUnit.SECONDS.toNanos(opt.warmupSeconds);
      long end = measureFrom + TimeUnit.SECONDS.toNanos(opt.seconds);
      long now = start;
      Cpu.Sample before = null;
      while (now < end) {
        if (before == null && now >= measureFrom) before = Cpu.sample(List.of());
        ThreadLocalRandom.current().nextBytes(block);
        buf.clear();
        long a = System.nanoTime();
        while (buf.hasRemaining()) ch.write(buf);
        ch.force(false);
        now = System.nanoTime();
        if (a >= measureFrom) h.recordValue(now - a);
      }
      measured = now - measureFrom;
      load = Machine.loadAverage();
      usage = before == null ? null : Cpu.sample(List.of()).since(before);
    } finally {
      Files.deleteIfExists(f);
    }
    return new Result("fdatasync 4 KiB append", "-", 1, h, measured / 1e9, 0, load, usage);
  }

  // ---------------------------------------------------------------- one transport

  private List<Result> measureTransport(RpcType transport) throws Exception {
    String name = transport.name().toLowerCase(Locale.ROOT);
    OUT.println("== " + name + ": starting 3 replica JVMs");
    Path dir = base.resolve(name);
    LocalClusterLayout layout = LocalClusterLayout.generate(dir, 3,
        LocalClusterLayout.Options.defaults().withClusterId("bench-" + name).withRpcType(transport));
    List<Replica> replicas = new ArrayList<>();
    try {
      for (int i = 0; i < layout.configFiles().size(); i++) {
        Replica r = Replica.start(layout.configs().get(i).replicaId(), layout.configFiles().get(i), dir, opt);
        replicas.add(r);
        running.add(r);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (Replica r : replicas) r.awaitReady(deadline);
      settings.put(transport, replicas.get(0).settings);
      Leader leader = awaitLeader(replicas, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
      OUT.println("   leader " + leader.id + " (term " + leader.term + ")");

      ReplicaConfig cfg = layout.configs().get(0);
      List<Result> results = new ArrayList<>();
      try (RaftStoreClient client = new RaftStoreClient(RaftGroups.group(cfg),
          RaftTuning.properties(cfg.raft(), cfg.snapshot(), opt.ratis), Duration.ofSeconds(10), StoreMetrics.inMemory())) {
        long epoch = acquireEpoch(client, replicas, leader);
        OUT.println("   writer epoch " + epoch);
        List<Long> pids = replicas.stream().map(x -> x.process.pid()).toList();
        for (String submit : opt.submit) {
          for (int w : opt.writers) {
            Result r = submit.equals("local")
                ? measureLocalWriters(replicas.stream().filter(x -> x.id.equals(leader.id)).findFirst().orElseThrow(),
                    epoch, name, w, pids)
                : measureWriters(client, epoch, name, w, pids);
            results.add(r);
            OUT.println(row(r));
          }
        }
        // What the group burns with no commits at all (heartbeats, timers, leftover JIT): if this is
        // a large part of the loaded CPU, per-commit CPU is overstated.
        Thread.sleep(2000);
        Cpu.Sample before = Cpu.sample(pids);
        Thread.sleep(TimeUnit.SECONDS.toMillis(opt.idleSeconds));
        Cpu.Usage idle = Cpu.sample(pids).since(before);
        Result r = new Result(name + " idle (no commits)", name, 0, newHistogram(), opt.idleSeconds, 0,
            Machine.loadAverage(), idle);
        results.add(r);
        OUT.println(row(r));
      }
      return results;
    } finally {
      for (Replica r : replicas) {
        r.stop();
        running.remove(r);
      }
    }
  }

  private record Leader(String id, long term) {}

  private static Leader awaitLeader(List<Replica> replicas, long deadline) throws InterruptedException {
    while (System.nanoTime() < deadline) {
      Leader best = null;
      for (Replica r : replicas) {
        Leader l = r.leader.get();
        if (l != null && (best == null || l.term > best.term)) best = l;
        if (r.exited()) throw new IllegalStateException("replica " + r.id + " exited with " + r.process.exitValue());
      }
      if (best != null) return best;
      Thread.sleep(20);
    }
    throw new IllegalStateException("no ready leader within 30 s");
  }

  /** AcquireEpoch for the current leader's term; retried (bounded) if the term moved meanwhile. */
  private static long acquireEpoch(RaftStoreClient client, List<Replica> replicas, Leader leader) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        WriterEpoch e = client.acquireEpoch(leader.id, leader.term).get(15, TimeUnit.SECONDS);
        return e.getEpoch();
      } catch (Exception e) {
        last = e;
        Thread.sleep(500);
        leader = awaitLeader(replicas, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
      }
    }
    throw new IllegalStateException("could not acquire a writer epoch", last);
  }

  // ---------------------------------------------------------------- writers

  private Result measureWriters(RaftStoreClient client, long epoch, String transport, int writers, List<Long> replicaPids)
      throws Exception {
    // Each writer gets a fresh channel (base monitor at update 0) so update ids start at 1.
    List<ChannelKey> channels = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      byte[] txid = new byte[32];
      ThreadLocalRandom.current().nextBytes(txid);
      ChannelKey ch = Ops.channel(txid, w);
      CommitOutcome o = client.commit(epoch, List.of(Ops.putBaseMonitor(ch, 0, random(opt.managerBytes))))
          .get(15, TimeUnit.SECONDS);
      if (!(o instanceof CommitOutcome.Committed)) throw new IllegalStateException("base monitor refused: " + o);
      channels.add(ch);
    }

    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(opt.warmupSeconds);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(opt.seconds);
    List<Histogram> hs = new ArrayList<>();
    long[] errors = new long[writers];
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Histogram h = newHistogram();
      hs.add(h);
      ChannelKey ch = channels.get(w);
      int idx = w;
      Thread t = new Thread(() -> {
        long updateId = 0;
        while (!stop.get() && System.nanoTime() < end) {
          List<Op> ops = List.of(Ops.appendMonitorUpdate(ch, updateId + 1, random(opt.updateBytes)),
              Ops.putManager(random(opt.managerBytes)));
          long a = System.nanoTime();
          CommitOutcome o;
          try {
            o = client.commit(epoch, ops).get(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            // Outcome unknown: this writer's update-id sequence is no longer known; stop it.
            errors[idx]++;
            firstError.compareAndSet(null, e);
            return;
          }
          long b = System.nanoTime();
          if (!(o instanceof CommitOutcome.Committed)) {
            errors[idx]++;
            firstError.compareAndSet(null, new IllegalStateException("commit refused: " + o));
            return;
          }
          updateId++;
          if (a >= measureFrom) h.recordValue(b - a);
        }
      }, "writer-" + w);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    sleepUntil(measureFrom);
    Cpu.Sample before = Cpu.sample(replicaPids);
    sleepUntil(end);
    Cpu.Usage usage = Cpu.sample(replicaPids).since(before);
    long joinDeadline = end + TimeUnit.SECONDS.toNanos(40);
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
    }
    stop.set(true);
    for (Thread t : threads) {
      if (t.isAlive()) throw new IllegalStateException("writer " + t.getName() + " did not finish within 40 s of the end");
    }
    Histogram all = newHistogram();
    hs.forEach(all::add);
    long errs = 0;
    for (long e : errors) errs += e;
    if (firstError.get() != null) {
      System.err.println("   " + errs + " writer(s) stopped on error; first: " + firstError.get());
    }
    // A commit counts when it started inside the measured window [measureFrom, end).
    double seconds = (end - measureFrom) / 1e9;
    return new Result(transport + " " + writers + "w", transport, writers, all, seconds, errs, Machine.loadAverage(), usage);
  }

  /** As {@link #measureWriters}, with the writers inside the leader's JVM ({@link LocalWriters}). */
  private Result measureLocalWriters(Replica leader, long epoch, String transport, int writers, List<Long> replicaPids)
      throws Exception {
    leader.writeResults.clear();
    leader.send(String.format(Locale.ROOT, "WRITE %d %d %d %d %d %d", epoch, writers,
        TimeUnit.SECONDS.toMillis(opt.warmupSeconds), TimeUnit.SECONDS.toMillis(opt.seconds), opt.updateBytes,
        opt.managerBytes));
    // The replica first writes one base monitor per writer (well under a second), then warms up.
    long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(opt.warmupSeconds);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(opt.seconds);
    sleepUntil(measureFrom);
    Cpu.Sample before = Cpu.sample(replicaPids);
    sleepUntil(end);
    Cpu.Usage usage = Cpu.sample(replicaPids).since(before);
    String answer = leader.writeResults.poll(90, TimeUnit.SECONDS);
    if (answer == null) throw new IllegalStateException("replica " + leader.id + " sent no RESULT within 90 s of the end");
    String[] f = answer.split(" ", 3);
    if (!f[0].equals("RESULT")) throw new IllegalStateException("replica " + leader.id + ": " + answer);
    long errs = Long.parseLong(f[1]);
    if (errs > 0) System.err.println("   " + errs + " local writer(s) stopped on error (see " + leader.id + ".log)");
    return new Result(transport + " local " + writers + "w", transport, writers, LocalWriters.decode(f[2]),
        opt.seconds, errs, Machine.loadAverage(), usage);
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private static Histogram newHistogram() {
    return new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
  }

  // ---------------------------------------------------------------- report

  static String header() {
    return "| configuration | writers | commits/s | p50 | p90 | p99 | p99.9 | max | samples | errors"
        + " | CPU cores busy: all / bench / others | bench CPU ms per op | load avg after |\n"
        + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|";
  }

  static String row(Result r) {
    Histogram h = r.h();
    Cpu.Usage u = r.cpu();
    String cpu = u == null ? "?" : String.format(Locale.ROOT, "%.2f / %.2f / %.2f", u.allCores(), u.benchCores(),
        Math.max(0, u.allCores() - u.benchCores()));
    String perOp = u == null || h.getTotalCount() == 0 ? "?"
        : String.format(Locale.ROOT, "%.2f", u.benchCores() * r.seconds() * 1000 / h.getTotalCount());
    if (h.getTotalCount() == 0) {
      return String.format(Locale.ROOT, "| %s | %d | 0 | - | - | - | - | - | 0 | %d | %s | - | %s |", r.name(), r.writers(),
          r.errors(), cpu, r.load());
    }
    return String.format(Locale.ROOT, "| %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %d | %s | %s | %s |",
        r.name(), r.writers(), r.rate(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), h.getTotalCount(),
        r.errors(), cpu, perOp, r.load());
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  // ---------------------------------------------------------------- processes and cleanup

  private void dumpReplicaLogs() {
    try (var files = Files.walk(base, 2)) {
      for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        System.err.println("---- last lines of " + base.relativize(p));
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
      }
    } catch (IOException | UncheckedIOException e) {
      System.err.println("(could not read replica logs: " + e + ")");
    }
  }

  private void cleanup() {
    if (!cleanedUp.compareAndSet(false, true)) return;
    for (Replica r : running) r.stop();
    running.clear();
    if (opt.keep) {
      OUT.println("kept " + base);
      return;
    }
    try {
      deleteTree(base);
    } catch (IOException e) {
      System.err.println("could not delete " + base + ": " + e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** One replica JVM: stdout parsed for the {@link ReplicaProcess} protocol, stderr to a log file. */
  static final class Replica {
    final String id;
    final Process process;
    final Map<String, String> settings = new LinkedHashMap<>();
    final AtomicReference<Leader> leader = new AtomicReference<>();
    /** RESULT / WRITE_FAILED lines: answers to {@link #send}ing a WRITE request. */
    final java.util.concurrent.BlockingQueue<String> writeResults = new java.util.concurrent.LinkedBlockingQueue<>();
    private volatile boolean ready;

    private Replica(String id, Process process) {
      this.id = id;
      this.process = process;
    }

    static Replica start(String id, Path configFile, Path dir, Options opt) throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + opt.heap,
          "-Dlogback.configurationFile=logback-bench.xml"));
      cmd.addAll(opt.jvmArgs);
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ReplicaProcess.class.getName(), configFile.toString()));
      opt.ratis.forEach((k, v) -> {
        cmd.add("--ratis");
        cmd.add(k + "=" + v);
      });
      Path log = dir.resolve(id + ".log");
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      Replica r = new Replica(id, p);
      Thread reader = new Thread(() -> r.readStdout(log), "stdout-" + id);
      reader.setDaemon(true);
      reader.start();
      return r;
    }

    private void readStdout(Path log) {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
           OutputStream copy = Files.newOutputStream(log.resolveSibling(id + "-stdout.log"),
               StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        String line;
        while ((line = in.readLine()) != null) {
          copy.write((line + "\n").getBytes(StandardCharsets.UTF_8));
          copy.flush();
          String[] f = line.split(" ", 3);
          switch (f[0]) {
            case "SETTING" -> {
              String[] kv = f[1].split("=", 2);
              settings.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
            case "READY" -> ready = true;
            case "LEADER" -> leader.set(new Leader(f[1], Long.parseLong(f[2])));
            case "NOT_LEADER" -> leader.updateAndGet(l -> l != null && l.id.equals(f[1]) ? null : l);
            case "RESULT", "WRITE_FAILED" -> writeResults.add(line);
            default -> { }
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      }
    }

    /** One request line on the replica's stdin. */
    void send(String request) throws IOException {
      OutputStream o = process.getOutputStream();
      o.write((request + "\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
    }

    boolean exited() {
      return !process.isAlive();
    }

    void awaitReady(long deadline) throws InterruptedException {
      while (!ready) {
        if (exited()) throw new IllegalStateException("replica " + id + " exited with " + process.exitValue() + " before READY");
        if (System.nanoTime() > deadline) throw new IllegalStateException("replica " + id + " not READY within 60 s");
        Thread.sleep(20);
      }
    }

    /** Closes stdin (the replica exits), then SIGTERM, then SIGKILL; bounded to ~20 s. */
    void stop() {
      try {
        process.getOutputStream().close();
      } catch (IOException ignored) {
        // already closed
      }
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroy();
          if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
          }
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What the machine is, for the report. */
  static final class Machine {
    private Machine() {}

    static String describe() {
      String cpu = "?";
      try {
        cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
            .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
      } catch (IOException ignored) {
        // not Linux
      }
      String mem = "?";
      try {
        mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
            .map(l -> l.replaceAll("\\s+", " ")).findFirst().orElse("?");
      } catch (IOException ignored) {
        // not Linux
      }
      return Runtime.getRuntime().availableProcessors() + " CPUs, " + cpu + ", " + mem + ", "
          + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", load avg " + loadAverage();
    }

    static String loadAverage() {
      try {
        String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return f[0] + " " + f[1] + " " + f[2];
      } catch (IOException e) {
        return "?";
      }
    }

    static String filesystemOf(Path p) {
      try {
        return Files.getFileStore(p).type() + " on " + Files.getFileStore(p).name();
      } catch (IOException e) {
        return "?";
      }
    }
  }
}
