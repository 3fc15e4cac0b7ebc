package io.lnraft.node.ldk;

import com.google.protobuf.ByteString;
import io.lnraft.node.chain.ChainTip;
import io.lnraft.node.gate.BroadcastStage;
import io.lnraft.node.gate.CommitStage;
import io.lnraft.store.Ops;
import io.lnraft.store.proto.ChannelEventKind;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.RecordChannelEvent;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.base.Sha256Hash;
import org.ldk.enums.ConfirmationTarget;
import org.ldk.enums.Currency;
import org.ldk.enums.Level;
import org.ldk.enums.Network;
import org.ldk.enums.Recipient;
import org.ldk.structs.APIError;
import org.ldk.structs.BestBlock;
import org.ldk.structs.BroadcasterInterface;
import org.ldk.structs.ChainMonitor;
import org.ldk.structs.ChainParameters;
import org.ldk.structs.ChannelDetails;
import org.ldk.structs.ChannelManager;
import org.ldk.structs.ChannelMonitor;
import org.ldk.structs.ChannelMonitorUpdate;
import org.ldk.structs.ClosureReason;
import org.ldk.structs.DefaultRouter;
import org.ldk.structs.Event;
import org.ldk.structs.EventHandler;
import org.ldk.structs.FeeEstimator;
import org.ldk.structs.IgnoringMessageHandler;
import org.ldk.structs.Invoice;
import org.ldk.structs.InvoicePayer;
import org.ldk.structs.KeysInterface;
import org.ldk.structs.KeysManager;
import org.ldk.structs.Logger;
import org.ldk.structs.MultiThreadedLockableScore;
import org.ldk.structs.NetGraphMsgHandler;
import org.ldk.structs.NetworkGraph;
import org.ldk.structs.Option_AccessZ;
import org.ldk.structs.Option_FilterZ;
import org.ldk.structs.Option_u64Z;
import org.ldk.structs.OutPoint;
import org.ldk.structs.PaymentError;
import org.ldk.structs.PaymentPurpose;
import org.ldk.structs.PeerManager;
import org.ldk.structs.Persist;
import org.ldk.structs.ProbabilisticScorer;
import org.ldk.structs.ProbabilisticScoringParameters;
import org.ldk.structs.Result_C2Tuple_BlockHashChannelManagerZDecodeErrorZ;
import org.ldk.structs.Result_C2Tuple_BlockHashChannelMonitorZDecodeErrorZ;
import org.ldk.structs.Result_ChannelMonitorUpdateDecodeErrorZ;
import org.ldk.structs.Result_InvoiceParseOrSemanticErrorZ;
import org.ldk.structs.Result_InvoiceSignOrCreationErrorZ;
import org.ldk.structs.Result_NoneAPIErrorZ;
import org.ldk.structs.Result_NoneChannelMonitorUpdateErrZ;
import org.ldk.structs.Result_PaymentIdPaymentErrorZ;
import org.ldk.structs.Result_SecretKeyNoneZ;
import org.ldk.structs.Result_TransactionNoneZ;
import org.ldk.structs.Result__u832APIErrorZ;
import org.ldk.structs.RetryAttempts;
import org.ldk.structs.TwoTuple_BlockHashChannelManagerZ;
import org.ldk.structs.TwoTuple_BlockHashChannelMonitorZ;
import org.ldk.structs.TxOut;
import org.ldk.structs.UserConfig;
import org.ldk.structs.UtilMethods;
import org.slf4j.LoggerFactory;

/**
 * Our Lightning node: the LDK object graph (keys, chain monitor, channel manager, router and
 * invoice payer) wired to the gated commit. Every state change LDK makes leaves through the {@link
 * CommitStage} (monitor writes from the persister; payment-ledger records and channel events from
 * {@link #processEvents()}), every transaction through the {@link BroadcastStage}.
 *
 * <p>Threading contract: every method is called by our code while it holds the READ side of the
 * commit gate (peer bytes, API calls, ticks, blocks, events may run concurrently: LDK locks
 * internally), except {@link #serializeManager()}, which the committer calls under the WRITE side,
 * never from inside an LDK callback (ChannelManager.write() takes LDK's main lock exclusively).
 * Event handling is synchronous inside {@link #processEvents()}: work handed to another thread
 * would be lost on a crash.
 *
 * <p>Lifetime: the node keeps a reference to every LDK object it created (callbacks included)
 * until {@link #close()}; the binding frees native memory when a Java wrapper is collected, and a
 * callback collected while LDK still holds it crashes the JVM.
 */
public final class LdkNode implements AutoCloseable {
  static {
    // Touching an org.ldk.enums class before the bindings are initialized fails with
    // UnsatisfiedLinkError (Network.init()): load the bindings first.
    try {
      Class.forName("org.ldk.impl.bindings", true, LdkNode.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final org.slf4j.Logger log = LoggerFactory.getLogger(LdkNode.class);
  private static final HexFormat HEX = HexFormat.of();
  /** LDK rejects fee rates below 253 sat/kw (the minimum relay fee in its units). */
  private static final int MIN_FEE_SAT_PER_KW = 253;
  private static final int PAYMENT_RETRY_ATTEMPTS = 3;

  /**
   * What {@link #start} needs.
   *
   * @param ldkSeed 32 bytes, see {@link LdkSeed#fromBip39Seed}
   * @param startTimeSecs with {@code startTimeNanos}: unique for each start of this node (clock
   *     plus writer epoch): it seeds LDK's RNG and channel key ids
   * @param restored the committed state ({@link RestoredState#empty()} for a new node)
   * @param freshTip the chain tip a NEW node starts from (not used when restoring: the manager
   *     knows its own best block, see {@link #bestBlock()})
   * @param sweepScript output script (scriptPubKey bytes) our swept on-chain outputs go to
   * @param recordedOutbound the amount (msat) the committed ledger holds for an OUTBOUND payment
   *     hash, for payments a previous node instance started: LDK's PaymentSent/PaymentFailed do
   *     not carry the amount, and this instance did not see the payment begin
   */
  public record Params(
      byte[] ldkSeed,
      long startTimeSecs,
      int startTimeNanos,
      BitcoinNetwork network,
      RestoredState restored,
      Optional<ChainTip> freshTip,
      FeeRates feeRates,
      CommitStage commitStage,
      BroadcastStage broadcastStage,
      FundingWallet fundingWallet,
      Supplier<byte[]> sweepScript,
      Function<byte[], OptionalLong> recordedOutbound) {
    /** Without a ledger to look amounts up in (tests that never restore mid-payment). */
    public Params(byte[] ldkSeed, long startTimeSecs, int startTimeNanos, BitcoinNetwork network, RestoredState restored,
        Optional<ChainTip> freshTip, FeeRates feeRates, CommitStage commitStage, BroadcastStage broadcastStage,
        FundingWallet fundingWallet, Supplier<byte[]> sweepScript) {
      this(ldkSeed, startTimeSecs, startTimeNanos, network, restored, freshTip, feeRates, commitStage, broadcastStage,
          fundingWallet, sweepScript, hash -> OptionalLong.empty());
    }

    public Params {
      Objects.requireNonNull(recordedOutbound);
      if (ldkSeed.length != 32) throw new IllegalArgumentException("the LDK seed is 32 bytes, got " + ldkSeed.length);
      Objects.requireNonNull(network);
      Objects.requireNonNull(restored);
      Objects.requireNonNull(feeRates);
      Objects.requireNonNull(commitStage);
      Objects.requireNonNull(broadcastStage);
      Objects.requireNonNull(fundingWallet);
      Objects.requireNonNull(sweepScript);
      Objects.requireNonNull(freshTip);
      if (restored.isEmpty() && freshTip.isEmpty()) throw new IllegalArgumentException("a new node needs the chain tip to start from");
    }
  }

  /** An LDK call that refused (bad argument, channel unavailable, no route...). */
  public static final class LdkException extends RuntimeException {
    LdkException(String message) {
      super(message);
    }
  }

  private final Params params;
  private final Network ldkNetwork;
  private final Currency currency;
  // Every LDK object we create is a field or in keepAlive: see the class comment.
  private final Logger logger;
  private final FeeEstimator feeEstimator;
  private final BroadcasterInterface broadcaster;
  private final MonitorStager stager;
  private final Persist persist;
  private final KeysManager keysManager;
  private final KeysInterface keys;
  private final UserConfig config;
  private final ChainMonitor chainMonitor;
  private final ChannelManager channelManager;
  private final NetworkGraph networkGraph;
  private final NetGraphMsgHandler graphHandler;
  private final IgnoringMessageHandler ignoring;
  private final MultiThreadedLockableScore scorer;
  private final DefaultRouter router;
  private final EventHandler ourHandler;
  private final InvoicePayer payer;
  private final EventHandler payerHandler;
  private final byte[] nodeSecret;
  private final List<Object> keepAlive = new ArrayList<>();

  /** Channels by id as last listed: ChannelClosed names only the id, the store wants the outpoint. */
  private final Map<String, ChannelInfo> knownChannels = new ConcurrentHashMap<>();
  private final Set<String> reportedOpen = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> outboundAmounts = new ConcurrentHashMap<>();
  private final Map<String, String> invoiceDescriptions = new ConcurrentHashMap<>();
  private final AtomicInteger closedCount = new AtomicInteger();
  private final AtomicInteger forceCloseCount = new AtomicInteger();
  private volatile boolean closed;

  private LdkNode(Params p) {
    this.params = p;
    this.ldkNetwork = ldkNetwork(p.network());
    this.currency = currency(p.network());
    this.logger = Logger.new_impl(LdkNode::log);
    this.feeEstimator = FeeEstimator.new_impl(target -> {
      long rate = p.feeRates().satPerKw(target(target));
      return (int) Math.max(MIN_FEE_SAT_PER_KW, Math.min(rate, Integer.MAX_VALUE));
    });
    this.broadcaster = BroadcasterInterface.new_impl(tx -> p.broadcastStage().stageBroadcast(tx.clone()));
    this.stager = new MonitorStager(p.commitStage());
    this.persist = Persist.new_impl(stager);
    this.keysManager = KeysManager.of(p.ldkSeed(), p.startTimeSecs(), p.startTimeNanos());
    this.keys = keysManager.as_KeysInterface();
    this.config = UserConfig.with_default();
    this.chainMonitor = ChainMonitor.of(Option_FilterZ.none(), broadcaster, logger, feeEstimator, persist);

    if (p.restored().isEmpty()) {
      ChainTip tip = p.freshTip().orElseThrow();
      this.channelManager = ChannelManager.of(feeEstimator, chainMonitor.as_Watch(), broadcaster, logger, keys, config,
          ChainParameters.of(ldkNetwork, BestBlock.of(tip.hash().getReversedBytes(), tip.height())));
    } else {
      this.channelManager = restore(p.restored());
    }

    this.networkGraph = NetworkGraph.of(BestBlock.from_genesis(ldkNetwork).block_hash());
    this.graphHandler = NetGraphMsgHandler.of(networkGraph, Option_AccessZ.none(), logger);
    this.ignoring = IgnoringMessageHandler.of();
    this.scorer = MultiThreadedLockableScore.of(
        ProbabilisticScorer.of(ProbabilisticScoringParameters.with_default(), networkGraph).as_Score());
    this.router = DefaultRouter.of(networkGraph, logger, keys.get_secure_random_bytes());
    this.ourHandler = EventHandler.new_impl(this::handleEvent);
    this.payer = InvoicePayer.of(channelManager.as_Payer(), router.as_Router(), scorer, logger, ourHandler,
        RetryAttempts.of(PAYMENT_RETRY_ATTEMPTS));
    this.payerHandler = payer.as_EventHandler();
    Result_SecretKeyNoneZ secret = keys.get_node_secret(Recipient.LDKRecipient_Node);
    if (!(secret instanceof Result_SecretKeyNoneZ.Result_SecretKeyNoneZ_OK ok)) {
      throw new IllegalStateException("KeysManager gave no node secret");
    }
    this.nodeSecret = ok.res;

    // A restored node already reported its ready channels (the OPENED event committed with the
    // state that made them ready).
    for (ChannelInfo c : snapshotChannels()) {
      if (c.ready()) reportedOpen.add(c.channelIdHex());
    }
  }

  /**
   * Builds the node: a new one at {@link Params#freshTip()}, or the committed one from {@link
   * Params#restored()}. After a restore, feed every block after {@link #bestBlock()} before
   * connecting peers.
   */
  public static LdkNode start(Params params) {
    return new LdkNode(params);
  }

  private ChannelManager restore(RestoredState state) {
    if (state.manager().isEmpty()) {
      throw new IllegalStateException("stored channel monitors without a channel manager: refusing to start");
    }
    List<ChannelMonitor> monitors = new ArrayList<>();
    for (RestoredState.Channel ch : state.channels()) {
      Result_C2Tuple_BlockHashChannelMonitorZDecodeErrorZ read =
          UtilMethods.C2Tuple_BlockHashChannelMonitorZ_read(ch.baseMonitor(), keys);
      if (!(read instanceof Result_C2Tuple_BlockHashChannelMonitorZDecodeErrorZ.Result_C2Tuple_BlockHashChannelMonitorZDecodeErrorZ_OK ok)) {
        throw new IllegalStateException("a stored channel monitor cannot be decoded");
      }
      TwoTuple_BlockHashChannelMonitorZ tuple = ok.res;
      keepAlive.add(tuple);
      // get_b() returns a deep COPY: take it once and keep using that very object (updates,
      // manager read, watch_channel); updates applied to another copy would be lost.
      ChannelMonitor monitor = tuple.get_b();
      for (byte[] updateBytes : ch.updatesAfterBase()) {
        Result_ChannelMonitorUpdateDecodeErrorZ u = ChannelMonitorUpdate.read(updateBytes);
        if (!(u instanceof Result_ChannelMonitorUpdateDecodeErrorZ.Result_ChannelMonitorUpdateDecodeErrorZ_OK uok)) {
          throw new IllegalStateException("a stored monitor update cannot be decoded");
        }
        long id = uok.res.get_update_id();
        if (id != MonitorStager.CLOSED_CHANNEL_UPDATE_ID && Long.compareUnsigned(id, monitor.get_latest_update_id()) <= 0) {
          continue; // already inside the base (a full monitor written while this update was in flight)
        }
        if (!monitor.update_monitor(uok.res, broadcaster, feeEstimator, logger).is_ok()) {
          throw new IllegalStateException("stored monitor update " + Long.toUnsignedString(id)
              + " does not apply to its monitor at " + Long.toUnsignedString(monitor.get_latest_update_id()));
        }
      }
      monitors.add(monitor);
    }
    ChannelMonitor[] array = monitors.toArray(new ChannelMonitor[0]);
    keepAlive.add(array);
    Result_C2Tuple_BlockHashChannelManagerZDecodeErrorZ read = UtilMethods.C2Tuple_BlockHashChannelManagerZ_read(
        state.manager().get(), keys, feeEstimator, chainMonitor.as_Watch(), broadcaster, logger, config, array);
    if (!(read instanceof Result_C2Tuple_BlockHashChannelManagerZDecodeErrorZ.Result_C2Tuple_BlockHashChannelManagerZDecodeErrorZ_OK ok)) {
      // A monitor older than the manager lands here too (DecodeError::InvalidValue).
      throw new IllegalStateException("the stored channel manager cannot be read with its monitors: "
          + ((Result_C2Tuple_BlockHashChannelManagerZDecodeErrorZ.Result_C2Tuple_BlockHashChannelManagerZDecodeErrorZ_Err) read).err);
    }
    TwoTuple_BlockHashChannelManagerZ tuple = ok.res;
    keepAlive.add(tuple);
    ChannelManager manager = tuple.get_b();
    for (ChannelMonitor monitor : monitors) {
      OutPoint funding = monitor.get_funding_txo().get_a();
      stager.restored(funding, monitor.get_latest_update_id());
      Result_NoneChannelMonitorUpdateErrZ watched = chainMonitor.as_Watch().watch_channel(funding, monitor);
      if (!watched.is_ok()) {
        throw new IllegalStateException("LDK refused to watch restored channel " + funding.get_index());
      }
    }
    return manager;
  }

  // ---- identity and transport ----

  /** Our 33-byte node id (public key). */
  /**
   * The node id that {@code ldkSeed} gives, without starting a node (followers report it; a
   * leader checks the cluster's bound identity against it).
   */
  public static byte[] nodeIdForSeed(byte[] ldkSeed) {
    org.ldk.structs.KeysManager keys = org.ldk.structs.KeysManager.of(ldkSeed, 0, 0); // loads the binding first
    org.ldk.structs.Result_SecretKeyNoneZ secret =
        keys.as_KeysInterface().get_node_secret(org.ldk.enums.Recipient.LDKRecipient_Node);
    if (!(secret instanceof org.ldk.structs.Result_SecretKeyNoneZ.Result_SecretKeyNoneZ_OK ok)) {
      throw new IllegalStateException("LDK could not derive the node secret");
    }
    return org.bitcoinj.crypto.ECKey.fromPrivate(ok.res, true).getPubKey();
  }

  public byte[] nodeId() {
    return channelManager.get_our_node_id();
  }

  /**
   * A PeerManager for the transport, wired to this node's channel manager and gossip handler.
   * The transport drives it (read_event, process_events, its own ~10 s timer_tick_occurred) under
   * the gate's read side. {@code ephemeralRandom}: 32 fresh random bytes.
   */
  public PeerManager newPeerManager(byte[] ephemeralRandom) {
    if (ephemeralRandom.length != 32) throw new IllegalArgumentException("ephemeral random must be 32 bytes");
    PeerManager pm = PeerManager.of(channelManager.as_ChannelMessageHandler(), graphHandler.as_RoutingMessageHandler(),
        nodeSecret, ephemeralRandom, logger, ignoring.as_CustomMessageHandler());
    synchronized (keepAlive) {
      keepAlive.add(pm);
    }
    return pm;
  }

  /** Same, with ephemeral bytes from LDK's own RNG. */
  public PeerManager newPeerManager() {
    return newPeerManager(keys.get_secure_random_bytes());
  }

  // ---- chain ----

  /** A block on top of {@link #bestBlock()}: fed to the chain monitor, then the manager. */
  public void blockConnected(byte[] rawBlock, int height) {
    chainMonitor.as_Listen().block_connected(rawBlock, height);
    channelManager.as_Listen().block_connected(rawBlock, height);
  }

  /** The best block (80-byte header at {@code height}) was disconnected by a reorg. */
  public void blockDisconnected(byte[] header80, int height) {
    channelManager.as_Listen().block_disconnected(header80, height);
    chainMonitor.as_Listen().block_disconnected(header80, height);
  }

  /** The channel manager's best block: the next block to feed is at height + 1. */
  public ChainTip bestBlock() {
    BestBlock b = channelManager.current_best_block();
    return new ChainTip(Sha256Hash.wrapReversed(b.block_hash()), b.height());
  }

  // ---- events and timers ----

  /**
   * Handles every pending event of the manager and the chain monitor, synchronously, staging the
   * ledger records they settle. Call it after each batch of peer bytes, API call or block.
   */
  public void processEvents() {
    refreshChannels();
    channelManager.as_EventsProvider().process_pending_events(payerHandler);
    chainMonitor.as_EventsProvider().process_pending_events(payerHandler);
    refreshChannels();
  }

  /** LDK's ~60 s timer for the channel manager (peer managers are ticked by the transport). */
  public void timerTick() {
    channelManager.timer_tick_occurred();
  }

  private void handleEvent(Event e) {
    try {
      dispatch(e);
    } catch (RuntimeException ex) {
      // An exception thrown across JNI aborts the process: log and keep going.
      log.error("handling LDK event {} failed", e.getClass().getSimpleName(), ex);
    }
  }

  private void dispatch(Event e) {
    if (e instanceof Event.FundingGenerationReady f) {
      byte[] tx = params.fundingWallet().fundAndSign(f.output_script, f.channel_value_satoshis);
      Result_NoneAPIErrorZ r = channelManager.funding_transaction_generated(f.temporary_channel_id, tx);
      if (!r.is_ok()) {
        log.error("funding transaction for {} refused: {}", HEX.formatHex(f.temporary_channel_id),
            describe(((Result_NoneAPIErrorZ.Result_NoneAPIErrorZ_Err) r).err));
      }
    } else if (e instanceof Event.PaymentReceived r) {
      byte[] preimage = null;
      if (r.purpose instanceof PaymentPurpose.InvoicePayment ip) preimage = ip.payment_preimage;
      else if (r.purpose instanceof PaymentPurpose.SpontaneousPayment sp) preimage = sp.spontaneous_payment;
      if (preimage == null || preimage.length != 32) {
        channelManager.fail_htlc_backwards(r.payment_hash);
        return;
      }
      if (channelManager.claim_funds(preimage)) {
        String hash = HEX.formatHex(r.payment_hash);
        stagePayment(r.payment_hash, PaymentDirection.INBOUND, PaymentStatus.SUCCEEDED, r.amt, 0, preimage,
            invoiceDescriptions.getOrDefault(hash, ""));
        invoiceDescriptions.remove(hash);
      }
    } else if (e instanceof Event.PaymentSent s) {
      long fee = s.fee_paid_msat instanceof Option_u64Z.Some some ? some.some : 0;
      stagePayment(s.payment_hash, PaymentDirection.OUTBOUND, PaymentStatus.SUCCEEDED, outboundAmount(s.payment_hash), fee,
          s.payment_preimage, "");
    } else if (e instanceof Event.PaymentPathFailed f) {
      // The InvoicePayer retried what it could; rejected by the payee on the last path is final.
      if (f.rejected_by_dest && f.all_paths_failed) failOutbound(f.payment_hash);
    } else if (e instanceof Event.PaymentFailed f) {
      failOutbound(f.payment_hash);
    } else if (e instanceof Event.PendingHTLCsForwardable) {
      channelManager.process_pending_htlc_forwards();
    } else if (e instanceof Event.ChannelClosed c) {
      channelClosed(c);
    } else if (e instanceof Event.SpendableOutputs s) {
      Result_TransactionNoneZ tx = keysManager.spend_spendable_outputs(s.outputs, new TxOut[0],
          params.sweepScript().get(), feeEstimator.get_est_sat_per_1000_weight(ConfirmationTarget.LDKConfirmationTarget_Normal));
      if (tx instanceof Result_TransactionNoneZ.Result_TransactionNoneZ_OK ok) {
        params.broadcastStage().stageBroadcast(ok.res);
      } else {
        log.error("could not build the sweep of {} spendable outputs", s.outputs.length);
      }
    } else {
      log.debug("LDK event {}", e.getClass().getSimpleName());
    }
  }

  private void failOutbound(byte[] paymentHash) {
    stagePayment(paymentHash, PaymentDirection.OUTBOUND, PaymentStatus.FAILED, outboundAmount(paymentHash), 0, null, "");
  }

  /**
   * The amount of an outbound payment that ends now. A payment started by a previous node instance
   * (the leader crashed or failed over while it was in flight) is not in our memory: its PENDING
   * record in the committed ledger has the amount. Without this, the final record (which replaces
   * the PENDING one) said 0 msat: a withdrawal without its amount in the ledger.
   */
  private long outboundAmount(byte[] paymentHash) {
    Long amount = outboundAmounts.remove(HEX.formatHex(paymentHash));
    if (amount != null) return amount;
    OptionalLong recorded = params.recordedOutbound().apply(paymentHash);
    if (recorded.isEmpty()) log.warn("outbound payment {} ends without a known amount", HEX.formatHex(paymentHash));
    return recorded.orElse(0);
  }

  private void channelClosed(Event.ChannelClosed c) {
    String id = HEX.formatHex(c.channel_id);
    boolean cooperative = c.reason instanceof ClosureReason.CooperativeClosure;
    closedCount.incrementAndGet();
    if (!cooperative) forceCloseCount.incrementAndGet();
    String reason = c.reason.getClass().getSimpleName()
        + (c.reason instanceof ClosureReason.CounterpartyForceClosed cf ? ": " + cf.peer_msg
        : c.reason instanceof ClosureReason.ProcessingError pe ? ": " + pe.err : "");
    log.info("channel {} closed ({})", id, reason);
    ChannelInfo known = knownChannels.remove(id);
    Optional<ChannelKey> key = known == null ? Optional.empty() : known.funding().map(LdkNode::channelKey);
    if (key.isEmpty()) key = monitorKeyFor(c.channel_id);
    if (key.isEmpty()) return; // closed before funding: nothing on chain, nothing in the store
    RecordChannelEvent.Builder ev = RecordChannelEvent.newBuilder().setChannel(key.get()).setKind(ChannelEventKind.CLOSED)
        .setReason(reason).setAtMs(System.currentTimeMillis());
    if (known != null) {
      ev.setCounterpartyNodeId(ByteString.copyFrom(HEX.parseHex(known.counterpartyNodeIdHex()))).setCapacitySat(known.capacitySat());
    }
    params.commitStage().stage(Ops.recordChannelEvent(ev.build()));
    reportedOpen.remove(id);
  }

  private Optional<ChannelKey> monitorKeyFor(byte[] channelId) {
    for (OutPoint o : chainMonitor.list_monitors()) {
      if (java.util.Arrays.equals(o.to_channel_id(), channelId)) return Optional.of(MonitorStager.channelKey(o));
    }
    return Optional.empty();
  }

  private static ChannelKey channelKey(ChannelInfo.FundingOutpoint f) {
    return Ops.channel(Sha256Hash.wrap(f.txidHex()).getReversedBytes(), f.outputIndex());
  }

  private void refreshChannels() {
    for (ChannelInfo c : snapshotChannels()) {
      knownChannels.put(c.channelIdHex(), c);
      if (c.ready() && c.funding().isPresent() && reportedOpen.add(c.channelIdHex())) {
        params.commitStage().stage(Ops.recordChannelEvent(RecordChannelEvent.newBuilder()
            .setChannel(channelKey(c.funding().get())).setKind(ChannelEventKind.OPENED)
            .setCounterpartyNodeId(ByteString.copyFrom(HEX.parseHex(c.counterpartyNodeIdHex())))
            .setCapacitySat(c.capacitySat()).setAtMs(System.currentTimeMillis()).build()));
      }
    }
  }

  private void stagePayment(byte[] hash, PaymentDirection dir, PaymentStatus status, long amountMsat, long feeMsat,
      byte[] preimage, String description) {
    PaymentRecord.Builder p = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(hash)).setDirection(dir)
        .setStatus(status).setAmountMsat(amountMsat).setFeeMsat(feeMsat).setDescription(description)
        .setUpdatedAtMs(System.currentTimeMillis());
    if (preimage != null) p.setPreimage(ByteString.copyFrom(preimage));
    params.commitStage().stage(Ops.recordPayment(p.build()));
  }

  // ---- payments ----

  /**
   * A BOLT 11 invoice for {@code amountMsat} (0 = any amount). ldk-java 0.0.106 fixes the expiry at
   * 3600 s: {@code expirySecs} above that is refused, below it is not honoured (see the result).
   * Costs 20-30 ms of CPU in this binding: keep it off latency-critical paths.
   */
  public CreatedInvoice createInvoice(long amountMsat, String description, long expirySecs) {
    if (expirySecs <= 0 || expirySecs > 3600) {
      throw new IllegalArgumentException("ldk-java 0.0.106 creates invoices expiring in 3600 s; asked for " + expirySecs);
    }
    Result_InvoiceSignOrCreationErrorZ r = UtilMethods.create_invoice_from_channelmanager(channelManager, keys, currency,
        amountMsat > 0 ? Option_u64Z.some(amountMsat) : Option_u64Z.none(), description);
    if (!(r instanceof Result_InvoiceSignOrCreationErrorZ.Result_InvoiceSignOrCreationErrorZ_OK ok)) {
      throw new LdkException("invoice creation failed: "
          + ((Result_InvoiceSignOrCreationErrorZ.Result_InvoiceSignOrCreationErrorZ_Err) r).err);
    }
    String hash = HEX.formatHex(ok.res.payment_hash());
    invoiceDescriptions.put(hash, description);
    return new CreatedInvoice(ok.res.to_str(), hash, ok.res.expiry_time());
  }

  /**
   * Pays a BOLT 11 invoice with an amount; returns the payment hash (hex). Stages the OUTBOUND
   * PENDING record before the HTLC is offered, so the ledger knows the payment in the same commit
   * as the channel state that carries it; the final state comes from {@link #processEvents()}.
   */
  /**
   * The payment hash (hex) of a BOLT 11 invoice that {@link #payInvoice} would record in the
   * ledger (it decodes and carries an amount); empty otherwise.
   */
  public static java.util.Optional<String> payableHashOf(String bolt11) {
    Result_InvoiceParseOrSemanticErrorZ parsed = Invoice.from_str(bolt11);
    return parsed instanceof Result_InvoiceParseOrSemanticErrorZ.Result_InvoiceParseOrSemanticErrorZ_OK ok
        && ok.res.amount_milli_satoshis() instanceof Option_u64Z.Some
        ? java.util.Optional.of(HEX.formatHex(ok.res.payment_hash())) : java.util.Optional.empty();
  }

  public String payInvoice(String bolt11) {
    Result_InvoiceParseOrSemanticErrorZ parsed = Invoice.from_str(bolt11);
    if (!(parsed instanceof Result_InvoiceParseOrSemanticErrorZ.Result_InvoiceParseOrSemanticErrorZ_OK ok)) {
      throw new LdkException("not a valid invoice: " + ((Result_InvoiceParseOrSemanticErrorZ.Result_InvoiceParseOrSemanticErrorZ_Err) parsed).err);
    }
    Invoice invoice = ok.res;
    if (!(invoice.amount_milli_satoshis() instanceof Option_u64Z.Some amount)) {
      throw new LdkException("invoices without an amount are not supported");
    }
    byte[] hash = invoice.payment_hash();
    String hashHex = HEX.formatHex(hash);
    outboundAmounts.put(hashHex, amount.some);
    stagePayment(hash, PaymentDirection.OUTBOUND, PaymentStatus.PENDING, amount.some, 0, null, "");
    Result_PaymentIdPaymentErrorZ r = payer.pay_invoice(invoice);
    if (r instanceof Result_PaymentIdPaymentErrorZ.Result_PaymentIdPaymentErrorZ_Err err) {
      String why = describe(err.err);
      if (!(err.err instanceof PaymentError.Sending)) {
        // Nothing left this node (bad invoice or no route): final.
        outboundAmounts.remove(hashHex);
        stagePayment(hash, PaymentDirection.OUTBOUND, PaymentStatus.FAILED, amount.some, 0, null, "");
      }
      // A sending failure may be partial: the events settle it.
      throw new LdkException("payment " + hashHex + " failed: " + why);
    }
    return hashHex;
  }

  // ---- channels ----

  /** Opens a channel to a connected peer; returns the temporary channel id (hex). */
  public String openChannel(byte[] peerNodeId, long sat, long pushMsat) {
    io.lnraft.node.gate.NodeIds.requireValid(peerNodeId); // an invalid key panics inside the binding
    Result__u832APIErrorZ r = channelManager.create_channel(peerNodeId, sat, pushMsat, 0, null);
    if (r instanceof Result__u832APIErrorZ.Result__u832APIErrorZ_OK ok) return HEX.formatHex(ok.res);
    throw new LdkException("create_channel failed: " + describe(((Result__u832APIErrorZ.Result__u832APIErrorZ_Err) r).err));
  }

  /** Cooperative close (peer must be connected), or a force close that broadcasts our commitment. */
  public void closeChannel(String channelIdHex, boolean force) {
    byte[] id = HEX.parseHex(channelIdHex);
    Result_NoneAPIErrorZ r = force ? channelManager.force_close_channel(id) : channelManager.close_channel(id);
    if (!r.is_ok()) {
      throw new LdkException((force ? "force_close_channel" : "close_channel") + " failed: "
          + describe(((Result_NoneAPIErrorZ.Result_NoneAPIErrorZ_Err) r).err));
    }
  }

  public List<ChannelInfo> listChannels() {
    return snapshotChannels();
  }

  private List<ChannelInfo> snapshotChannels() {
    List<ChannelInfo> out = new ArrayList<>();
    for (ChannelDetails d : channelManager.list_channels()) {
      OutPoint f = d.get_funding_txo();
      Optional<ChannelInfo.FundingOutpoint> funding = f == null ? Optional.empty()
          : Optional.of(new ChannelInfo.FundingOutpoint(Sha256Hash.wrapReversed(f.get_txid()).toString(),
              Short.toUnsignedInt(f.get_index())));
      out.add(new ChannelInfo(HEX.formatHex(d.get_channel_id()), funding, HEX.formatHex(d.get_counterparty().get_node_id()),
          d.get_channel_value_satoshis(), d.get_outbound_capacity_msat(), d.get_inbound_capacity_msat(),
          d.get_balance_msat(), d.get_is_outbound(), d.get_is_usable(), d.get_is_funding_locked()));
    }
    return out;
  }

  // ---- persistence ----

  /**
   * ChannelManager.write(). Only the committer calls this, under the gate's WRITE side (no LDK
   * call in flight, never from an LDK callback): it takes LDK's main lock exclusively.
   */
  public byte[] serializeManager() {
    return channelManager.write();
  }

  // ---- for tests and metrics ----

  /** ChannelClosed events handled since start, all reasons. */
  public int channelClosedCount() {
    return closedCount.get();
  }

  /** ChannelClosed events for a reason other than a cooperative close. */
  public int forceCloseCount() {
    return forceCloseCount.get();
  }

  /**
   * Stops using the node. The caller has disconnected the peer managers first. Drops our
   * references; LDK objects are freed by the GC afterwards (never call the node again).
   */
  @Override
  public void close() {
    closed = true;
    synchronized (keepAlive) {
      keepAlive.clear();
    }
  }

  public boolean isClosed() {
    return closed;
  }

  // ---- mapping ----

  private static Network ldkNetwork(BitcoinNetwork n) {
    return switch (n) {
      case MAINNET -> Network.LDKNetwork_Bitcoin;
      case TESTNET -> Network.LDKNetwork_Testnet;
      case SIGNET -> Network.LDKNetwork_Signet;
      case REGTEST -> Network.LDKNetwork_Regtest;
    };
  }

  private static Currency currency(BitcoinNetwork n) {
    return switch (n) {
      case MAINNET -> Currency.LDKCurrency_Bitcoin;
      case TESTNET -> Currency.LDKCurrency_BitcoinTestnet;
      case SIGNET -> Currency.LDKCurrency_Signet;
      case REGTEST -> Currency.LDKCurrency_Regtest;
    };
  }

  private static FeeRates.Target target(ConfirmationTarget t) {
    if (t == ConfirmationTarget.LDKConfirmationTarget_Background) return FeeRates.Target.BACKGROUND;
    if (t == ConfirmationTarget.LDKConfirmationTarget_HighPriority) return FeeRates.Target.HIGH_PRIORITY;
    return FeeRates.Target.NORMAL;
  }

  private static void log(org.ldk.structs.Record r) {
    Level l = r.get_level();
    if (l == Level.LDKLevel_Error) log.error("ldk {}: {}", r.get_module_path(), r.get_args());
    else if (l == Level.LDKLevel_Warn) log.warn("ldk {}: {}", r.get_module_path(), r.get_args());
    // LDK's Info logs every monitor update and route: our debug.
    else if (l == Level.LDKLevel_Info || l == Level.LDKLevel_Debug) log.debug("ldk {}: {}", r.get_module_path(), r.get_args());
    else if (log.isTraceEnabled()) log.trace("ldk {}: {}", r.get_module_path(), r.get_args());
  }

  static String describe(APIError e) {
    if (e instanceof APIError.APIMisuseError x) return "API misuse: " + x.err;
    if (e instanceof APIError.FeeRateTooHigh x) return "fee rate too high (" + x.feerate + "): " + x.err;
    if (e instanceof APIError.RouteError x) return "route error: " + x.err;
    if (e instanceof APIError.ChannelUnavailable x) return "channel unavailable: " + x.err;
    return e.getClass().getSimpleName();
  }

  static String describe(PaymentError e) {
    if (e instanceof PaymentError.Invoice x) return "invoice: " + x.invoice;
    if (e instanceof PaymentError.Routing x) return "routing: " + x.routing.get_err();
    if (e instanceof PaymentError.Sending x) return "sending: " + x.sending.getClass().getSimpleName();
    return e.getClass().getSimpleName();
  }
}
