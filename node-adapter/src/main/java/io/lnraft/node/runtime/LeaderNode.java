package io.lnraft.node.runtime;

import com.google.protobuf.ByteString;
import io.lnraft.config.HostPort;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.BlockFollower;
import io.lnraft.node.chain.ChainListener;
import io.lnraft.node.chain.ChainTip;
import io.lnraft.node.gate.GatedCommitter;
import io.lnraft.node.ldk.BitcoindFundingWallet;
import io.lnraft.node.ldk.FeeRates;
import io.lnraft.node.ldk.LdkNode;
import io.lnraft.node.ldk.RestoredState;
import io.lnraft.node.peer.NettyPeerTransport;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.proto.GetPayment;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentResult;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.core.Block;
import org.bitcoinj.script.ScriptBuilder;
import org.ldk.structs.PeerManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lightning node of one writer epoch on the ready leader: built from the committed state,
 * driven through the gated committer, stopped for good on the first failure (a new epoch builds a
 * new instance). Order of start (DESIGN.md, leader lifecycle): epoch already acquired -> state read
 * -> LDK objects -> chain sync -> peer listener -> known peers -> ready.
 */
final class LeaderNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderNode.class);
  static final String PEER_KEY_PREFIX = "peers/";

  private final WriterEpoch epoch;
  private final long term;
  private final RaftStoreClient store;
  private final BitcoindRpcClient rpc;
  private final GatedCommitter committer;
  private final LdkNode node;
  private final PeerManager peerManager;
  private final NettyPeerTransport transport;
  private final BlockFollower follower;
  private final ScheduledExecutorService loop;
  private final java.util.concurrent.Semaphore nudges = new java.util.concurrent.Semaphore(0);
  private final Thread driver;
  private final Map<String, HostPort> knownPeers = new ConcurrentHashMap<>();
  private volatile boolean ready;
  private volatile boolean closed;
  private final io.lnraft.node.gate.ServingJournal journal;

  record Settings(String replicaId, BitcoinNetwork network, byte[] ldkSeed, HostPort peerListen, Duration commitTimeout,
      Duration lease, Duration reconnectInterval, int maxPeerConnections,
      io.micrometer.core.instrument.MeterRegistry registry, io.lnraft.node.gate.ServingJournal journal) {}

  /** Builds and starts the node; throws if any step fails (the caller then stays a follower). */
  LeaderNode(Settings s, WriterEpoch epoch, long term, RaftStoreClient store, BitcoindRpcClient rpc,
      Consumer<String> onFailure) throws Exception {
    this.epoch = epoch;
    this.term = term;
    this.store = store;
    this.rpc = rpc;
    this.journal = s.journal();
    long t0 = System.nanoTime();
    StartupState state = store.startupStateFor(epoch).get(s.commitTimeout().toMillis(), TimeUnit.MILLISECONDS);
    long tState = System.nanoTime();
    LdkNode[] holder = new LdkNode[1];
    this.committer = new GatedCommitter(store, epoch.getEpoch(), () -> holder[0].serializeManager(),
        tx -> rpc.sendRawTransaction(org.bitcoinj.core.Transaction.read(java.nio.ByteBuffer.wrap(tx))),
        s.commitTimeout(), s.lease(), onFailure).meteredBy(s.registry()).journaledBy(s.journal());
    java.util.Optional<ChainTip> freshTip = state.getManager().isEmpty()
        ? java.util.Optional.of(new ChainTip(rpc.getBestBlockHash(), rpc.getBlockCount())) : java.util.Optional.empty();
    long nowSecs = System.currentTimeMillis() / 1000;
    // The start time seeds LDK's key derivation for new channels: unique per epoch (same second, new epoch).
    int nanos = (int) (epoch.getEpoch() % 1_000_000_000L);
    LdkNode.Params params = new LdkNode.Params(s.ldkSeed(), nowSecs, nanos, s.network(), RestoredState.from(state),
        freshTip, FeeRates.constant(1250), committer, committer, new BitcoindFundingWallet(rpc),
        () -> ScriptBuilder.createOutputScript(rpc.getNewAddress()).program(),
        hash -> recordedOutboundAmount(store, hash, s.commitTimeout()));
    this.node = committer.underGate(() -> LdkNode.start(params));
    long tLdk = System.nanoTime();
    holder[0] = node;
    if (state.hasIdentity() && !java.util.Arrays.equals(state.getIdentity().getNodePublicKey().toByteArray(), node.nodeId())) {
      node.close();
      throw new IllegalStateException("this replica's seed gives node " + HexFormat.of().formatHex(node.nodeId())
          + " but the cluster's state belongs to node " + HexFormat.of().formatHex(state.getIdentity().getNodePublicKey().toByteArray())
          + ": every replica must use the same seed file");
    }
    committer.stage(Ops.bindIdentity(s.network().id(), node.nodeId()));
    committer.start();
    // Chain: catch up from the node's best block before any peer is served.
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
    long tChain = System.nanoTime();
    byte[] ephemeral = new byte[32];
    new SecureRandom().nextBytes(ephemeral);
    this.peerManager = committer.underGate(() -> node.newPeerManager(ephemeral));
    // Peer activity nudges the node's driver so LDK's resulting events (forward an HTLC, claim a
    // payment, a payment sent) are handled at once instead of at the next periodic tick.
    io.lnraft.node.gate.OutboundGate peerGate = new io.lnraft.node.gate.OutboundGate() {
      @Override
      public void hold(io.lnraft.node.gate.PeerChannel channel, byte[] data) {
        committer.hold(channel, data);
      }

      @Override
      public void wakeCommitter() {
        committer.wakeCommitter();
        nudge();
      }

      @Override
      public <T> T underGate(java.util.function.Supplier<T> ldkCall) {
        return committer.underGate(ldkCall);
      }
    };
    this.transport = new NettyPeerTransport(peerManager, peerGate,
        NettyPeerTransport.Config.defaults().withMaxConnections(s.maxPeerConnections()));
    transport.bind(s.peerListen().host(), s.peerListen().port()).get(10, TimeUnit.SECONDS);
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lnraft-node-e" + epoch.getEpoch());
      t.setDaemon(true);
      return t;
    });
    follower.start(Duration.ofMillis(250));
    this.driver = new Thread(this::drive, "lnraft-node-driver-e" + epoch.getEpoch());
    driver.setDaemon(true);
    driver.start();
    loop.scheduleWithFixedDelay(() -> guarded(() -> committer.runUnderGate(node::timerTick)), 60, 60, TimeUnit.SECONDS);
    loadKnownPeers();
    loop.scheduleWithFixedDelay(this::reconnect, 0, s.reconnectInterval().toMillis(), TimeUnit.MILLISECONDS);
    ready = true;
    long tEnd = System.nanoTime();
    LOG.info("node {} ready on {} as writer epoch {} (term {}), started in {} ms (state read {} ms, {} bytes; LDK {} ms;"
            + " chain {} ms; peers {} ms), block {}",
        HexFormat.of().formatHex(node.nodeId()), s.peerListen(), epoch.getEpoch(), term, (tEnd - t0) / 1_000_000,
        (tState - t0) / 1_000_000, state.getSerializedSize(), (tLdk - tState) / 1_000_000, (tChain - tLdk) / 1_000_000,
        (tEnd - tChain) / 1_000_000, node.bestBlock().height());
  }

  /**
   * The amount of the committed OUTBOUND record of a payment (a previous epoch started it). Called
   * from LDK's event handling, under the gate's read side: a linearizable read of one record.
   */
  private static OptionalLong recordedOutboundAmount(RaftStoreClient store, byte[] paymentHash, Duration timeout) {
    try {
      PaymentResult r = store.query(Query.newBuilder().setGetPayment(GetPayment.newBuilder()
              .setPaymentHash(ByteString.copyFrom(paymentHash)).setDirection(PaymentDirection.OUTBOUND)), QueryReply::getPayment)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return r.getFound() && r.getPayment().getAmountMsat() > 0 ? OptionalLong.of(r.getPayment().getAmountMsat()) : OptionalLong.empty();
    } catch (Exception e) {
      LOG.warn("could not read the ledger record of outbound payment {}: {}", HexFormat.of().formatHex(paymentHash), e.toString());
      return OptionalLong.empty();
    }
  }

  /** Asks the driver to process LDK's events now (after peer messages or an API call). */
  void nudge() {
    nudges.release();
  }

  /** Handles LDK's events when nudged, and at least every 50 ms. */
  private void drive() {
    while (!closed) {
      try {
        nudges.tryAcquire(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      nudges.drainPermits();
      tick();
    }
  }

  private void tick() {
    guarded(() -> {
      committer.runUnderGate(() -> {
        node.processEvents();
        peerManager.process_events();
      });
      committer.wakeCommitter();
    });
  }

  private void guarded(Runnable r) {
    if (closed) return;
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("epoch {}: node task failed: {}", epoch.getEpoch(), e.toString());
    }
  }

  private void loadKnownPeers() {
    // Peers live in the replicated kv as peers/<node id hex> -> host:port.
    String raw = null;
    try {
      KvResult index = store.kv(PEER_KEY_PREFIX + "index").get(5, TimeUnit.SECONDS);
      if (index.getFound()) raw = index.getRecord().getValue().toStringUtf8();
    } catch (Exception e) {
      LOG.warn("could not read known peers: {}", e.toString());
    }
    if (raw == null || raw.isBlank()) return;
    for (String line : raw.split("\n")) {
      String[] parts = line.trim().split(" ", 2);
      if (parts.length == 2) knownPeers.put(parts[0], HostPort.parse(parts[1]));
    }
  }

  /** Remembers a peer in the replicated kv (so the next leader dials it) and dials it now. */
  void addPeer(String nodeIdHex, HostPort address) throws Exception {
    Map<String, HostPort> next = new java.util.TreeMap<>(knownPeers);
    next.put(nodeIdHex, address);
    StringBuilder sb = new StringBuilder();
    next.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
    io.lnraft.node.gate.ServingJournal.Act act = journal.begin(io.lnraft.node.gate.ServingJournal.Kind.COMMIT, epoch.getEpoch());
    store.commit(epoch.getEpoch(), List.of(Ops.putKv(PEER_KEY_PREFIX + "index", sb.toString().getBytes(StandardCharsets.UTF_8),
        OptionalLong.empty()))).get(10, TimeUnit.SECONDS);
    act.end(); // not on a timeout: an unanswered commit may still land, so its act stays open
    byte[] id = HexFormat.of().parseHex(nodeIdHex);
    try {
      // Known to the reconnect loop only after this dial: two dials at once make LDK refuse one.
      transport.connect(id, address.host(), address.port()).get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      // A dial of the reconnect loop (a peer added again) may have won the race: connected is connected.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < deadline) {
        if (transport.connectedPeers().stream().anyMatch(p -> java.util.Arrays.equals(p, id))) return;
        Thread.sleep(50);
      }
      throw e;
    } finally {
      knownPeers.put(nodeIdHex, address);
    }
  }

  private void reconnect() {
    guarded(() -> {
      java.util.Set<String> connected = new java.util.HashSet<>();
      for (byte[] id : transport.connectedPeers()) connected.add(HexFormat.of().formatHex(id));
      knownPeers.forEach((id, addr) -> {
        if (!connected.contains(id)) {
          transport.connect(HexFormat.of().parseHex(id), addr.host(), addr.port()).exceptionally(e -> {
            LOG.debug("reconnect to {} failed: {}", addr, e.toString());
            return null;
          });
        }
      });
    });
  }

  boolean ready() {
    return ready && !closed && !committer.failed();
  }

  WriterEpoch epoch() {
    return epoch;
  }

  long term() {
    return term;
  }

  LdkNode ldk() {
    return node;
  }

  GatedCommitter committer() {
    return committer;
  }

  NettyPeerTransport transport() {
    return transport;
  }

  Map<String, HostPort> knownPeers() {
    return knownPeers;
  }

  /** Stops at once: nothing held is sent; sockets and listener closed; LDK stopped. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    ready = false;
    committer.close(); // drops held bytes and broadcasts first
    try {
      transport.close();
    } catch (RuntimeException e) {
      LOG.debug("closing transport: {}", e.toString());
    }
    follower.close();
    driver.interrupt();
    loop.shutdownNow();
    try {
      loop.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    committer.runUnderGate(node::close);
    LOG.info("node of epoch {} stopped", epoch.getEpoch());
  }
}
