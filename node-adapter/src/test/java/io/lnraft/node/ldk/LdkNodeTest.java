package io.lnraft.node.ldk;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.ChainTip;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import io.lnraft.store.InMemoryRecords;
import io.lnraft.store.Ops;
import io.lnraft.store.StoreQueries;
import io.lnraft.store.StoreTransition;
import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.ChannelEventKind;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.GetPayment;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentResult;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.Status;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.bitcoinj.base.Address;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.script.ScriptBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.ldk.structs.Option_NetAddressZ;
import org.ldk.structs.PeerManager;
import org.ldk.structs.Result_CVec_u8ZPeerHandleErrorZ;
import org.ldk.structs.Result_boolPeerHandleErrorZ;
import org.ldk.structs.SocketDescriptor;
import org.slf4j.LoggerFactory;

/**
 * Two real LDK nodes (JNI) over an in-process byte pipe, on the chain simulator, each committing
 * to its own in-memory store through {@link StoreTransition} the way the gated committer does:
 * staged ops + the serialized manager as ONE Commit, and peer bytes / broadcasts released only
 * after that commit. Any non-OK store reply fails the test (LDK's update ids must obey the
 * store's rules). Node B is then rebuilt from its store alone and the channel keeps working.
 *
 * <p>All LDK calls run on one loop thread (the gate's read side, trivially); the test thread only
 * submits work to it and polls with bounded waits.
 */
@Timeout(120)
class LdkNodeTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final long CAPACITY_SAT = 1_000_000;
  private static final Duration WAIT = Duration.ofSeconds(20);

  private ChainSimulator sim;
  private BitcoindRpcClient rpc;
  private ScheduledExecutorService loop;
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final ArrayDeque<Runnable> wire = new ArrayDeque<>(); // loop thread only
  private final AtomicLong descriptorIds = new AtomicLong(1);
  private final List<Object> keepAlive = new ArrayList<>();

  /** One replica's node, its store and its held outbound bytes. Touched on the loop thread only. */
  final class Side {
    final String name;
    final byte[] ldkSeed;
    final InMemoryRecords records = new InMemoryRecords();
    long index;
    long epoch;
    final List<Op> staged = new ArrayList<>();
    final List<Runnable> heldBytes = new ArrayList<>();
    final List<byte[]> heldBroadcasts = new ArrayList<>();
    final List<End> ends = new ArrayList<>();
    LdkNode node;
    PeerManager pm;
    boolean alive;
    int commits;
    /** When commits reaches this, the node crashes right after that commit (-1: never). */
    int crashAtCommit = -1;
    boolean crashNow;
    int updateOps;
    int baseOps;

    Side(String name, byte seedByte) {
      this.name = name;
      byte[] bip39 = new byte[64];
      java.util.Arrays.fill(bip39, seedByte);
      this.ldkSeed = LdkSeed.fromBip39Seed(bip39);
    }

    void acquireEpoch() {
      Envelope e = Envelope.newBuilder().setFormatVersion(1)
          .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId(name).setTerm(1)).build();
      StoreTransition.Transition t = StoreTransition.apply(records, e, 1, ++index);
      records.apply(t.mutations());
      assertThat(t.reply().getStatus()).isEqualTo(Status.OK);
      epoch = t.reply().getWriter().getEpoch();
    }

    void start(RestoredState restored, java.util.Optional<ChainTip> tip, long startSecs) {
      node = LdkNode.start(new LdkNode.Params(ldkSeed, startSecs, (int) epoch, BitcoinNetwork.REGTEST, restored, tip,
          FeeRates.constant(1250), staged::add, heldBroadcasts::add, new BitcoindFundingWallet(rpc),
          () -> ScriptBuilder.createOutputScript(rpc.getNewAddress()).program()));
      byte[] ephemeral = new byte[32];
      new java.security.SecureRandom().nextBytes(ephemeral);
      pm = node.newPeerManager(ephemeral);
      alive = true;
    }

    /** The gated commit: staged ops + manager in one Commit, then release bytes and broadcasts. */
    void commit() {
      if (!alive || (staged.isEmpty() && heldBytes.isEmpty() && heldBroadcasts.isEmpty())) return;
      List<Op> ops = new ArrayList<>(staged);
      staged.clear();
      for (Op op : ops) {
        if (op.hasAppendMonitorUpdate()) updateOps++;
        if (op.hasPutBaseMonitor()) baseOps++;
      }
      ops.add(Ops.putManager(node.serializeManager()));
      Envelope e = Envelope.newBuilder().setFormatVersion(1)
          .setCommit(Commit.newBuilder().setEpoch(epoch).addAllOps(ops)).build();
      StoreTransition.Transition t = StoreTransition.apply(records, e, 1, ++index);
      records.apply(t.mutations());
      commits++;
      if (commits == crashAtCommit) crashNow = true;
      if (!t.accepted()) {
        failures.add(name + ": commit rejected " + t.reply().getStatus() + " at op " + t.reply().getFailedOpIndex()
            + ": " + t.reply().getMessage());
      }
      wire.addAll(heldBytes);
      heldBytes.clear();
      for (byte[] tx : heldBroadcasts) {
        try {
          rpc.sendRawTransaction(Transaction.read(ByteBuffer.wrap(tx)));
        } catch (RuntimeException ex) {
          LoggerFactory.getLogger(LdkNodeTest.class).info("{}: broadcast refused: {}", name, ex.getMessage());
        }
      }
      heldBroadcasts.clear();
    }

    PaymentResult payment(String hashHex, PaymentDirection dir) {
      return StoreQueries.answer(records, Query.newBuilder().setFormatVersion(1).setGetPayment(
          GetPayment.newBuilder().setPaymentHash(com.google.protobuf.ByteString.copyFrom(HEX.parseHex(hashHex)))
              .setDirection(dir)).build()).getPayment();
    }
  }

  /** One end of an in-process connection. */
  final class End {
    final Side owner;
    final long id = descriptorIds.getAndIncrement();
    End peer;
    boolean open = true;
    final SocketDescriptor descriptor;

    End(Side owner) {
      this.owner = owner;
      End self = this;
      this.descriptor = SocketDescriptor.new_impl(new SocketDescriptor.SocketDescriptorInterface() {
        @Override
        public long send_data(byte[] data, boolean resumeRead) {
          byte[] copy = data.clone();
          owner.heldBytes.add(() -> self.peer.receive(copy)); // persist before send: held until commit
          return data.length;
        }

        @Override
        public void disconnect_socket() {
          self.open = false;
          wire.add(() -> self.peer.remoteClosed());
        }

        @Override
        public boolean eq(SocketDescriptor other) {
          return other.hash() == self.id;
        }

        @Override
        public long hash() {
          return self.id;
        }
      });
      keepAlive.add(descriptor);
      owner.ends.add(this);
    }

    void receive(byte[] data) {
      if (!open || !owner.alive) return;
      Result_boolPeerHandleErrorZ r = owner.pm.read_event(descriptor, data);
      if (!r.is_ok()) {
        open = false; // LDK forgot this peer already: no socket_disconnected
        wire.add(() -> peer.remoteClosed());
      }
      owner.pm.process_events();
    }

    void remoteClosed() {
      if (!open || !owner.alive) return;
      open = false;
      owner.pm.socket_disconnected(descriptor);
    }
  }

  private Side a;
  private Side b;

  @BeforeEach
  void setUp() throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.lnraft")).setLevel(Level.INFO);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.lnraft.node.chain")).setLevel(Level.WARN);
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("lnraft", "test-password")));
    rpc = new BitcoindRpcClient(sim.clientConfig());
    loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "ldk-loop"));
    a = new Side("A", (byte) 1);
    b = new Side("B", (byte) 2);
    loop.scheduleWithFixedDelay(this::pump, 5, 5, TimeUnit.MILLISECONDS);
  }

  @AfterEach
  void tearDown() {
    if (loop != null) loop.shutdownNow();
    if (sim != null) sim.close();
  }

  private void pump() {
    try {
      for (Side s : List.of(a, b)) {
        if (!s.alive) continue;
        s.node.processEvents();
        s.pm.process_events();
      }
      for (Side s : List.of(a, b)) {
        s.commit();
        if (s.crashNow) crash(s); // what it released is out; what it staged since is lost
      }
      for (int i = 0; i < 1000 && !wire.isEmpty(); i++) wire.poll().run();
    } catch (Throwable t) {
      failures.add("pump: " + t);
    }
  }

  private <T> T onLoop(Callable<T> work) throws Exception {
    return loop.submit(() -> {
      T r = work.call();
      pump();
      return r;
    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private void await(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!onLoop(condition::getAsBoolean)) {
      assertThat(failures).isEmpty();
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(10);
    }
    assertThat(failures).isEmpty();
  }

  private void connect(Side from, Side to) throws Exception {
    onLoop(() -> {
      End out = new End(from);
      End in = new End(to);
      out.peer = in;
      in.peer = out;
      Result_CVec_u8ZPeerHandleErrorZ r = from.pm.new_outbound_connection(to.node.nodeId(), out.descriptor, Option_NetAddressZ.none());
      assertThat(r.is_ok()).isTrue();
      byte[] actOne = ((Result_CVec_u8ZPeerHandleErrorZ.Result_CVec_u8ZPeerHandleErrorZ_OK) r).res;
      assertThat(to.pm.new_inbound_connection(in.descriptor, Option_NetAddressZ.none()).is_ok()).isTrue();
      from.heldBytes.add(() -> in.receive(actOne));
      return null;
    });
    await("peers connected", () -> from.pm.get_peer_node_ids().length == 1 && to.pm.get_peer_node_ids().length == 1);
  }

  /** Mines {@code n} blocks and feeds every block after each node's best block to it. */
  private void mine(int n) throws Exception {
    Address to = rpc.getNewAddress();
    rpc.generateToAddress(n, to);
    syncChain();
  }

  private void syncChain() throws Exception {
    int tip = rpc.getBlockCount();
    List<Block> blocks = new ArrayList<>();
    int from = Math.min(onLoop(() -> a.node.bestBlock().height()), onLoop(() -> b.node.bestBlock().height())) + 1;
    for (int h = from; h <= tip; h++) blocks.add(rpc.getBlock(rpc.getBlockHash(h)));
    int first = from;
    onLoop(() -> {
      for (Side s : List.of(a, b)) {
        for (int i = 0; i < blocks.size(); i++) {
          int h = first + i;
          if (h > s.node.bestBlock().height()) s.node.blockConnected(blocks.get(i).serialize(), h);
        }
      }
      return null;
    });
  }

  /** Loop thread: the node stops dead; its peer sees the socket close. */
  private LdkNode crash(Side s) {
    s.alive = false;
    s.crashNow = false;
    s.crashAtCommit = -1;
    s.staged.clear();
    s.heldBytes.clear();
    s.heldBroadcasts.clear();
    for (End e : s.ends) {
      e.open = false;
      e.peer.remoteClosed();
    }
    s.ends.clear();
    return s.node;
  }

  /** A new leader: acquire an epoch, read the store, start LDK from it. */
  private void restore(Side s, long startSecs) throws Exception {
    onLoop(() -> {
      s.acquireEpoch();
      RestoredState restored = RestoredState.from(StoreQueries.startupState(s.records));
      assertThat(restored.manager()).isPresent();
      assertThat(restored.channels()).hasSize(1);
      s.start(restored, java.util.Optional.empty(), startSecs);
      return null;
    });
  }

  private static ChannelInfo onlyChannel(Side s) {
    List<ChannelInfo> cs = s.node.listChannels();
    assertThat(cs).hasSize(1);
    return cs.get(0);
  }

  /** {@code payee} invoices, {@code payer} pays; waits until both ledgers are final. */
  private String pay(Side payer, Side payee, long amountMsat) throws Exception {
    CreatedInvoice inv = onLoop(() -> payee.node.createInvoice(amountMsat, "test " + amountMsat, 3600));
    String hash = onLoop(() -> payer.node.payInvoice(inv.bolt11()));
    assertThat(hash).isEqualTo(inv.paymentHashHex());
    await("payment " + hash + " settled in both ledgers", () ->
        payer.payment(hash, PaymentDirection.OUTBOUND).getPayment().getStatus() == PaymentStatus.SUCCEEDED
            && payee.payment(hash, PaymentDirection.INBOUND).getPayment().getStatus() == PaymentStatus.SUCCEEDED);
    PaymentResult in = onLoop(() -> payee.payment(hash, PaymentDirection.INBOUND));
    assertThat(in.getPayment().getAmountMsat()).isEqualTo(amountMsat);
    assertThat(in.getPayment().getPreimage().size()).isEqualTo(32);
    PaymentResult out = onLoop(() -> payer.payment(hash, PaymentDirection.OUTBOUND));
    assertThat(out.getPayment().getPreimage()).isEqualTo(in.getPayment().getPreimage());
    assertThat(out.getPayment().getAmountMsat()).isEqualTo(amountMsat);
    return hash;
  }

  private void assertBalances(long aToBMsat) throws Exception {
    onLoop(() -> {
      ChannelInfo ca = onlyChannel(a);
      ChannelInfo cb = onlyChannel(b);
      assertThat(ca.balanceMsat()).isEqualTo(CAPACITY_SAT * 1000 - aToBMsat);
      assertThat(cb.balanceMsat()).isEqualTo(aToBMsat);
      assertThat(ca.funding()).isEqualTo(cb.funding());
      return null;
    });
  }

  private long countEvents(Side s, ChannelEventKind kind) {
    return StoreQueries.events(s.records, 0, 0).getEventsList().stream()
        .filter(LedgerEvent::hasChannel).filter(e -> e.getChannel().getKind() == kind).count();
  }

  /** Starts A and B fresh at the simulator's tip, opens A->B and waits until it is usable. */
  private long startAndOpenChannel() throws Exception {
    ChainTip tip = new ChainTip(rpc.getBestBlockHash(), rpc.getBlockCount());
    long now = System.currentTimeMillis() / 1000;
    onLoop(() -> {
      a.acquireEpoch();
      b.acquireEpoch();
      a.start(RestoredState.empty(), java.util.Optional.of(tip), now);
      b.start(RestoredState.empty(), java.util.Optional.of(tip), now);
      return null;
    });
    byte[] bId = onLoop(() -> b.node.nodeId());
    connect(a, b);
    onLoop(() -> a.node.openChannel(bId, CAPACITY_SAT, 0));
    await("funding transaction in the mempool", () -> !rpc.getRawMempool().isEmpty());
    mine(6);
    await("channel usable on both sides", () -> onlyChannel(a).usable() && onlyChannel(b).usable());
    return now;
  }

  /** Net msat A sent to B according to A's ledger; both nodes' balances must match it. */
  private void assertBalancesMatchLedger() throws Exception {
    onLoop(() -> {
      long net = 0;
      for (LedgerEvent e : StoreQueries.events(a.records, 0, 0).getEventsList()) {
        if (e.hasPayment() && e.getPayment().getStatus() == PaymentStatus.SUCCEEDED) {
          net += e.getPayment().getDirection() == PaymentDirection.OUTBOUND ? e.getPayment().getAmountMsat()
              : -e.getPayment().getAmountMsat();
        }
      }
      assertThat(onlyChannel(a).balanceMsat()).isEqualTo(CAPACITY_SAT * 1000 - net);
      assertThat(onlyChannel(b).balanceMsat()).isEqualTo(net);
      return null;
    });
  }

  /**
   * The gated-commit claim on the real binding: B crashes right after each of its first commits
   * of an A->B payment (everything staged or held since is lost), is rebuilt from its store, and
   * the channel survives: the payment ends SUCCEEDED in both ledgers (or FAILED at A and absent
   * at B), and both balances match A's ledger.
   */
  @Test
  void survivesACrashOfThePayeeAtEveryCommitOfAPayment() throws Exception {
    long t0 = System.nanoTime();
    long now = startAndOpenChannel();
    hashesOf(pay(a, b, 100_000_000)); // give B an outbound balance too
    List<String> outcomes = new ArrayList<>();
    for (int k = 1; k <= 8; k++) {
      int crashAt = k;
      CreatedInvoice inv = onLoop(() -> b.node.createInvoice(2_000_000, "crash " + crashAt, 3600));
      onLoop(() -> {
        b.crashAtCommit = b.commits + crashAt;
        return a.node.payInvoice(inv.bolt11());
      });
      String hash = inv.paymentHashHex();
      await("B crashed at commit " + k + " of the payment, or the payment settled", () -> !b.alive
          || b.payment(hash, PaymentDirection.INBOUND).getFound() && a.payment(hash, PaymentDirection.OUTBOUND)
              .getPayment().getStatus() == PaymentStatus.SUCCEEDED);
      boolean crashed = onLoop(() -> {
        b.crashAtCommit = -1;
        return !b.alive;
      });
      if (!crashed) {
        outcomes.add("no commit " + k + " (payment settled in " + (k - 1) + " commits of B)");
        break;
      }
      restore(b, now + k);
      connect(a, b);
      await("channel usable after crash " + k, () -> onlyChannel(a).usable() && onlyChannel(b).usable());
      await("payment after crash " + k + " final at A", () -> {
        PaymentStatus st = a.payment(hash, PaymentDirection.OUTBOUND).getPayment().getStatus();
        return st == PaymentStatus.FAILED
            || (st == PaymentStatus.SUCCEEDED && b.payment(hash, PaymentDirection.INBOUND).getFound());
      });
      PaymentStatus atA = onLoop(() -> a.payment(hash, PaymentDirection.OUTBOUND).getPayment().getStatus());
      PaymentResult atB = onLoop(() -> b.payment(hash, PaymentDirection.INBOUND));
      if (atA == PaymentStatus.FAILED) assertThat(atB.getFound()).isFalse();
      else assertThat(atB.getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
      outcomes.add("crash@" + k + "=" + atA);
      assertBalancesMatchLedger();
    }
    pay(a, b, 1_000_000);
    pay(b, a, 1_000_000);
    assertBalancesMatchLedger();
    assertThat(failures).isEmpty();
    assertThat(onLoop(() -> a.node.channelClosedCount() + b.node.channelClosedCount())).isZero();
    assertThat(onLoop(() -> countEvents(a, ChannelEventKind.CLOSED) + countEvents(b, ChannelEventKind.CLOSED))).isZero();
    System.out.printf("LdkNodeTest crash-per-commit: %s in %d ms%n", outcomes, (System.nanoTime() - t0) / 1_000_000);
  }

  private static void hashesOf(String hash) {
    assertThat(hash).hasSize(64);
  }

  @Test
  void opensPaysBothWaysRestoresFromTheStoreAndPaysAgain() throws Exception {
    long t0 = System.nanoTime();
    long now = startAndOpenChannel();
    byte[] bId = onLoop(() -> b.node.nodeId());
    long opened = System.nanoTime();
    assertThat(onLoop(() -> countEvents(a, ChannelEventKind.OPENED))).isEqualTo(1);
    assertThat(onLoop(() -> countEvents(b, ChannelEventKind.OPENED))).isEqualTo(1);

    long aToB = 0;
    List<String> hashes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      hashes.add(pay(a, b, 60_000_000));
      aToB += 60_000_000;
    }
    for (int i = 0; i < 2; i++) {
      hashes.add(pay(b, a, 15_000_000));
      aToB -= 15_000_000;
    }
    // ~5 monitor updates per payment per side: cross update id 64 (compaction) before the restore.
    for (int i = 0; i < 4; i++) {
      hashes.add(pay(a, b, 1_000_000));
      hashes.add(pay(b, a, 500_000));
      aToB += 500_000;
    }
    assertBalances(aToB);
    long paid = System.nanoTime();

    // B "crashes" at a commit boundary and is rebuilt from its store alone (new epoch, new start time).
    byte[] oldId = bId;
    long compactedBase = onLoop(() -> StoreQueries.startupState(b.records).getChannels(0).getRecord().getBaseUpdateId());
    assertThat(compactedBase).as("a full monitor replaced the deltas at update 64").isGreaterThanOrEqualTo(64);
    LdkNode oldB = onLoop(() -> crash(b));
    restore(b, now + 1);
    assertThat(onLoop(() -> b.node.nodeId())).isEqualTo(oldId);
    assertThat(onLoop(() -> b.node.bestBlock())).isEqualTo(onLoop(() -> a.node.bestBlock()));
    connect(a, b);
    await("channel usable again after restore", () -> onlyChannel(a).usable() && onlyChannel(b).usable());
    long restoredAt = System.nanoTime();

    for (int i = 0; i < 2; i++) {
      hashes.add(pay(a, b, 7_000_000));
      aToB += 7_000_000;
      hashes.add(pay(b, a, 3_000_000));
      aToB -= 3_000_000;
    }
    assertBalances(aToB);
    mine(1); // chain-sync writes of the restored monitor go through the store's rules too
    onLoop(() -> null);

    assertThat(failures).isEmpty();
    assertThat(onLoop(() -> a.node.channelClosedCount() + b.node.channelClosedCount() + oldB.channelClosedCount())).isZero();
    assertThat(onLoop(() -> countEvents(a, ChannelEventKind.CLOSED) + countEvents(b, ChannelEventKind.CLOSED))).isZero();
    assertThat(onLoop(() -> countEvents(b, ChannelEventKind.OPENED))).isEqualTo(1); // not re-reported after restore
    assertThat(hashes).doesNotHaveDuplicates().hasSize(17);
    long end = System.nanoTime();
    System.out.printf("LdkNodeTest timings: open+6 blocks %d ms, 13 payments %d ms, restore+reconnect %d ms,"
            + " 4 payments %d ms; commits A=%d B=%d, monitor deltas A=%d B=%d, full monitors A=%d B=%d%n",
        (opened - t0) / 1_000_000, (paid - opened) / 1_000_000, (restoredAt - paid) / 1_000_000,
        (end - restoredAt) / 1_000_000, a.commits, b.commits, a.updateOps, b.updateOps, a.baseOps, b.baseOps);

    // Cooperative close from the restored side: CLOSED in both ledgers, not counted as a force close,
    // and LDK's closed-channel monitor updates (id 2^64-1) pass the store's rules.
    String channelId = onLoop(() -> onlyChannel(b).channelIdHex());
    onLoop(() -> {
      b.node.closeChannel(channelId, false);
      return null;
    });
    await("closing transaction in the mempool", () -> !rpc.getRawMempool().isEmpty());
    mine(1);
    await("ChannelClosed on both sides", () -> a.node.channelClosedCount() == 1 && b.node.channelClosedCount() == 1
        && a.node.listChannels().isEmpty() && b.node.listChannels().isEmpty());
    mine(1);
    assertThat(failures).isEmpty();
    assertThat(onLoop(() -> a.node.forceCloseCount() + b.node.forceCloseCount())).isZero();
    assertThat(onLoop(() -> countEvents(a, ChannelEventKind.CLOSED))).isEqualTo(1);
    assertThat(onLoop(() -> countEvents(b, ChannelEventKind.CLOSED))).isEqualTo(1);
  }
}
