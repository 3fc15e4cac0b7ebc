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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Commit latency of the replicated store (3 replicas in 3 separate JVMs on loopback, transports
 * gRPC and Netty) side by side with its baselines in the same run: fdatasync of the same disk, a
 * local RocksDB sync write, PostgreSQL (synchronous_commit=on, alone and with a synchronous
 * streaming standby) and a 3-member etcd cluster — same payload, same writer counts.
 *
 * <p>Each writer owns one channel and loops (closed loop: next commit after the previous reply)
 * one payment commit: {@code [AppendMonitorUpdate(ch, ++u, 400 B), PutManager(4096 B)]} on our
 * store, the same two values in one transaction/batch on a baseline ({@link Baselines}). Latency is
 * client side, from just before the commit to its durable reply (payloads and ops are built before
 * the clock starts). Not corrected for coordinated omission (closed loop): it is service time
 * under N concurrent writers.
 *
 * <p>All systems run for the whole run; after one warm-up per system, rounds measure every
 * (writers, system) pair with the systems' order rotated per round and writer count, so machine
 * noise and disk state spread over all of them. PostgreSQL and etcd are started by
 * {@code bench/run-all.sh} (bench/baselines/*.sh) and given by {@code --pg}, {@code --pg-standby},
 * {@code --etcd}; without them those systems are skipped.
 *
 * <p>Run: {@code bench/run-all.sh [--short]} or {@code bench/run.sh [--short] [--seconds N] ...};
 * {@code --help} lists the options.
 */
public final class CommitLatencyHarness {
  private static final PrintStream OUT = System.out;

  /** All system names, in the order of the final tables. */
  static final List<String> ALL_SYSTEMS = List.of("fdatasync", "rocksdb-sync", "pg-sync", "pg-standby", "etcd",
      "grpc", "grpc-local", "grpc-gated", "netty", "netty-local", "netty-gated");

  /**
   * How writers reach our store: {@code rpc} = a RaftStoreClient in the harness JVM over the
   * transport (system "grpc"/"netty"); {@code local} = in the leader replica's JVM, submitting into
   * its Raft server as the node does ("-local"); {@code gated} = the same plus the node's
   * GatedCommitter, which puts what the writers staged meanwhile into one entry ("-gated").
   */
  static final List<String> SUBMITS = List.of("rpc", "local", "gated");

  /** Command line options. */
  static final class Options {
    // The 3 replica JVMs + this one JIT-compile Ratis/gRPC/Netty/protobuf on 2 cores: C2 was still busy
    // 20-30 s into a run on the reference box, so the per-system warm-up is long.
    int warmupSeconds = 15;
    int configWarmupSeconds = 3;
    int seconds = 20;
    int rounds = 1;
    List<RpcType> transports = List.of(RpcType.GRPC, RpcType.NETTY);
    List<String> submits = SUBMITS;
    List<Integer> writers = List.of(1, 16, 64);
    List<String> systems;
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
    String pgUrl;
    String pgStandbyUrl;
    String pgStandbyCommit = "on";
    List<String> etcdEndpoints = List.of();
    List<Path> cpuPidFiles = new ArrayList<>();
    Path plot;

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
            o.warmupSeconds = 2;
            o.configWarmupSeconds = 1;
            o.seconds = 2;
            o.idleSeconds = 2;
          }
          case "--seconds" -> o.seconds = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--warmup" -> o.warmupSeconds = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--config-warmup" -> o.configWarmupSeconds = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--rounds" -> o.rounds = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--transports" -> o.transports = parseList(v != null ? v : next(args, ++i, a)).stream()
              .map(s -> RpcType.valueOf(s.toUpperCase(Locale.ROOT))).toList();
          case "--submit" -> o.submits = parseList(v != null ? v : next(args, ++i, a));
          case "--writers" -> o.writers = parseList(v != null ? v : next(args, ++i, a)).stream()
              .map(Integer::parseInt).toList();
          case "--systems" -> o.systems = parseList(v != null ? v : next(args, ++i, a));
          case "--update-bytes" -> o.updateBytes = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--manager-bytes" -> o.managerBytes = Integer.parseInt(v != null ? v : next(args, ++i, a));
          case "--no-fsync-baseline" -> o.fsyncBaseline = false;
          case "--heap" -> o.heap = v != null ? v : next(args, ++i, a);
          case "--jvm-arg" -> o.jvmArgs.add(v != null ? v : next(args, ++i, a));
          case "--dir" -> o.dir = Path.of(v != null ? v : next(args, ++i, a));
          case "--keep" -> o.keep = true;
          case "--ratis" -> putRatis(o, next(args, ++i, a));
          case "--pg" -> o.pgUrl = v != null ? v : next(args, ++i, a);
          case "--pg-standby" -> o.pgStandbyUrl = v != null ? v : next(args, ++i, a);
          case "--pg-standby-commit" -> o.pgStandbyCommit = v != null ? v : next(args, ++i, a);
          case "--etcd" -> o.etcdEndpoints = parseList(v != null ? v : next(args, ++i, a));
          case "--cpu-pids" -> o.cpuPidFiles.add(Path.of(v != null ? v : next(args, ++i, a)));
          case "--plot" -> o.plot = Path.of(v != null ? v : next(args, ++i, a));
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
      if (o.seconds < 1 || o.warmupSeconds < 0 || o.configWarmupSeconds < 0 || o.rounds < 1 || o.writers.isEmpty()) {
        throw new IllegalArgumentException("need --seconds >= 1, --warmup >= 0, --config-warmup >= 0, --rounds >= 1, some writers");
      }
      if (o.writers.stream().anyMatch(w -> w < 1)) throw new IllegalArgumentException("--writers must all be >= 1: " + o.writers);
      if (!List.of("on", "remote_apply", "remote_write", "local").contains(o.pgStandbyCommit)) {
        throw new IllegalArgumentException("--pg-standby-commit must be on, remote_apply, remote_write or local, got "
            + o.pgStandbyCommit);
      }
      if (o.systems == null) {
        // Default: every system this run can reach.
        List<String> d = new ArrayList<>();
        if (o.fsyncBaseline) d.add("fdatasync");
        d.add("rocksdb-sync");
        if (o.pgUrl != null) d.add("pg-sync");
        if (o.pgStandbyUrl != null) d.add("pg-standby");
        if (!o.etcdEndpoints.isEmpty()) d.add("etcd");
        for (String sub : o.submits) {
          if (!SUBMITS.contains(sub)) throw new IllegalArgumentException("unknown --submit " + sub + "; known: " + SUBMITS);
        }
        for (RpcType t : o.transports) {
          String tn = t.name().toLowerCase(Locale.ROOT);
          for (String sub : o.submits) d.add(sub.equals("rpc") ? tn : tn + "-" + sub);
        }
        o.systems = d;
      }
      for (String sys : o.systems) {
        if (!ALL_SYSTEMS.contains(sys)) throw new IllegalArgumentException("unknown system " + sys + "; known: " + ALL_SYSTEMS);
      }
      if (o.systems.contains("pg-sync") && o.pgUrl == null) throw new IllegalArgumentException("system pg-sync needs --pg URL");
      if (o.systems.contains("pg-standby") && o.pgStandbyUrl == null) {
        throw new IllegalArgumentException("system pg-standby needs --pg-standby URL");
      }
      if (o.systems.contains("etcd") && o.etcdEndpoints.isEmpty()) throw new IllegalArgumentException("system etcd needs --etcd URLs");
      if (o.systems.isEmpty()) throw new IllegalArgumentException("no system to measure");
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
            --short                 2 s warm-up per system, then 1 s + 2 s measured per configuration
            --seconds N             measured seconds per configuration and round (default 20)
            --warmup N              warm-up seconds per system, once, 16 writers (default 15: JIT of 4 JVMs on 2 cores)
            --config-warmup N       unmeasured seconds before each configuration's window (default 3)
            --rounds N              rounds over all (writers, system) pairs, order rotated per round (default 1)
            --writers 1,16,64       concurrent writers to measure (default 1,16,64)
            --systems a,b,..        of fdatasync,rocksdb-sync,pg-sync,pg-standby,etcd,grpc,netty
                                    (default: all whose servers are given)
            --transports grpc,netty transports of our store (default both; same as naming them in --systems)
            --submit rpc,local,gated how writers reach our store (default all): rpc = client in this JVM;
                                    local = in the leader's JVM, in-process as the node; gated = local
                                    through the node's GatedCommitter (one entry for what queued)
            --pg URL                JDBC URL of a PostgreSQL without standby (system pg-sync, synchronous_commit=on)
            --pg-standby URL        JDBC URL of a PostgreSQL primary with a synchronous standby (system pg-standby)
            --pg-standby-commit X   synchronous_commit for pg-standby: on (default: standby flushed the WAL)
                                    or remote_apply (standby also replayed it)
            --etcd URL,URL,URL      client URLs of the etcd members (system etcd; the client uses the leader's)
            --cpu-pids FILE         pids in FILE (one per line) and their descendants count as bench CPU (repeatable)
            --plot FILE.png         latency-percentile plot of all systems, one panel per writer count (+ FILE.csv)
            --update-bytes N        AppendMonitorUpdate payload (default 400)
            --manager-bytes N       PutManager payload (default 4096)
            --no-fsync-baseline     skip the fdatasync baseline
            --heap SIZE             -Xmx of each replica JVM (default 512m)
            --jvm-arg ARG           extra JVM argument for each replica JVM (repeatable)
            --ratis key=value       raw Ratis property for replicas and client (repeatable)
            --dir PATH              work directory (default: a new temp dir); deleted at the end
            --keep                  keep the work directory (replica logs, Raft logs)""");
    }
  }

  /** One measured configuration (or the merge of several rounds of it). */
  record Result(String name, String transport, int writers, Histogram h, double seconds, long errors, String load,
      Cpu.Usage cpu) {
    double rate() {
      return h.getTotalCount() / seconds;
    }

    String system() {
      return transport;
    }

    /** Merges rounds: histograms and time add up, CPU is time-weighted. */
    Result plus(Result o) {
      Histogram sum = newHistogram();
      sum.add(h);
      sum.add(o.h);
      double s = seconds + o.seconds;
      Cpu.Usage c = cpu == null || o.cpu == null ? null
          : new Cpu.Usage((cpu.allCores() * seconds + o.cpu.allCores() * o.seconds) / s,
              (cpu.benchCores() * seconds + o.cpu.benchCores() * o.seconds) / s);
      return new Result(name, transport, writers, sum, s, errors + o.errors, o.load, c);
    }
  }

  private final Options opt;
  private final Path base;
  private final List<Replica> running = new CopyOnWriteArrayList<>();
  private final List<CommitTarget> open = new CopyOnWriteArrayList<>();
  /** Writer threads of the measurement in progress; cleanup stops them before closing the targets. */
  private final List<Thread> activeWriters = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean cleanedUp = new AtomicBoolean();
  private final Map<RpcType, Map<String, String>> settings = new LinkedHashMap<>();
  private final List<Long> cpuRoots = new ArrayList<>();

  private CommitLatencyHarness(Options opt, Path base) {
    this.opt = opt;
    this.base = base;
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-bench.xml");
    }
    Options opt;
    try {
      opt = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bad arguments: " + e.getMessage() + " (--help lists the options)");
      System.exit(2);
      return;
    }
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
    OUT.printf(Locale.ROOT, "commit: AppendMonitorUpdate %d B + PutManager %d B; warm-up %d s per system (16 writers),"
            + " then per configuration %d s unmeasured + %d s measured, %d round(s), writers %s%n",
        opt.updateBytes, opt.managerBytes, opt.warmupSeconds, opt.configWarmupSeconds, opt.seconds, opt.rounds, opt.writers);
    if (!opt.ratis.isEmpty()) OUT.println("ratis overrides: " + opt.ratis);
    for (Path f : opt.cpuPidFiles) cpuRoots.addAll(Baselines.readPids(f));

    List<CommitTarget> targets = new ArrayList<>();
    for (String sys : opt.systems) {
      CommitTarget t = openTarget(sys);
      if (!open.contains(t)) open.add(t);
      targets.add(t);
      cpuRoots.addAll(t.pids());
      OUT.println("system " + t.name() + ": " + t.describe());
    }
    OUT.println();

    // One warm-up per system (JIT of the replica JVMs and of this JVM's client code for each system).
    if (opt.warmupSeconds > 0) {
      for (CommitTarget t : targets) {
        OUT.printf(Locale.ROOT, "warm-up %s: %d s, 16 writers%n", t.name(), opt.warmupSeconds);
        measure(t, 16, 0, opt.warmupSeconds);
      }
    }

    // Rounds: every (writers, system) pair once per round; the systems' order rotates with the round
    // and the writer count, so no system is always first after the warm-up or always last.
    Map<String, Result> merged = new LinkedHashMap<>();
    OUT.println(header());
    for (int round = 0; round < opt.rounds; round++) {
      for (int wi = 0; wi < opt.writers.size(); wi++) {
        int w = opt.writers.get(wi);
        List<CommitTarget> order = new ArrayList<>(targets);
        Collections.rotate(order, -(round + wi * Math.max(1, opt.rounds)));
        for (CommitTarget t : order) {
          Result r = measure(t, w, opt.configWarmupSeconds, opt.seconds);
          OUT.println(row(r) + (opt.rounds > 1 ? " round " + (round + 1) : ""));
          merged.merge(r.name(), r, Result::plus);
        }
      }
    }

    // What the machine burns with every system up and no commits (heartbeats, timers, leftover JIT):
    // if this is a large part of the loaded CPU, per-commit CPU is overstated.
    Thread.sleep(1000);
    Cpu.Sample before = Cpu.sample(cpuRoots);
    Thread.sleep(TimeUnit.SECONDS.toMillis(opt.idleSeconds));
    Result idle = new Result("all systems idle (no commits)", "idle", 0, newHistogram(), opt.idleSeconds, 0,
        Machine.loadAverage(), Cpu.sample(cpuRoots).since(before));
    OUT.println(row(idle));

    OUT.println();
    OUT.println("## Effective Ratis settings (as reported by replica r1)");
    for (Map.Entry<RpcType, Map<String, String>> e : settings.entrySet()) {
      OUT.println("### " + e.getKey());
      e.getValue().forEach((k, v) -> OUT.println("- " + k + " = " + v));
    }
    OUT.println();
    OUT.println("## Results (latency in ms" + (opt.rounds > 1 ? "; " + opt.rounds + " rounds merged" : "") + ")");
    OUT.println(header());
    List<Result> finals = new ArrayList<>();
    for (int w : opt.writers) {
      for (CommitTarget t : targets) {
        Result r = merged.get(resultName(t.name(), w));
        if (r != null) {
          finals.add(r);
          OUT.println(row(r));
        }
      }
    }
    OUT.println(row(idle));
    OUT.println();
    OUT.println(Comparison.ratios(finals, targets.stream().map(CommitTarget::name).toList()));
    if (opt.plot != null) {
      LatencyPlot.write(opt.plot, finals, opt.writers);
      OUT.println("plot: " + opt.plot + " (points: " + LatencyPlot.csvOf(opt.plot) + ")");
    }
  }

  private CommitTarget openTarget(String sys) throws Exception {
    return switch (sys) {
      case "fdatasync" -> new Baselines.Fsync(base.resolve("fdatasync"), opt.fsyncBytes);
      case "rocksdb-sync" -> new Baselines.LocalRocksDb(base.resolve("rocksdb"));
      case "pg-sync" -> new Baselines.Postgres("pg-sync", opt.pgUrl, "on", List.of());
      case "pg-standby" -> new Baselines.Postgres("pg-standby", opt.pgStandbyUrl, opt.pgStandbyCommit, List.of());
      case "etcd" -> new Baselines.Etcd(opt.etcdEndpoints, List.of());
      case "grpc" -> ratis(RpcType.GRPC);
      case "netty" -> ratis(RpcType.NETTY);
      case "grpc-local", "grpc-gated", "netty-local", "netty-gated" -> {
        RatisTarget cluster = ratis(sys.startsWith("grpc") ? RpcType.GRPC : RpcType.NETTY);
        yield new InProcessTarget(sys, cluster, sys.endsWith("-gated") ? "gated" : "direct");
      }
      default -> throw new IllegalArgumentException("unknown system " + sys);
    };
  }

  static String resultName(String system, int writers) {
    return system + " " + writers + "w";
  }

  // ---------------------------------------------------------------- our store

  private final Map<RpcType, RatisTarget> clusters = new LinkedHashMap<>();

  /** The cluster of one transport, started on first use and shared by its rpc, local and gated systems. */
  private RatisTarget ratis(RpcType transport) throws Exception {
    RatisTarget t = clusters.get(transport);
    if (t == null) {
      t = startRatis(transport);
      clusters.put(transport, t);
      open.add(t);
    }
    return t;
  }

  /** Our store over one transport: 3 replica JVMs on a fresh layout, one shared client, one writer epoch. */
  private RatisTarget startRatis(RpcType transport) throws Exception {
    String name = transport.name().toLowerCase(Locale.ROOT);
    OUT.println("== " + name + ": starting 3 replica JVMs");
    Path dir = base.resolve(name);
    LocalClusterLayout layout = LocalClusterLayout.generate(dir, 3,
        LocalClusterLayout.Options.defaults().withClusterId("bench-" + name).withRpcType(transport)
            // Plaintext like every baseline here (PostgreSQL, etcd run without TLS); production
            // defaults to mutual TLS with gRPC, which costs more CPU per commit: not measured yet.
            .withTls(false));
    List<Replica> replicas = new ArrayList<>();
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
    RaftStoreClient client = new RaftStoreClient(RaftGroups.group(cfg),
        RaftTuning.properties(cfg.raft(), cfg.snapshot(), opt.ratis), Duration.ofSeconds(10), StoreMetrics.inMemory());
    long epoch = acquireEpoch(client, replicas, leader);
    OUT.println("   writer epoch " + epoch);
    return new RatisTarget(name, replicas, client, epoch);
  }

  private final class RatisTarget implements CommitTarget {
    private final String name;
    private final List<Replica> replicas;
    private final RaftStoreClient client;
    private final long epoch;

    RatisTarget(String name, List<Replica> replicas, RaftStoreClient client, long epoch) {
      this.name = name;
      this.replicas = replicas;
      this.client = client;
      this.epoch = epoch;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String describe() {
      return "lnraft store, Ratis 3.3.0 over " + name + ", 3 replica JVMs on loopback, one shared RaftStoreClient;"
          + " per commit [AppendMonitorUpdate, PutManager] (one manager key for all writers, as one node has)";
    }

    @Override
    public List<Long> pids() {
      return replicas.stream().map(r -> r.process.pid()).toList();
    }

    @Override
    public Writer writer(int index) throws Exception {
      // Each writer gets a fresh channel (base monitor at update 0) so update ids start at 1.
      byte[] txid = new byte[32];
      ThreadLocalRandom.current().nextBytes(txid);
      ChannelKey ch = Ops.channel(txid, index);
      CommitOutcome o = client.commit(epoch, List.of(Ops.putBaseMonitor(ch, 0, random(opt.managerBytes))))
          .get(15, TimeUnit.SECONDS);
      if (!(o instanceof CommitOutcome.Committed)) throw new IllegalStateException("base monitor refused: " + o);
      long[] updateId = {0};
      return (update, manager) -> {
        List<Op> ops = List.of(Ops.appendMonitorUpdate(ch, updateId[0] + 1, update), Ops.putManager(manager));
        return () -> {
          CommitOutcome out = client.commit(epoch, ops).get(30, TimeUnit.SECONDS);
          if (!(out instanceof CommitOutcome.Committed)) throw new IllegalStateException("commit refused: " + out);
          updateId[0]++;
        };
      };
    }

    @Override
    public void close() throws Exception {
      try {
        client.close();
      } finally {
        for (Replica r : replicas) {
          r.stop();
          running.remove(r);
        }
      }
    }
  }

  /**
   * Our store with the writers inside the leader replica's JVM ({@link LocalWriters}), on the
   * cluster of the rpc system of the same transport: the whole closed loop runs there and only
   * the histogram comes back, so {@link #writer} is not used.
   */
  private final class InProcessTarget implements CommitTarget {
    private final String name;
    private final RatisTarget cluster;
    private final String mode;

    InProcessTarget(String name, RatisTarget cluster, String mode) {
      this.name = name;
      this.cluster = cluster;
      this.mode = mode;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String describe() {
      return mode.equals("gated")
          ? "the same cluster, writers in the leader's JVM through the node's GatedCommitter: each writer stages"
              + " AppendMonitorUpdate and holds a peer message; one entry = everything staged meanwhile + one"
              + " PutManager; latency = stage to release of the held message"
          : "the same cluster, writers in the leader's JVM submitting in-process (as the node does);"
              + " per commit [AppendMonitorUpdate, PutManager]";
    }

    @Override
    public List<Long> pids() {
      return cluster.pids();
    }

    @Override
    public Writer writer(int index) {
      throw new UnsupportedOperationException("in-process writers run inside the leader replica");
    }

    /** Runs the loop in the leader's JVM; CPU is sampled here over the same measured window. */
    Result measure(int writers, int warmupSeconds, int seconds) throws Exception {
      Leader leader = awaitLeader(cluster.replicas, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
      Replica r = cluster.replicas.stream().filter(x -> x.id.equals(leader.id)).findFirst().orElseThrow();
      long start = System.nanoTime();
      CompletableFuture<String> answer = r.request(String.format(Locale.ROOT, "WRITE %d %d %d %d %d %d %s",
          cluster.epoch, writers, TimeUnit.SECONDS.toMillis(warmupSeconds), TimeUnit.SECONDS.toMillis(seconds),
          opt.updateBytes, opt.managerBytes, mode));
      long measureFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
      long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
      sleepUntil(measureFrom);
      Cpu.Sample before = Cpu.sample(cpuRoots);
      sleepUntil(end);
      Cpu.Usage usage = Cpu.sample(cpuRoots).since(before);
      String line = answer.get(60 + writers, TimeUnit.SECONDS);
      String[] f = line.split(" ");
      if (!f[0].equals("RESULT")) throw new IllegalStateException(name + " on " + r.id + ": " + line);
      long errs = Long.parseLong(f[1]);
      if (errs > 0) System.err.println("   " + name + ": " + errs + " writer(s) stopped on error (see " + r.id + ".log)");
      if (mode.equals("gated")) {
        OUT.println("   " + name + " " + writers + "w: " + f[2] + " channel updates per Raft entry");
      }
      return new Result(resultName(name, writers), name, writers, LocalWriters.decode(f[3]), seconds, errs,
          Machine.loadAverage(), usage);
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

  /**
   * {@code writers} closed-loop writers on one system: {@code warmupSeconds} unmeasured, then
   * {@code seconds} measured. A writer whose commit fails stops (its outcome is unknown).
   */
  private Result measure(CommitTarget target, int writers, int warmupSeconds, int seconds) throws Exception {
    if (target instanceof InProcessTarget ip) return ip.measure(writers, warmupSeconds, seconds);
    List<CommitTarget.Writer> ws = new ArrayList<>();
    for (int w = 0; w < writers; w++) ws.add(target.writer(w));
    try {
      long start = System.nanoTime();
      long measureFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
      long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
      List<Histogram> hs = new ArrayList<>();
      long[] errors = new long[writers];
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        Histogram h = newHistogram();
        hs.add(h);
        CommitTarget.Writer writer = ws.get(w);
        int idx = w;
        Thread t = new Thread(() -> {
          while (!stop.get() && !stopping.get() && System.nanoTime() < end) {
            long a;
            try {
              CommitTarget.Attempt attempt = writer.prepare(random(opt.updateBytes), random(opt.managerBytes));
              a = System.nanoTime();
              attempt.run();
            } catch (Exception e) {
              // Outcome unknown: this writer's update-id sequence is no longer known; stop it.
              errors[idx]++;
              firstError.compareAndSet(null, e);
              return;
            }
            long b = System.nanoTime();
            if (a >= measureFrom) h.recordValue(b - a);
          }
        }, "writer-" + w);
        t.setDaemon(true);
        threads.add(t);
      }
      activeWriters.addAll(threads);
      threads.forEach(Thread::start);
      sleepUntil(measureFrom);
      Cpu.Sample before = Cpu.sample(cpuRoots);
      sleepUntil(end);
      Cpu.Usage usage = Cpu.sample(cpuRoots).since(before);
      long joinDeadline = end + TimeUnit.SECONDS.toNanos(40);
      for (Thread t : threads) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
      }
      stop.set(true);
      for (Thread t : threads) {
        if (t.isAlive()) throw new IllegalStateException("writer " + t.getName() + " on " + target.name()
            + " did not finish within 40 s of the end");
      }
      Histogram all = newHistogram();
      hs.forEach(all::add);
      long errs = 0;
      for (long e : errors) errs += e;
      if (firstError.get() != null) {
        System.err.println("   " + target.name() + ": " + errs + " writer(s) stopped on error; first: " + firstError.get());
      }
      // A commit counts when it started inside the measured window [measureFrom, end).
      return new Result(resultName(target.name(), writers), target.name(), writers, all, (end - measureFrom) / 1e9, errs,
          Machine.loadAverage(), usage);
    } finally {
      activeWriters.clear();
      for (CommitTarget.Writer w : ws) {
        try {
          w.close();
        } catch (Exception e) {
          System.err.println("   closing a writer of " + target.name() + ": " + e);
        }
      }
    }
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

  static Histogram newHistogram() {
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
      for (Path p : files.filter(p -> p.getFileName().toString().matches("r\\d+(-stdout)?\\.log")).sorted().toList()) {
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
    // Ctrl-C mid-measurement: let the writers finish their commit in flight first; closing a native
    // client (RocksDB) under a thread still inside write() crashes the JVM before the cleanup ends.
    stopping.set(true);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (Thread t : activeWriters) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (CommitTarget t : open) {
      try {
        t.close();
      } catch (Exception e) {
        System.err.println("closing " + t.name() + ": " + e);
      }
    }
    for (Replica r : running) r.stop();
    running.clear();
    if (opt.keep) {
      OUT.println("kept " + base);
      return;
    }
    // Retried: on Ctrl-C the replica JVMs get the signal too and may still be writing while they exit.
    for (int attempt = 1; ; attempt++) {
      try {
        deleteTree(base);
        return;
      } catch (IOException | UncheckedIOException e) {
        if (attempt >= 5) {
          System.err.println("could not delete " + base + ": " + e + " (delete it by hand)");
          return;
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
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
    /** The answer to the request in flight on stdin (one at a time). */
    private final AtomicReference<CompletableFuture<String>> answer = new AtomicReference<>();
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
            case "RESULT", "WRITE_FAILED" -> {
              CompletableFuture<String> a = answer.getAndSet(null);
              if (a != null) a.complete(line);
            }
            case "LEADER" -> leader.set(new Leader(f[1], Long.parseLong(f[2])));
            case "NOT_LEADER" -> leader.updateAndGet(l -> l != null && l.id.equals(f[1]) ? null : l);
            default -> { }
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      }
    }

    boolean exited() {
      return !process.isAlive();
    }

    /** Sends one request line on the replica's stdin; the future gets its RESULT/WRITE_FAILED line. */
    CompletableFuture<String> request(String line) throws IOException {
      CompletableFuture<String> a = new CompletableFuture<>();
      if (!answer.compareAndSet(null, a)) throw new IllegalStateException("replica " + id + " has a request in flight");
      OutputStream in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      return a;
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
