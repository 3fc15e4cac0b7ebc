package io.lnraft.node.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of the node's event feed. Payment events carry a payment hash, channel events a
 * channel id, never both.
 *
 * @param seq position in the feed; strictly increasing, assigned in commit order
 * @param type what happened
 * @param paymentHash for payment events, lowercase hex
 * @param channelId for channel events, lowercase hex
 * @param amountMsat for payment events the payment amount; for channel events the capacity in
 *     msat
 * @param at when the change was committed
 */
public record NodeEvent(
    long seq,
    Type type,
    Optional<String> paymentHash,
    Optional<String> channelId,
    long amountMsat,
    Instant at) {

  /** Event types; the JSON names are the lowercase forms. */
  public enum Type {
    PAYMENT_RECEIVED,
    /** An outbound payment was started; its outcome follows as PAYMENT_SENT or PAYMENT_FAILED. */
    PAYMENT_PENDING,
    PAYMENT_SENT,
    PAYMENT_FAILED,
    CHANNEL_OPENED,
    CHANNEL_CLOSED;

    /** Whether events of this type carry a payment hash (else a channel id). */
    public boolean isPayment() {
      return this == PAYMENT_RECEIVED || this == PAYMENT_PENDING || this == PAYMENT_SENT || this == PAYMENT_FAILED;
    }
  }

  public NodeEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(paymentHash, "paymentHash");
    Objects.requireNonNull(channelId, "channelId");
    Objects.requireNonNull(at, "at");
    if (seq <= 0) {
      throw new IllegalArgumentException("seq starts at 1");
    }
    if (amountMsat < 0) {
      throw new IllegalArgumentException("amountMsat must not be negative");
    }
    if (type.isPayment()) {
      if (paymentHash.isEmpty() || channelId.isPresent()) {
        throw new IllegalArgumentException(type + " carries a payment hash and no channel id");
      }
      HexId.require("paymentHash", paymentHash.get(), HexId.PAYMENT_HASH_BYTES);
    } else {
      if (channelId.isEmpty() || paymentHash.isPresent()) {
        throw new IllegalArgumentException(type + " carries a channel id and no payment hash");
      }
      HexId.require("channelId", channelId.get(), HexId.CHANNEL_ID_BYTES);
    }
  }

  /** A payment event. */
  public static NodeEvent payment(long seq, Type type, String paymentHash, long amountMsat, Instant at) {
    return new NodeEvent(seq, type, Optional.of(paymentHash), Optional.empty(), amountMsat, at);
  }

  /** A channel event. */
  public static NodeEvent channel(long seq, Type type, String channelId, long amountMsat, Instant at) {
    return new NodeEvent(seq, type, Optional.empty(), Optional.of(channelId), amountMsat, at);
  }
}
