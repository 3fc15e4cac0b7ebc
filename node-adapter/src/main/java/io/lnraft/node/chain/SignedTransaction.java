package io.lnraft.node.chain;

import org.bitcoinj.core.Transaction;

/**
 * {@code signrawtransactionwithwallet}: the transaction with the wallet's signatures, and whether
 * every input is now signed ({@code complete}).
 */
public record SignedTransaction(Transaction transaction, boolean complete) {}
