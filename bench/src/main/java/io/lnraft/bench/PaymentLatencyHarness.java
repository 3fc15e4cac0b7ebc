package io.lnraft.bench;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.BlockFollower;
import io.lnraft.node.chain.ChainListener;
import io.lnraft.node.chain.ChainTip;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import io.lnraft.node.gate.GatedCommitter;
import io.lnraft.node.ldk.BitcoindFundingWallet;
import io.lnraft.node.ldk.ChannelInfo;
import io.lnraft.node.ldk.CreatedInvoice;
import io.lnraft.node.ldk.FeeRates;
import io.lnraft.node.ldk.LdkNode;
import io.lnraft.node.ldk.LdkSeed;
import io.lnraft.node.ldk.RestoredState;
import io.lnraft.node.peer.NettyPeerTransport;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.InMemoryReplicatedStore;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.StateSealer;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.ReplicatedStore;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.apache.ratis.protocol.RaftPeerId;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.core.Block;
import org.bitcoinj.script.ScriptBuilder;
import org.ldk.structs.PeerManager;

/**
 * End-to-end payment latency (issues 4 and 5): two Lightning nodes in this JVM, each wired as
 * production wires its node (runtime/LeaderNode: {@link LdkNode} + {@link GatedCommitter} + {@link
 * NettyPeerTransport} on real loopback TCP + {@link BlockFollower} + the process_events tick), on
 * the in-process {@link ChainSimulator} through {@link BitcoindRpcClient}.
 *
 * <p>Two pairs run side by side so both store modes are measured in ONE run, rounds interleaved:
 * pair "replicated" (node A on a {@link RaftStoreClient} to 3 in-process {@link ReplicaServer}s,
 * Ratis + RocksDB on loopback, temp dirs; built as the node builds it: commits submitted in-process
 * into the leader replica, channel state sealed) and pair "in-memory" (node A on {@link
 * InMemoryReplicatedStore}). Node B, the counterparty, is always on an in-memory store.
 *
 * <p>Latency = from the pay call (under the gate, as the REST handler makes it) to the moment the
 * payer's store acknowledged the commit that carries its OUTBOUND SUCCEEDED ledger record (LDK's
 * PaymentSent, durable). Observed by a decorator around the payer's store, so no polling; invoice
 * creation (20-30 ms of CPU in this binding) happens before the clock starts.
 */
public final class PaymentLatencyHarness {
  private static final HexFormat HEX = HexFormat.of();
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** 10,000 sat: above LDK's dust threshold at 1250 sat/kw (dust HTLCs are capped at 5,000 sat in flight). */
  private static final long PAY_MSAT = 10_000_000;

  // ------------------------------------------------------------------------------------------
  // options

  record Options(int rounds, int payments, int payers, int perPayer, int warmup, long tickMs, List<Integer> channelSweep,
      String sweepPair, long capacitySat) {
    static Options parse(String[] args) {
      int rounds = 4;
      int payments = 20;
      int payers = 8;
      int perPayer = 3;
      int warmup = 10;
      long tickMs = 50;
      List<Integer> sweep = List.of(1, 10);
      String sweepPair = "in-memory";
      long capacity = 5_000_000;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--rounds" -> rounds = Integer.parseInt(args[++i]);
          case "--payments" -> payments = Integer.parseInt(args[++i]);
          case "--payers" -> payers = Integer.parseInt(args[++i]);
          case "--per-payer" -> perPayer = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--tick-ms" -> tickMs = Long.parseLong(args[++i]);
          case "--channels" -> {
            String v = args[++i];
            sweep = v.isBlank() || v.equals("none") ? List.of()
                : java.util.Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
          }
          case "--sweep-pair" -> sweepPair = args[++i];
          case "--short" -> {
            rounds = 2;
            payments = 10;
            perPayer = 2;
            warmup = 5;
            sweep = List.of(1, 10);
          }
          case "--help", "-h" -> {
            System.out.println("""
                PaymentLatencyHarness [--short] [--rounds N] [--payments N] [--payers N] [--per-payer N]
                    [--warmup N] [--tick-ms MS] [--channels 1,10,100|none] [--sweep-pair in-memory|replicated]
                  --rounds      interleaved rounds per store mode (default 4)
                  --payments    sequential payments per direction per round (default 20)
                  --payers      concurrent payers A->B in the throughput phase (default 8)
                  --per-payer   payments per concurrent payer per round (default 3)
                  --warmup      untimed payments per direction per pair before round 1 (default 10)
                  --tick-ms     the node's process_events tick (production: 50)
                  --channels    channel counts on node A for the commit-bytes sweep (default 1,10)
                  --sweep-pair  which pair's node A the sweep grows (default in-memory)""");
            System.exit(0);
          }
          default -> throw new IllegalArgumentException("unknown option " + a + " (--help)");
        }
      }
      return new Options(rounds, payments, payers, perPayer, warmup, tickMs, sweep, sweepPair, capacity);
    }
  }

  // ------------------------------------------------------------------------------------------
  // the store decorator that sees each commit's ledger records when the store acknowledged them

  /** Wraps a node's store; completes a payment's waiter when its final OUTBOUND record is committed. */
  static final class ObservedStore implements ReplicatedStore {
    private final ReplicatedStore delegate;
    private final Map<String, CompletableFuture<PaymentStatus>> waiters = new ConcurrentHashMap<>();
    final AtomicLong maxManagerBytes = new AtomicLong();
    final AtomicLong lastManagerBytes = new AtomicLong();

    ObservedStore(ReplicatedStore delegate) {
      this.delegate = delegate;
    }

    /** Size of a serialized ChannelManager (the committer sends only its changed chunks). */
    void noteManager(long n) {
      lastManagerBytes.set(n);
      maxManagerBytes.accumulateAndGet(n, Math::max);
    }

    @Override
    public byte[] managerChunkId(byte[] chunk) {
      return delegate.managerChunkId(chunk);
    }

    CompletableFuture<PaymentStatus> expectOutbound(String hashHex) {
      return waiters.computeIfAbsent(hashHex, h -> new CompletableFuture<>());
    }

    @Override
    public CompletableFuture<CommitOutcome> commit(long epoch, List<Op> ops) {
      return delegate.commit(epoch, ops).thenApply(o -> {
        if (o instanceof CommitOutcome.Committed) {
          for (Op op : ops) {
            if (op.hasRecordPayment()) {
              PaymentRecord p = op.getRecordPayment().getPayment();
              if (p.getDirection() == PaymentDirection.OUTBOUND
                  && (p.getStatus() == PaymentStatus.SUCCEEDED || p.getStatus() == PaymentStatus.FAILED)) {
                CompletableFuture<PaymentStatus> w = waiters.remove(HEX.formatHex(p.getPaymentHash().toByteArray()));
                if (w != null) w.complete(p.getStatus());
              }
            }
          }
        }
        return o;
      });
    }

    @Override
    public CompletableFuture<WriterEpoch> acquireEpoch(String replicaId, long term) {
      return delegate.acquireEpoch(replicaId, term);
    }

    @Override
    public CompletableFuture<StartupState> startupState() {
      return delegate.startupState();
    }

    @Override
    public CompletableFuture<KvResult> kv(String key) {
      return delegate.kv(key);
    }

    @Override
    public CompletableFuture<EventsResult> events(long afterSeq, int limit) {
      return delegate.events(afterSeq, limit);
    }

    @Override
    public CompletableFuture<WriterEpoch> writer() {
      return delegate.writer();
    }

    @Override
    public CompletableFuture<DigestResult> digest() {
      return delegate.digest();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // one node, wired like runtime/LeaderNode (which is package-private there)

  static final class BenchNode implements AutoCloseable {
    final String name;
    final ObservedStore store;
    final GatedCommitter committer;
    final LdkNode node;
    final PeerManager peerManager;
    final NettyPeerTransport transport;
    final BlockFollower follower;
    final ScheduledExecutorService loop;
    final InetSocketAddress address;
    final AtomicInteger tickFailures = new AtomicInteger();

    BenchNode(String name, byte seedByte, ReplicatedStore rawStore, WriterEpoch epoch, BitcoindRpcClient rpc, long tickMs,
        Duration lease) throws Exception {
      this.name = name;
      this.store = new ObservedStore(rawStore);
      byte[] ldkSeed = LdkSeed.fromBip39Seed(bip39Seed(seedByte));
      StartupState state = store.startupState().get(COMMIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      LdkNode[] holder = new LdkNode[1];
      this.committer = new GatedCommitter(store, epoch.getEpoch(), () -> {
        byte[] m = holder[0].serializeManager();
        store.noteManager(m.length);
        return m;
      },
          tx -> rpc.sendRawTransaction(org.bitcoinj.core.Transaction.read(java.nio.ByteBuffer.wrap(tx))),
          COMMIT_TIMEOUT, lease, why -> System.err.println(name + ": NODE FAILED: " + why));
      Optional<ChainTip> freshTip = state.getManager().isEmpty()
          ? Optional.of(new ChainTip(rpc.getBestBlockHash(), rpc.getBlockCount())) : Optional.empty();
      LdkNode.Params params = new LdkNode.Params(ldkSeed, System.currentTimeMillis() / 1000,
          (int) (epoch.getEpoch() % 1_000_000_000L), BitcoinNetwork.REGTEST, RestoredState.from(state), freshTip,
          FeeRates.constant(1250), committer, committer, new BitcoindFundingWallet(rpc),
          () -> ScriptBuilder.createOutputScript(rpc.getNewAddress()).program());
      this.node = committer.underGate(() -> LdkNode.start(params));
      holder[0] = node;
      committer.stage(Ops.bindIdentity(BitcoinNetwork.REGTEST.id(), node.nodeId()));
      committer.start();
      this.follower = new BlockFollower(rpc, node.bestBlock(), new ChainListener() {
        @Override
        public void onBlockConnected(Block block, int height) {
          committer.runUnderGate(() -> {
            if (height > node.bestBlock().height()) node.blockConnected(block.serialize(), height);
          });
        }

        @Override
        public void onBlockDisconnected(Block block, int height) {
          committer.runUnderGate(() -> node.blockDisconnected(block.cloneAsHeader().serialize(), height));
        }
      });
      follower.poll();
      byte[] ephemeral = new byte[32];
      new SecureRandom().nextBytes(ephemeral);
      this.peerManager = committer.underGate(() -> node.newPeerManager(ephemeral));
      this.transport = new NettyPeerTransport(peerManager, committer, NettyPeerTransport.Config.defaults());
      this.address = transport.bind("127.0.0.1", 0).get(10, TimeUnit.SECONDS);
      this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-node-" + name);
        t.setDaemon(true);
        return t;
      });
      follower.start(Duration.ofMillis(250));
      loop.scheduleWithFixedDelay(this::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
      loop.scheduleWithFixedDelay(() -> committer.runUnderGate(node::timerTick), 60, 60, TimeUnit.SECONDS);
    }

    /** LeaderNode.tick: events, peer messages, wake the committer. */
    private void tick() {
      try {
        committer.runUnderGate(() -> {
          node.processEvents();
          peerManager.process_events();
        });
        committer.wakeCommitter();
      } catch (RuntimeException e) {
        if (tickFailures.incrementAndGet() <= 5) System.err.println(name + ": tick failed: " + e);
      }
    }

    <T> T gated(Supplier<T> call) {
      return committer.underGate(call);
    }

    List<ChannelInfo> channels() {
      return gated(node::listChannels);
    }

    @Override
    public void close() {
      committer.close();
      try {
        transport.close();
      } catch (RuntimeException ignored) {
        // best effort
      }
      follower.close();
      loop.shutdownNow();
      committer.runUnderGate(node::close);
      store.close();
    }
  }

  /** Node A (the cluster's node) and its counterparty B, with one store mode for A. */
  record Pair(String mode, BenchNode a, BenchNode b) {}

  /** Per (mode, phase): latencies and commit counters of node A. */
  static final class Tally {
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    long payments;
    long failures;
    long wallNanos;
    long commitsA;
    long bytesA;
    long commitsB;
    long bytesB;

    void addStats(GatedCommitter.Stats a0, GatedCommitter.Stats a1, GatedCommitter.Stats b0, GatedCommitter.Stats b1) {
      commitsA += a1.commits() - a0.commits();
      bytesA += a1.bytesCommitted() - a0.bytesCommitted();
      commitsB += b1.commits() - b0.commits();
      bytesB += b1.bytesCommitted() - b0.bytesCommitted();
    }
  }

  private final Options opt;
  private final Map<String, Tally> tallies = new LinkedHashMap<>();
  private ChainSimulator sim;
  private BitcoindRpcClient rpc;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Path tempDir;

  PaymentLatencyHarness(Options opt) {
    this.opt = opt;
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-bench.xml");
    }
    Options opt = Options.parse(args);
    PaymentLatencyHarness h = new PaymentLatencyHarness(opt);
    Thread cleanup = new Thread(h::cleanup, "bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    int rc = 0;
    try {
      h.run();
    } catch (Throwable t) {
      t.printStackTrace();
      rc = 1;
    } finally {
      h.cleanup();
    }
    Runtime.getRuntime().halt(rc); // LDK/Netty/Ratis leave non-daemon threads behind
  }

  private synchronized void cleanup() {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
    toClose.clear();
    if (tempDir != null) {
      try (var walk = Files.walk(tempDir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort
      }
      tempDir = null;
    }
  }

  private static String loadavg() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  private static void log(String fmt, Object... args) {
    System.out.printf("%s " + fmt + "%n", concat(Instant.now().toString().substring(11, 23), args));
  }

  private static Object[] concat(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  void run() throws Exception {
    long t0 = System.nanoTime();
    log("start: loadavg %s, nproc %d, java %s, options %s", loadavg(), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), opt);
    Cpu.Sample cpu0 = Cpu.sample(List.of());
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("bench", "bench-password")).withInitialBlocks(110));
    toClose.add(sim);
    rpc = new BitcoindRpcClient(sim.clientConfig());

    // The replicated store: 3 Ratis servers + RocksDB in this JVM on loopback.
    tempDir = Files.createTempDirectory("lnraft-paybench");
    LocalClusterLayout layout = LocalClusterLayout.generate(tempDir, 3);
    ReplicaServer[] servers = new ReplicaServer[3];
    for (int i = 0; i < 3; i++) {
      servers[i] = ReplicaServer.start(layout.configs().get(i), StoreMetrics.inMemory());
      toClose.add(servers[i]);
    }
    int leader = awaitLeader(servers);
    ReplicaConfig lc = layout.configs().get(leader);
    // As NodeRuntime builds it: commits go in-process into the leader replica (node A runs where
    // that replica runs), and channel state is sealed with a key from A's seed.
    RaftStoreClient raft = new RaftStoreClient(RaftGroups.group(lc), RaftTuning.properties(lc.raft(), lc.snapshot(), Map.of()),
        COMMIT_TIMEOUT, StoreMetrics.inMemory(), Optional.of(RaftPeerId.valueOf(lc.replicaId())), Optional.of(servers[leader]))
        .sealingWith(StateSealer.fromSeed(bip39Seed((byte) 1)));
    WriterEpoch raftEpoch = raft.acquireEpoch(lc.replicaId(), servers[leader].currentTerm()).get(10, TimeUnit.SECONDS);
    Duration lease = Duration.ofMillis((long) (lc.raft().electionTimeoutMin().toMillis() * lc.raft().leaderLeaseRatio()));
    log("replicated store: leader %s term %d epoch %d, lease %d ms, rpc %s", lc.replicaId(), servers[leader].currentTerm(),
        raftEpoch.getEpoch(), lease.toMillis(), lc.raft().rpcType());

    Pair repl = newPair("replicated", raft, raftEpoch, (byte) 1, (byte) 2, lease);
    Pair mem = newPair("in-memory", null, null, (byte) 3, (byte) 4, lease);
    List<Pair> pairs = List.of(repl, mem);
    for (Pair p : pairs) connect(p);
    // One open at a time: the simulated wallet (like bitcoind without lockunspent) would pick the
    // same coin for two fundings made before either was broadcast (txn-mempool-conflict).
    for (Pair p : pairs) openOne(p, opt.capacitySat(), opt.capacitySat() * 1000 / 2);
    rpc.generateToAddress(6, rpc.getNewAddress());
    for (Pair p : pairs) awaitUsable(p, 1);
    log("channels open and usable (%.1f s since start); loadavg %s", (System.nanoTime() - t0) / 1e9, loadavg());

    // Warm-up (JIT, LDK, Ratis): untimed, both directions, both pairs.
    for (Pair p : pairs) {
      for (int i = 0; i < opt.warmup(); i++) {
        sequential(p.a(), p.b(), 1, null);
        sequential(p.b(), p.a(), 1, null);
      }
    }
    log("warm-up done (%d payments per direction per pair); loadavg %s", opt.warmup(), loadavg());

    Cpu.Sample cpuRounds0 = Cpu.sample(List.of());
    for (int r = 1; r <= opt.rounds(); r++) {
      for (Pair p : pairs) {
        round(p, r);
      }
    }
    Cpu.Usage roundsCpu = Cpu.sample(List.of()).since(cpuRounds0);
    log("rounds done; during them: machine %.2f cores busy, this JVM %.2f cores; loadavg %s",
        roundsCpu.allCores(), roundsCpu.benchCores(), loadavg());
    report();

    if (!opt.channelSweep().isEmpty()) {
      sweep(opt.sweepPair().equals("replicated") ? repl : mem);
    }
    Cpu.Usage all = Cpu.sample(List.of()).since(cpu0);
    log("end: wall %.0f s, machine %.2f cores busy on average, this JVM %.2f; loadavg %s", (System.nanoTime() - t0) / 1e9,
        all.allCores(), all.benchCores(), loadavg());
    for (Pair p : pairs) {
      log("%s: manager bytes last %d max %d; node A tick failures %d, B %d", p.mode(), p.a().store.lastManagerBytes.get(),
          p.a().store.maxManagerBytes.get(), p.a().tickFailures.get(), p.b().tickFailures.get());
    }
  }

  /** The 64-byte BIP39 seed of a bench node: every byte {@code b}. */
  private static byte[] bip39Seed(byte b) {
    byte[] seed = new byte[64];
    java.util.Arrays.fill(seed, b);
    return seed;
  }

  private Pair newPair(String mode, RaftStoreClient raft, WriterEpoch raftEpoch, byte seedA, byte seedB, Duration lease)
      throws Exception {
    ReplicatedStore storeA;
    WriterEpoch epochA;
    if (raft != null) {
      storeA = raft;
      epochA = raftEpoch;
    } else {
      InMemoryReplicatedStore m = new InMemoryReplicatedStore();
      epochA = m.acquireEpoch("a-" + mode, 1).join();
      storeA = m;
    }
    BenchNode a = new BenchNode("A-" + mode, seedA, storeA, epochA, rpc, opt.tickMs(), lease);
    toClose.add(a);
    InMemoryReplicatedStore mb = new InMemoryReplicatedStore();
    BenchNode b = new BenchNode("B-" + mode, seedB, mb, mb.acquireEpoch("b-" + mode, 1).join(), rpc, opt.tickMs(), lease);
    toClose.add(b);
    return new Pair(mode, a, b);
  }

  /** Opens one channel A->B and waits until its funding transaction is in the mempool. */
  private void openOne(Pair p, long sat, long pushMsat) throws Exception {
    int before = rpc.getRawMempool().size();
    p.a().gated(() -> p.a().node.openChannel(p.b().node.nodeId(), sat, pushMsat));
    awaitTrue(p.mode() + ": funding transaction in the mempool", () -> rpc.getRawMempool().size() > before);
  }

  private void connect(Pair p) throws Exception {
    p.a().transport.connect(p.b().node.nodeId(), "127.0.0.1", p.b().address.getPort()).get(15, TimeUnit.SECONDS);
  }

  private void awaitUsable(Pair p, int channels) throws Exception {
    awaitTrue(p.mode() + ": " + channels + " channel(s) usable on both sides", () -> {
      List<ChannelInfo> a = p.a().channels();
      List<ChannelInfo> b = p.b().channels();
      return a.size() == channels && b.size() == channels && a.stream().allMatch(ChannelInfo::usable)
          && b.stream().allMatch(ChannelInfo::usable);
    });
  }

  private static void awaitTrue(String what, BooleanSupplier cond) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }

  private static int awaitLeader(ReplicaServer[] servers) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < servers.length; i++) {
        if (servers[i].isReadyLeader()) return i;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("no ready leader within 30 s");
  }

  private Tally tally(String mode, String phase) {
    return tallies.computeIfAbsent(mode + "|" + phase, k -> new Tally());
  }

  private List<CreatedInvoice> invoices(BenchNode payee, int n) {
    List<CreatedInvoice> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(payee.gated(() -> payee.node.createInvoice(PAY_MSAT, "bench", 3600)));
    return out;
  }

  /** Pays one invoice and waits for the final ledger record to be committed; nanos, or -1 if it failed. */
  private static long payAndWait(BenchNode payer, CreatedInvoice inv) throws Exception {
    CompletableFuture<PaymentStatus> done = payer.store.expectOutbound(inv.paymentHashHex());
    long t0 = System.nanoTime();
    try {
      payer.gated(() -> payer.node.payInvoice(inv.bolt11()));
    } catch (LdkNode.LdkException e) {
      System.err.println(payer.name + ": " + e.getMessage());
      return -1;
    }
    PaymentStatus st = done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long dt = System.nanoTime() - t0;
    return st == PaymentStatus.SUCCEEDED ? dt : -1;
  }

  /** {@code n} payments one after the other; invoices created first (untimed). */
  private void sequential(BenchNode payer, BenchNode payee, int n, Tally t) throws Exception {
    List<CreatedInvoice> invs = invoices(payee, n);
    long w0 = System.nanoTime();
    for (CreatedInvoice inv : invs) {
      long dt = payAndWait(payer, inv);
      if (t == null) continue;
      if (dt < 0) {
        t.failures++;
      } else {
        t.latency.recordValue(dt);
        t.payments++;
      }
    }
    if (t != null) t.wallNanos += System.nanoTime() - w0;
  }

  /** {@code payers} threads A->B, each paying its own invoices back to back. */
  private void concurrent(BenchNode payer, BenchNode payee, int payers, int perPayer, Tally t) throws Exception {
    List<List<CreatedInvoice>> invs = new ArrayList<>();
    for (int i = 0; i < payers; i++) invs.add(invoices(payee, perPayer));
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<long[]>> results = new ArrayList<>();
    var pool = Executors.newFixedThreadPool(payers);
    try {
      for (List<CreatedInvoice> mine : invs) {
        results.add(CompletableFuture.supplyAsync(() -> {
          long[] out = new long[mine.size()];
          try {
            start.await();
            for (int i = 0; i < mine.size(); i++) out[i] = payAndWait(payer, mine.get(i));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return out;
        }, pool));
      }
      long w0 = System.nanoTime();
      start.countDown();
      for (CompletableFuture<long[]> f : results) {
        for (long dt : f.get(WAIT.toSeconds() * perPayer, TimeUnit.SECONDS)) {
          if (dt < 0) {
            t.failures++;
          } else {
            t.latency.recordValue(dt);
            t.payments++;
          }
        }
      }
      t.wallNanos += System.nanoTime() - w0;
    } finally {
      pool.shutdownNow();
    }
  }

  private void round(Pair p, int r) throws Exception {
    String la = loadavg();
    long r0 = System.nanoTime();
    phase(p, "A->B x1", () -> sequential(p.a(), p.b(), opt.payments(), tally(p.mode(), "A->B x1")));
    phase(p, "B->A x1", () -> sequential(p.b(), p.a(), opt.payments(), tally(p.mode(), "B->A x1")));
    String conc = "A->B x" + opt.payers();
    phase(p, conc, () -> concurrent(p.a(), p.b(), opt.payers(), opt.perPayer(), tally(p.mode(), conc)));
    log("round %d %-10s done in %.1f s (loadavg before %s)", r, p.mode(), (System.nanoTime() - r0) / 1e9, la);
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs one phase, adding node A's and B's committer deltas to the phase's tally. */
  private void phase(Pair p, String phase, Body body) throws Exception {
    GatedCommitter.Stats a0 = p.a().committer.stats();
    GatedCommitter.Stats b0 = p.b().committer.stats();
    body.run();
    // Let the last payment's trailing commits (payee's claim, revoke_and_ack) land in this phase.
    Thread.sleep(3 * opt.tickMs() + 100);
    tally(p.mode(), phase).addStats(a0, p.a().committer.stats(), b0, p.b().committer.stats());
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private void report() {
    System.out.println();
    System.out.println("| store (node A) | phase | payments | failed | payments/s | p50 ms | p90 ms | p99 ms | max ms"
        + " | A commits/payment | A bytes/payment | B commits/payment | B bytes/payment |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (var e : tallies.entrySet()) {
      String[] k = e.getKey().split("\\|");
      Tally t = e.getValue();
      Histogram h = t.latency;
      double n = Math.max(1, t.payments + t.failures);
      System.out.printf("| %s | %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.0f | %.2f | %.0f |%n", k[0], k[1],
          t.payments, t.failures, t.payments / (t.wallNanos / 1e9), ms(h.getValueAtPercentile(50)),
          ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), t.commitsA / n,
          t.bytesA / n, t.commitsB / n, t.bytesB / n);
    }
    System.out.println();
    for (String phase : List.of("A->B x1", "B->A x1", "A->B x" + opt.payers())) {
      Tally rr = tallies.get("replicated|" + phase);
      Tally mm = tallies.get("in-memory|" + phase);
      if (rr == null || mm == null || mm.payments == 0) continue;
      System.out.printf("ratio replicated/in-memory %s: p50 %.2fx, p90 %.2fx, p99 %.2fx, payments/s %.2fx%n", phase,
          (double) rr.latency.getValueAtPercentile(50) / mm.latency.getValueAtPercentile(50),
          (double) rr.latency.getValueAtPercentile(90) / mm.latency.getValueAtPercentile(90),
          (double) rr.latency.getValueAtPercentile(99) / mm.latency.getValueAtPercentile(99),
          (rr.payments / (rr.wallNanos / 1e9)) / (mm.payments / (mm.wallNanos / 1e9)));
    }
    System.out.println();
  }

  /** Grows node A's channel count and measures commit bytes per A->B payment at each size. */
  private void sweep(Pair p) throws Exception {
    log("channel sweep on pair %s: %s", p.mode(), opt.channelSweep());
    System.out.println();
    System.out.println("| channels on A | payments | p50 ms | A commits/payment | A bytes/payment | manager bytes | loadavg |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---|");
    long perChannelSat = 200_000;
    for (int target : opt.channelSweep()) {
      int have = p.a().channels().size();
      while (have < target) {
        int batch = Math.min(10, target - have);
        for (int i = 0; i < batch; i++) openOne(p, perChannelSat, 0);
        rpc.generateToAddress(1, rpc.getNewAddress()); // keeps unconfirmed chains of change short
        have += batch;
      }
      rpc.generateToAddress(6, rpc.getNewAddress());
      awaitUsable(p, target);
      Thread.sleep(1000); // let the opening's commits settle before measuring
      Tally t = new Tally();
      sequential(p.a(), p.b(), 3, null); // route/scorer warm after the new channels
      GatedCommitter.Stats a0 = p.a().committer.stats();
      GatedCommitter.Stats b0 = p.b().committer.stats();
      sequential(p.a(), p.b(), opt.payments(), t);
      Thread.sleep(3 * opt.tickMs() + 100);
      t.addStats(a0, p.a().committer.stats(), b0, p.b().committer.stats());
      double n = Math.max(1, t.payments + t.failures);
      System.out.printf("| %d | %d | %.1f | %.2f | %.0f | %d | %s |%n", target, t.payments,
          ms(t.latency.getValueAtPercentile(50)), t.commitsA / n, t.bytesA / n, p.a().store.lastManagerBytes.get(), loadavg());
    }
    System.out.println();
  }
}
