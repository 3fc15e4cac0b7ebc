package io.lnraft.node.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The node side of the HTTP layer's tests: records every call (name and arguments), answers
 * with fixed values, and keeps an in-memory event feed that completes long-poll signals. Each
 * answer can be replaced by a failure to test the error mapping.
 */
final class RecordingNode implements NodeOperations {
  static final String NODE_ID = "02" + "11".repeat(32);
  static final String PEER_ID = "03" + "22".repeat(32);
  static final String HASH = "aa".repeat(32);
  static final String CHANNEL_ID = "cc".repeat(32);
  static final Instant T0 = Instant.parse("2025-01-02T03:04:05Z");

  final List<String> calls = new CopyOnWriteArrayList<>();
  volatile Optional<String> leaderApi = Optional.empty();
  /** When set, every operation runs this first (to throw or to stall). */
  volatile Runnable before = () -> {};
  private final List<NodeEvent> feed = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  final List<CompletableFuture<Void>> signalsHandedOut = new CopyOnWriteArrayList<>();

  private record Waiter(long after, CompletableFuture<Void> signal) {}

  private <T> T record(String call, Supplier<T> answer) {
    calls.add(call);
    before.run();
    return answer.get();
  }

  @Override
  public NodeInfo info() {
    return record("info", () -> new NodeInfo(NODE_ID, NodeInfo.Role.LEADER_READY, 3, 7, 812_345, "regtest", 1, 1));
  }

  @Override
  public Invoice createInvoice(long amountMsat, String description, long expirySecs) {
    return record("createInvoice " + amountMsat + " " + description + " " + expirySecs,
        () -> new Invoice("lnbcrt10u1fake", HASH, T0.plusSeconds(expirySecs)));
  }

  @Override
  public Optional<PaymentView> payment(String paymentHashHex, Direction direction) {
    return record("payment " + paymentHashHex + " " + direction, () -> paymentHashHex.equals(HASH)
        ? Optional.of(new PaymentView(HASH, direction, PaymentView.Status.SUCCEEDED, 10_000, 12, T0, T0.plusSeconds(2), Optional.empty()))
        : Optional.empty());
  }

  @Override
  public PaymentView pay(String bolt11, Optional<Long> amountMsat) {
    return record("pay " + bolt11 + " " + amountMsat, () -> new PaymentView(HASH, Direction.OUTBOUND,
        PaymentView.Status.PENDING, amountMsat.orElse(10_000L), 0, T0, T0, Optional.empty()));
  }

  @Override
  public List<ChannelView> channels() {
    return record("channels", () -> List.of(
        new ChannelView(CHANNEL_ID, PEER_ID, 1_000_000, 600_000_000, 400_000_000, ChannelView.State.ACTIVE)));
  }

  @Override
  public ChannelView openChannel(String nodeIdHex, long capacitySat, long pushMsat) {
    return record("openChannel " + nodeIdHex + " " + capacitySat + " " + pushMsat, () -> new ChannelView(
        CHANNEL_ID, nodeIdHex, capacitySat, capacitySat * 1000 - pushMsat, pushMsat, ChannelView.State.PENDING_OPEN));
  }

  @Override
  public void closeChannel(String channelIdHex, boolean force) {
    record("closeChannel " + channelIdHex + " " + force, () -> {
      if (!channelIdHex.equals(CHANNEL_ID)) {
        throw new NodeException(NodeException.Kind.NOT_FOUND, "no channel " + channelIdHex + "; list them with GET /v1/channels");
      }
      return null;
    });
  }

  @Override
  public List<PeerView> peers() {
    return record("peers", () -> List.of(new PeerView(PEER_ID, Optional.of("10.1.2.3:9735"), true)));
  }

  @Override
  public void connectPeer(String nodeIdHex, String host, int port) {
    record("connectPeer " + nodeIdHex + " " + host + " " + port, () -> null);
  }

  @Override
  public synchronized EventsPage events(long afterSeq, int limit) {
    calls.add("events " + afterSeq + " " + limit);
    before.run();
    List<NodeEvent> page = feed.stream().filter(e -> e.seq() > afterSeq).limit(limit).toList();
    return new EventsPage(page, page.isEmpty() ? afterSeq : page.get(page.size() - 1).seq());
  }

  @Override
  public synchronized CompletableFuture<Void> whenEventAfter(long afterSeq) {
    CompletableFuture<Void> signal = new CompletableFuture<>();
    signalsHandedOut.add(signal);
    if (!feed.isEmpty() && feed.get(feed.size() - 1).seq() > afterSeq) {
      signal.complete(null);
    } else {
      waiters.add(new Waiter(afterSeq, signal));
      // The contract: a cancelled signal is dropped.
      signal.whenComplete((v, e) -> dropDone());
    }
    return signal;
  }

  private synchronized void dropDone() {
    waiters.removeIf(w -> w.signal().isDone());
  }

  synchronized int waiting() {
    return waiters.size();
  }

  /** Appends an event to the feed and wakes the long polls it satisfies. */
  void publish(NodeEvent e) {
    List<CompletableFuture<Void>> wake = new ArrayList<>();
    synchronized (this) {
      feed.add(e);
      for (Waiter w : waiters) {
        if (e.seq() > w.after()) {
          wake.add(w.signal());
        }
      }
    }
    wake.forEach(s -> s.complete(null)); // outside the lock: completion runs the API's callbacks
  }

  @Override
  public Optional<String> leaderApiAddress() {
    return leaderApi;
  }

  /** The operation calls, without the long-poll plumbing. */
  List<String> operations() {
    return calls.stream().toList();
  }
}
