package io.lnraft.node.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the Lightning node must provide to the operator API. Every replica implements it; only
 * the ready leader acts. Contract: a method that changes state returns only after that change is
 * committed to the Raft quorum (the gated commit), so what it returns survives a failover; on a
 * replica that is not the ready leader, every method except {@link #info()}, {@link
 * #leaderApiAddress()} and {@link #whenEventAfter(long)} throws {@link NodeException} of kind
 * NOT_LEADER and does nothing, and a replica that loses leadership mid-call throws NOT_LEADER
 * too. Refusals are {@link NodeException}s whose message says what to do; any other exception is
 * a bug. Nothing returns or takes null (absence is {@link Optional}); amounts are millisatoshi
 * in a {@code long} unless the name says {@code Sat}; ids are lowercase hex (node ids 33 bytes,
 * payment hashes and channel ids 32). Methods may block (the API calls them on its own small
 * executor, with a timeout, never on a network thread) and may be called concurrently, except
 * {@link #leaderApiAddress()} and {@link #whenEventAfter(long)}, which must return at once. The
 * API has already checked the argument formats listed on each method; the node checks meaning
 * (an invoice that does not decode, a peer that is not connected).
 */
public interface NodeOperations {

  /** This replica's view of itself; answers in every role. */
  NodeInfo info();

  /**
   * Creates and commits a BOLT 11 invoice.
   *
   * @param amountMsat positive
   * @param description at most 639 UTF-8 bytes (the BOLT 11 limit), may be empty
   * @param expirySecs positive
   */
  Invoice createInvoice(long amountMsat, String description, long expirySecs);

  /** The ledger entry for this payment hash in this direction, if there is one. */
  Optional<PaymentView> payment(String paymentHashHex, Direction direction);

  /**
   * Starts paying a BOLT 11 invoice and returns once the attempt is committed, with status
   * PENDING (or already final); the outcome arrives in the event feed and in {@link #payment}.
   * Idempotent in effect: if an outbound payment with the same hash is PENDING or SUCCEEDED it
   * throws CONFLICT rather than paying twice, so a caller may retry after a timeout.
   *
   * @param bolt11 lowercase; the node decodes it (BAD_REQUEST if it does not decode, is for
   *     another network, or has expired)
   * @param amountMsat required if and only if the invoice has no amount (else BAD_REQUEST)
   */
  PaymentView pay(String bolt11, Optional<Long> amountMsat);

  /** All channels not yet fully closed. */
  List<ChannelView> channels();

  /**
   * Opens a channel to a connected peer, funded from the chain backend's wallet; returns it in
   * state PENDING_OPEN once the funding is committed.
   *
   * @param nodeIdHex the peer (NOT_FOUND or BAD_REQUEST if not connected)
   * @param capacitySat positive
   * @param pushMsat between 0 and capacity
   */
  ChannelView openChannel(String nodeIdHex, long capacitySat, long pushMsat);

  /**
   * Starts closing a channel: cooperatively, or by broadcasting our commitment if {@code force}.
   * NOT_FOUND if no such channel; closing a channel already CLOSING is not an error.
   */
  void closeChannel(String channelIdHex, boolean force);

  /** Peers the node knows or is connected to. */
  List<PeerView> peers();

  /** Connects to a peer and remembers it for reconnection; returns once connected. */
  void connectPeer(String nodeIdHex, String host, int port);

  /**
   * Events with seq greater than {@code afterSeq}, ascending, at most {@code limit} (1 to 1000).
   * Seqs come from the replicated ledger: a new leader continues the same sequence, with no gap
   * and no repeat, so a consumer that resumes from the last seq it processed sees each event.
   */
  EventsPage events(long afterSeq, int limit);

  /**
   * A signal for long polling: completes when the feed holds an event with seq greater than
   * {@code afterSeq} (at once if it already does). It may complete early or exceptionally (the
   * API then simply reads {@link #events}); the API cancels it when it stops waiting, and the
   * node must then drop it so waiting callers cannot leak memory. Must not block.
   */
  CompletableFuture<Void> whenEventAfter(long afterSeq);

  /**
   * Where the ready leader's API listens ({@code host:port}), as far as this replica knows; empty
   * on the leader itself and when unknown (election in progress). Must not block.
   */
  Optional<String> leaderApiAddress();
}
