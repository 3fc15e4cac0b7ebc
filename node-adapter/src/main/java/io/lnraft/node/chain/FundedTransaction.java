package io.lnraft.node.chain;

import java.util.OptionalInt;
import org.bitcoinj.base.Coin;
import org.bitcoinj.core.Transaction;

/** {@code fundrawtransaction}: the transaction with wallet inputs (unsigned) and change added. */
public record FundedTransaction(Transaction transaction, Coin fee, OptionalInt changePosition) {}
