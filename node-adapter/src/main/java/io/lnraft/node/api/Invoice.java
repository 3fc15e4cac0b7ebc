package io.lnraft.node.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A BOLT 11 invoice the node created and committed.
 *
 * @param bolt11 the encoded invoice, lowercase
 * @param paymentHash the payment hash, lowercase hex
 * @param expiresAt when payers stop being able to pay it
 */
public record Invoice(String bolt11, String paymentHash, Instant expiresAt) {
  public Invoice {
    Objects.requireNonNull(bolt11, "bolt11");
    HexId.require("paymentHash", paymentHash, HexId.PAYMENT_HASH_BYTES);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
