package io.lnraft.node.ldk;

/**
 * An invoice the node created: the BOLT 11 string to hand to the payer, its payment hash (hex) and
 * the expiry it really carries (ldk-java 0.0.106 always uses 3600 s).
 */
public record CreatedInvoice(String bolt11, String paymentHashHex, long expirySecs) {}
