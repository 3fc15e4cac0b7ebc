package io.lnraft.node.runtime;

import com.google.protobuf.ByteString;
import io.lnraft.config.HostPort;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.api.ApiServer;
import io.lnraft.node.api.ApiServerConfig;
import io.lnraft.node.api.ChannelView;
import io.lnraft.node.api.Direction;
import io.lnraft.node.api.EventsPage;
import io.lnraft.node.api.Invoice;
import io.lnraft.node.api.NodeEvent;
import io.lnraft.node.api.NodeException;
import io.lnraft.node.api.NodeInfo;
import io.lnraft.node.api.NodeOperations;
import io.lnraft.node.api.PaymentView;
import io.lnraft.node.api.PeerView;
import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.BitcoindRpcConfig;
import io.lnraft.node.gate.ServingJournal;
import io.lnraft.node.ldk.ChannelInfo;
import io.lnraft.node.ldk.CreatedInvoice;
import io.lnraft.node.ldk.LdkNode;
import io.lnraft.node.ldk.LdkSeed;
import io.lnraft.store.LeadershipListener;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.ReplicatedStore;
import io.lnraft.store.StateSealer;
import io.lnraft.store.StoreMetrics;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.GetPayment;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentResult;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.WriterEpoch;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftPeerId;
import org.bitcoinj.base.BitcoinNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica process with its Lightning node: the store replica (always), the operator API
 * (always; followers answer 503 with the leader's address), and a {@link LeaderNode} only while
 * this replica is the ready Raft leader and holds the writer epoch. Leader events are handled on
 * one lifecycle thread, in order.
 */
public final class NodeRuntime implements NodeOperations, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
  private static final HexFormat HEX = HexFormat.of();

  private final ReplicaConfig config;
  private final ReplicaServer replica;
  private final RaftStoreClient store;
  private final BitcoindRpcClient rpc;
  private final byte[] ldkSeed;
  private final byte[] nodeId;
  private final BitcoinNetwork network;
  private final ApiServer api;
  private final NodeMetrics metrics;
  /** When this replica's node acted, under which epoch (node.serving-journal); disabled if off. */
  private final ServingJournal journal;
  private final ExecutorService lifecycle = Executors.newSingleThreadExecutor(r -> new Thread(r, "lnraft-lifecycle"));
  private final ScheduledExecutorService waits = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "lnraft-event-waits");
    t.setDaemon(true);
    return t;
  });
  private volatile LeaderNode leader;
  private final Object payLock = new Object();
  private volatile boolean closed;

  /** Settings of the node that the replica config does not carry (yet). */
  public record Options(BitcoindRpcConfig bitcoind, byte[] bip39Seed, String apiToken, Duration commitTimeout,
      Duration reconnectInterval, int maxPeerConnections) {}

  public NodeRuntime(ReplicaConfig config, Options options) throws Exception {
    this(config, options, false);
  }

  /**
   * @param join a NEW replica joining a running group (empty data directory): its store waits to be
   *     added by lnraft add-replica/replace-replica (see {@link ReplicaServer#start(ReplicaConfig,
   *     StoreMetrics, Map, boolean)})
   */
  public NodeRuntime(ReplicaConfig config, Options options, boolean join) throws Exception {
    this.config = config;
    this.network = networkOf(config.network());
    this.ldkSeed = LdkSeed.fromBip39Seed(options.bip39Seed());
    this.nodeId = LdkNode.nodeIdForSeed(ldkSeed);
    this.rpc = new BitcoindRpcClient(options.bitcoind());
    // One registry per process: the replica's meters (apply), the client's (commit latency), the
    // gated committer's, the node's and the JVM's, all scraped at GET /metrics.
    this.metrics = new NodeMetrics();
    // Before the replica starts: its start record must precede every act of this process.
    this.journal = config.node() == null ? ServingJournal.open(config.dataDir(), config.replicaId())
        : config.node().servingJournal() ? ServingJournal.open(config.dataDir(), config.replicaId(),
            config.node().servingJournalMaxFileBytes(), config.node().servingJournalKeepFiles())
        : ServingJournal.disabled();
    StoreMetrics storeMetrics = new StoreMetrics(metrics.registry());
    this.replica = ReplicaServer.start(config, storeMetrics, Map.of(), join);
    this.store = new RaftStoreClient(RaftGroups.group(config), RaftTuning.properties(config.raft(), config.snapshot(), Map.of()),
        options.commitTimeout(), storeMetrics, Optional.of(RaftPeerId.valueOf(config.replicaId())),
        // The node runs only on the ready leader, which is this process's replica: its commits go
        // straight into the local Raft server (no client RPC hop; see bench/PROFILE.md).
        Optional.of(replica))
        // Channel state is sealed (AES-256-GCM, key from the seed) before it reaches any replica's
        // Raft log, RocksDB files or snapshots.
        .sealingWith(StateSealer.fromSeed(options.bip39Seed()));
    metrics.bindNode(this);
    this.api = new ApiServer(this, options.apiToken(), this::isReadyLeader, apiServerConfig(config),
        Optional.of(metrics::scrape));
    api.start();
    Duration lease = Duration.ofMillis((long) (config.raft().electionTimeoutMin().toMillis() * config.raft().leaderLeaseRatio()));
    LeaderNode.Settings settings = new LeaderNode.Settings(config.replicaId(), network, ldkSeed, config.self().peer(),
        options.commitTimeout(), lease, options.reconnectInterval(), options.maxPeerConnections(), metrics.registry(), journal);
    replica.addLeadershipListener(new LeadershipListener() {
      @Override
      public void onReadyLeader(long term) {
        lifecycle.execute(() -> becomeLeader(settings, term));
      }

      @Override
      public void onNotLeader(long term) {
        lifecycle.execute(() -> stopLeader("lost Raft leadership (term " + term + ")"));
      }
    });
    // The replica may have become the ready leader before the listener above was registered (a
    // one-replica group does so during ReplicaServer.start; a restarted replica can win an election
    // that fast): that event went to no one, and nothing would ever start the node. Look once now;
    // becomeLeader ignores a second event for a term it already serves.
    if (replica.isReadyLeader()) {
      long term = replica.currentTerm();
      lifecycle.execute(() -> becomeLeader(settings, term));
    }
    // A standby checks what a takeover needs: its chain backend answers, and its seed opens the
    // cluster's sealed state in its own replica. It learns early (a WARN now, not a failed takeover
    // later) that it could not run the node, and those code paths stay warm for the takeover (on a
    // cold standby the first state read and chain poll took 100-350 ms each of a failover).
    this.stateCheck = new StandbyStateCheck(config.replicaId(), 24, 5);
    waits.scheduleWithFixedDelay(this::probeAsStandby, 1, 5, TimeUnit.SECONDS);
    LOG.info("replica {} serving: raft {}, api {}, node {} on {}", config.replicaId(), config.self().raft(), api.address(),
        HEX.formatHex(nodeId), config.network());
  }

  /** Whether the last standby probe reached bitcoind (true until a probe fails). */
  private volatile boolean chainReachable = true;
  /** What the standby probe says about the channel state (wrong seed at once, a lagging replica after 2 min). */
  private final StandbyStateCheck stateCheck;

  private void probeAsStandby() {
    if (closed || leader != null) return; // the leader's node reads both itself
    Optional<StandbyStateCheck.Say> say;
    try {
      store.localStartupState().get(10, TimeUnit.SECONDS);
      say = stateCheck.opened();
    } catch (Exception e) {
      say = stateCheck.failed(e);
    }
    say.ifPresent(x -> {
      if (x.warn()) LOG.warn(x.message());
      else LOG.info(x.message());
    });
    try {
      int height = rpc.getBlockCount();
      rpc.getBestBlockHash();
      if (!chainReachable) LOG.info("replica {}: bitcoind reachable again (height {})", config.replicaId(), height);
      chainReachable = true;
    } catch (RuntimeException e) {
      if (chainReachable) {
        LOG.warn("replica {}: bitcoind is not reachable from this standby ({}): it could not run the node if it"
            + " became leader; check bitcoind.url and the RPC credentials of this replica", config.replicaId(), rootMessage(e));
      }
      chainReachable = false;
    }
  }

  private void becomeLeader(LeaderNode.Settings settings, long term) {
    if (closed) return;
    LeaderNode current = leader;
    if (current != null && current.term() == term && current.ready()) return; // this term's node already runs
    stopLeader("a new term began");
    long t0 = System.nanoTime();
    try {
      // The epoch is unknown until the answer: the journal's begin says 0, its end names the epoch.
      ServingJournal.Act act = journal.begin(ServingJournal.Kind.COMMIT, 0);
      WriterEpoch epoch = store.acquireEpoch(config.replicaId(), term).get(settings.commitTimeout().toMillis(), TimeUnit.MILLISECONDS);
      act.endAs(epoch.getEpoch());
      LOG.info("replica {} acquired writer epoch {} in term {}", config.replicaId(), epoch.getEpoch(), term);
      if (!replica.isReadyLeader() || replica.currentTerm() != term) {
        LOG.info("leadership moved while starting (term {}); not starting the node", term);
        return;
      }
      leader = new LeaderNode(settings, epoch, term, store, rpc,
          reason -> lifecycle.execute(() -> recover(settings, term, reason)));
      LOG.info("replica {} is the ready leader: epoch {}, term {}, node started in {} ms", config.replicaId(),
          epoch.getEpoch(), term, (System.nanoTime() - t0) / 1_000_000);
    } catch (Exception e) {
      LOG.warn("replica {} could not start its node in term {}: {}", config.replicaId(), term, rootMessage(e));
      recover(settings, term, "start failed: " + rootMessage(e));
    }
  }

  /** Node (re)starts already tried in the current term; guarded by the lifecycle thread. */
  private long recoveryTerm = -1;
  private int recoveryAttempts;
  static final int MAX_RESTARTS_PER_TERM = 5;

  /**
   * The node instance failed (a commit not acknowledged, a start that failed) but this replica may
   * still be the Raft leader: a leader without a node serves nobody, so it must either start a new
   * node under a new epoch (transient trouble: a brief loss of quorum, bitcoind unreachable) or, if
   * that keeps failing, hand leadership to another replica. Runs on the lifecycle thread.
   */
  private void recover(LeaderNode.Settings settings, long term, String reason) {
    stopLeader(reason);
    if (closed || !replica.isReadyLeader() || replica.currentTerm() != term) return; // a new leader takes over anyway
    if (recoveryTerm != term) {
      recoveryTerm = term;
      recoveryAttempts = 0;
    }
    recoveryAttempts++;
    if (recoveryAttempts <= MAX_RESTARTS_PER_TERM) {
      long backoffMs = 500L * recoveryAttempts;
      LOG.info("replica {} is still leader of term {}: starting a new node in {} ms (attempt {} of {})", config.replicaId(),
          term, backoffMs, recoveryAttempts, MAX_RESTARTS_PER_TERM);
      waits.schedule(() -> lifecycle.execute(() -> becomeLeader(settings, term)), backoffMs, TimeUnit.MILLISECONDS);
      return;
    }
    // Still failing: another replica may do better (its disk, its bitcoind, its network).
    // The group's current members (from its log), not the config file's list, which may be stale
    // after a membership change.
    replica.currentMembers().stream().map(p -> p.getId().toString()).filter(id -> !id.equals(config.replicaId()))
        .findFirst().ifPresentOrElse(
        target -> {
          LOG.warn("replica {} could not run its node {} times in term {}: handing leadership to {}", config.replicaId(),
              MAX_RESTARTS_PER_TERM, term, target);
          try {
            store.raftClient().admin().transferLeadership(RaftPeerId.valueOf(target), 10_000);
          } catch (Exception e) {
            LOG.warn("leadership transfer to {} failed: {}", target, rootMessage(e));
          }
        },
        () -> {
          LOG.warn("replica {} cannot run its node and has no other replica to hand over to; retrying in 5 s",
              config.replicaId());
          recoveryAttempts = 0;
          waits.schedule(() -> lifecycle.execute(() -> becomeLeader(settings, term)), 5, TimeUnit.SECONDS);
        });
  }

  private void stopLeader(String why) {
    LeaderNode l = leader;
    if (l == null) return;
    leader = null;
    LOG.info("replica {} stops its node (epoch {}): {}", config.replicaId(), l.epoch().getEpoch(), why);
    l.close();
  }

  public boolean isReadyLeader() {
    LeaderNode l = leader;
    return l != null && l.ready() && replica.isReadyLeader();
  }

  public InetSocketAddress apiAddress() {
    return api.address();
  }

  public ReplicaServer replica() {
    return replica;
  }

  /** This process's meters (tests; the API serves them at GET /metrics). */
  public NodeMetrics metrics() {
    return metrics;
  }

  /** The running node, if this replica is the ready leader (for {@link NodeMetrics}). */
  Optional<LeaderNode> readyLeader() {
    LeaderNode l = leader;
    return l != null && l.ready() ? Optional.of(l) : Optional.empty();
  }

  /** The running node's force-close count (tests, the demo); 0 when not leader. */
  public int forceCloseCount() {
    LeaderNode l = leader;
    return l == null ? 0 : l.ldk().forceCloseCount();
  }

  private LeaderNode requireLeader() {
    LeaderNode l = leader;
    if (l == null || !l.ready()) {
      throw new NodeException(NodeException.Kind.NOT_LEADER, "this replica is not the ready leader");
    }
    return l;
  }

  private <T> T gated(Supplier<T> call) {
    LeaderNode l = requireLeader();
    T result = l.committer().underGate(call);
    l.nudge(); // messages the call queued in LDK go out now, not at the next tick
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // NodeOperations
  // ---------------------------------------------------------------------------------------------

  @Override
  public NodeInfo info() {
    LeaderNode l = leader;
    NodeInfo.Role role = l != null && l.ready() ? NodeInfo.Role.LEADER_READY
        : replica.isReadyLeader() ? NodeInfo.Role.STARTING : NodeInfo.Role.FOLLOWER;
    long height = 0;
    int peers = 0;
    int channels = 0;
    long epoch = 0;
    NodeInfo.CommitStats commits = NodeInfo.CommitStats.NONE;
    if (l != null && l.ready()) {
      var st = l.committer().stats();
      commits = new NodeInfo.CommitStats(st.commits(), st.latencyP50Micros(), st.latencyP99Micros(), st.bytesCommitted());
      height = Math.max(0, l.ldk().bestBlock().height());
      peers = l.transport().connectedPeers().size();
      channels = l.committer().underGate(() -> l.ldk().listChannels().size());
      epoch = l.epoch().getEpoch();
    }
    return new NodeInfo(HEX.formatHex(nodeId), role, epoch, Math.max(0, replica.currentTerm()), height,
        config.network(), peers, channels, commits);
  }

  /** The API's address, limits and TLS from the replica's config (node.api-max-body-bytes, api.tls). */
  static ApiServerConfig apiServerConfig(ReplicaConfig config) {
    HostPort apiAddr = config.self().api();
    ApiServerConfig api = ApiServerConfig.defaults(apiAddr.host(), apiAddr.port()).withMaxBodyBytes(config.node().apiMaxBodyBytes());
    return config.apiTls().isPresent() ? api.withTls(config.apiTls().get()) : api;
  }

  @Override
  public Invoice createInvoice(long amountMsat, String description, long expirySecs) {
    CreatedInvoice inv = gated(() -> requireLeader().ldk().createInvoice(amountMsat, description, Math.min(expirySecs, 3600)));
    return new Invoice(inv.bolt11(), inv.paymentHashHex(), Instant.now().plusSeconds(inv.expirySecs()));
  }

  @Override
  public Optional<PaymentView> payment(String paymentHashHex, Direction direction) {
    PaymentResult r = read(Query.newBuilder().setGetPayment(GetPayment.newBuilder()
        .setPaymentHash(ByteString.copyFrom(HEX.parseHex(paymentHashHex)))
        .setDirection(direction == Direction.INBOUND ? PaymentDirection.INBOUND : PaymentDirection.OUTBOUND)), QueryReply::getPayment);
    return r.getFound() ? Optional.of(view(r.getPayment())) : Optional.empty();
  }

  @Override
  public PaymentView pay(String bolt11, Optional<Long> amountMsat) {
    if (amountMsat.isPresent()) {
      throw new NodeException(NodeException.Kind.BAD_REQUEST, "amount_msat for zero-amount invoices is not supported yet;"
          + " ask the payee for an invoice with an amount");
    }
    String hash;
    // One payment per invoice: the ledger refuses FAILED/SUCCEEDED -> PENDING, and a refused
    // commit stops the node, so a second attempt must be turned away here, before LDK sees it.
    synchronized (payLock) {
      Optional<String> known = LdkNode.payableHashOf(bolt11);
      if (known.isPresent()) {
        Optional<PaymentView> prior = payment(known.get(), Direction.OUTBOUND);
        if (prior.isPresent()) {
          throw new NodeException(NodeException.Kind.CONFLICT, "this invoice was already paid or attempted (status "
              + prior.get().status().name().toLowerCase(java.util.Locale.ROOT) + "); see GET /v1/payments/" + known.get()
              + "?direction=outbound, and ask the payee for a new invoice to pay again");
        }
      }
      try {
        hash = gated(() -> requireLeader().ldk().payInvoice(bolt11));
      } catch (NodeException e) {
        throw e;
      } catch (RuntimeException e) {
        // LDK refused, but the attempt is staged (PENDING, and FAILED unless the events settle
        // it): answer once the ledger has it, so a retry of this invoice meets the check above.
        if (known.isPresent()) awaitInLedger(known.get());
        throw new NodeException(NodeException.Kind.BAD_REQUEST, "cannot pay this invoice: " + e.getMessage());
      }
    }
    // Return once the payment is in the replicated ledger (PENDING or already final).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Optional<PaymentView> v = payment(hash, Direction.OUTBOUND);
      if (v.isPresent()) return v.get();
      sleep(20);
    }
    throw new NodeException(NodeException.Kind.UNAVAILABLE, "payment " + hash + " was started but is not in the ledger yet;"
        + " poll GET /v1/payments/" + hash + "?direction=outbound");
  }

  private void awaitInLedger(String hash) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        if (payment(hash, Direction.OUTBOUND).isPresent()) return;
      } catch (NodeException e) {
        return; // the store does not answer: the commit of the attempt will not either
      }
      sleep(20);
    }
  }

  @Override
  public List<ChannelView> channels() {
    LeaderNode l = requireLeader();
    List<ChannelInfo> infos = l.committer().underGate(() -> l.ldk().listChannels());
    List<ChannelView> out = new ArrayList<>();
    for (ChannelInfo c : infos) {
      ChannelView.State st = c.usable() ? ChannelView.State.ACTIVE : c.ready() ? ChannelView.State.INACTIVE
          : ChannelView.State.PENDING_OPEN;
      out.add(new ChannelView(c.channelIdHex(), c.counterpartyNodeIdHex(), c.capacitySat(), Math.max(0, c.balanceMsat()),
          Math.max(0, c.capacitySat() * 1000 - c.balanceMsat()), st));
    }
    return out;
  }

  @Override
  public ChannelView openChannel(String nodeIdHex, long capacitySat, long pushMsat) {
    requireNodeId(nodeIdHex);
    String tmpId;
    try {
      tmpId = gated(() -> requireLeader().ldk().openChannel(HEX.parseHex(nodeIdHex), capacitySat, pushMsat));
    } catch (NodeException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new NodeException(NodeException.Kind.CONFLICT, "cannot open the channel: " + e.getMessage()
          + " (is the peer connected? POST /v1/peers first)");
    }
    return new ChannelView(tmpId, nodeIdHex, capacitySat, capacitySat * 1000 - pushMsat, pushMsat, ChannelView.State.PENDING_OPEN);
  }

  @Override
  public void closeChannel(String channelIdHex, boolean force) {
    try {
      gated(() -> {
        requireLeader().ldk().closeChannel(channelIdHex, force);
        return null;
      });
    } catch (NodeException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new NodeException(NodeException.Kind.NOT_FOUND, "cannot close channel " + channelIdHex + ": " + e.getMessage());
    }
  }

  @Override
  public List<PeerView> peers() {
    LeaderNode l = requireLeader();
    List<PeerView> out = new ArrayList<>();
    java.util.Set<String> connected = new java.util.HashSet<>();
    for (byte[] id : l.transport().connectedPeers()) connected.add(HEX.formatHex(id));
    l.knownPeers().forEach((id, addr) -> out.add(new PeerView(id, Optional.of(addr.toString()), connected.contains(id))));
    for (String id : connected) {
      if (!l.knownPeers().containsKey(id)) out.add(new PeerView(id, Optional.empty(), true));
    }
    return out;
  }

  @Override
  public void connectPeer(String nodeIdHex, String host, int port) {
    requireNodeId(nodeIdHex);
    try {
      requireLeader().addPeer(nodeIdHex, new HostPort(host, port));
    } catch (NodeException e) {
      throw e;
    } catch (Exception e) {
      throw new NodeException(NodeException.Kind.UNAVAILABLE, "cannot connect to " + host + ":" + port + ": " + rootMessage(e));
    }
  }

  @Override
  public EventsPage events(long afterSeq, int limit) {
    EventsResult r = get(store.events(afterSeq, limit));
    List<NodeEvent> events = new ArrayList<>();
    for (LedgerEvent e : r.getEventsList()) events.add(toEvent(e));
    long next = events.isEmpty() ? afterSeq : events.get(events.size() - 1).seq();
    return new EventsPage(events, next);
  }

  @Override
  public CompletableFuture<Void> whenEventAfter(long afterSeq) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    Runnable[] check = new Runnable[1];
    check[0] = () -> {
      if (f.isDone() || closed) return;
      store.events(afterSeq, 1).whenComplete((r, err) -> {
        if (err == null && r.getEventsCount() > 0) {
          f.complete(null);
        } else if (!f.isDone()) {
          waits.schedule(check[0], 200, TimeUnit.MILLISECONDS);
        }
      });
    };
    check[0].run();
    return f;
  }

  @Override
  public Optional<String> leaderApiAddress() {
    try {
      var div = replica.raftServer().getDivision(replica.group().getGroupId());
      RaftPeerId leaderId = div.getInfo().getLeaderId();
      if (leaderId == null) return Optional.empty();
      return config.replicas().stream().filter(r -> r.id().equals(leaderId.toString())).findFirst().map(r -> r.api().toString());
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void requireNodeId(String hex) {
    if (!io.lnraft.node.gate.NodeIds.isValid(HEX.parseHex(hex))) {
      throw new NodeException(NodeException.Kind.BAD_REQUEST, "node_id " + hex
          + " is not a valid public key (not a point on secp256k1); check the id you were given");
    }
  }

  static NodeEvent toEvent(LedgerEvent e) {
    if (e.hasPayment()) {
      PaymentRecord p = e.getPayment();
      // The ledger records every status change, PENDING included: a started payment is not a sent one.
      NodeEvent.Type t = switch (p.getStatus()) {
        case FAILED -> NodeEvent.Type.PAYMENT_FAILED;
        case SUCCEEDED -> p.getDirection() == PaymentDirection.INBOUND ? NodeEvent.Type.PAYMENT_RECEIVED
            : NodeEvent.Type.PAYMENT_SENT;
        default -> NodeEvent.Type.PAYMENT_PENDING;
      };
      return new NodeEvent(e.getSeq(), t, Optional.of(HEX.formatHex(p.getPaymentHash().toByteArray())), Optional.empty(),
          p.getAmountMsat(), Instant.ofEpochMilli(p.getUpdatedAtMs()));
    }
    var c = e.getChannel();
    byte[] id = c.getChannel().getFundingTxid().toByteArray();
    // BOLT 2 channel id: funding txid (LDK's byte order) XOR the output index in the last two bytes.
    id[30] ^= (byte) (c.getChannel().getOutputIndex() >> 8);
    id[31] ^= (byte) c.getChannel().getOutputIndex();
    NodeEvent.Type t = c.getKind() == io.lnraft.store.proto.ChannelEventKind.CLOSED ? NodeEvent.Type.CHANNEL_CLOSED
        : NodeEvent.Type.CHANNEL_OPENED;
    return new NodeEvent(e.getSeq(), t, Optional.empty(), Optional.of(HEX.formatHex(id)), c.getCapacitySat() * 1000,
        Instant.ofEpochMilli(c.getAtMs()));
  }

  static PaymentView view(PaymentRecord p) {
    Direction d = p.getDirection() == PaymentDirection.INBOUND ? Direction.INBOUND : Direction.OUTBOUND;
    PaymentView.Status s = switch (p.getStatus()) {
      case SUCCEEDED -> PaymentView.Status.SUCCEEDED;
      case FAILED -> PaymentView.Status.FAILED;
      default -> PaymentView.Status.PENDING;
    };
    Instant at = Instant.ofEpochMilli(p.getUpdatedAtMs());
    return new PaymentView(HEX.formatHex(p.getPaymentHash().toByteArray()), d, s, p.getAmountMsat(), p.getFeeMsat(), at, at,
        Optional.empty());
  }

  private <T> T read(Query.Builder q, java.util.function.Function<QueryReply, T> pick) {
    return get(store.query(q, pick));
  }

  private static <T> T get(CompletableFuture<T> f) {
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new NodeException(NodeException.Kind.UNAVAILABLE, "the replicated store did not answer: " + rootMessage(e));
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NodeException(NodeException.Kind.UNAVAILABLE, "interrupted");
    }
  }

  static String rootMessage(Throwable t) {
    while (t.getCause() != null) t = t.getCause();
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  static BitcoinNetwork networkOf(String name) {
    return switch (name) {
      case "mainnet" -> BitcoinNetwork.MAINNET;
      case "testnet" -> BitcoinNetwork.TESTNET;
      case "signet" -> BitcoinNetwork.SIGNET;
      default -> BitcoinNetwork.REGTEST;
    };
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    lifecycle.execute(() -> stopLeader("process stopping"));
    lifecycle.shutdown();
    try {
      lifecycle.awaitTermination(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    waits.shutdownNow();
    api.close();
    metrics.close();
    store.close();
    try {
      replica.close();
    } catch (Exception e) {
      LOG.warn("closing replica: {}", e.toString());
    }
    journal.close();
  }
}
