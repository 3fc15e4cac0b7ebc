package io.lnraft.node.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A payment in the replicated ledger, received or sent.
 *
 * @param paymentHash lowercase hex
 * @param direction received or sent
 * @param status where it stands; SUCCEEDED and FAILED are final
 * @param amountMsat the amount received, or sent to the payee (fees excluded)
 * @param feeMsat routing fees paid (0 for inbound, and while unknown)
 * @param createdAt when the ledger first recorded it
 * @param updatedAt when its status last changed
 * @param failureReason for FAILED, why (no secrets); empty otherwise
 */
public record PaymentView(
    String paymentHash,
    Direction direction,
    Status status,
    long amountMsat,
    long feeMsat,
    Instant createdAt,
    Instant updatedAt,
    Optional<String> failureReason) {

  /** A payment's status. */
  public enum Status {
    PENDING,
    SUCCEEDED,
    FAILED
  }

  public PaymentView {
    HexId.require("paymentHash", paymentHash, HexId.PAYMENT_HASH_BYTES);
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    Objects.requireNonNull(failureReason, "failureReason");
    if (amountMsat < 0 || feeMsat < 0) {
      throw new IllegalArgumentException("amounts must not be negative");
    }
  }
}
