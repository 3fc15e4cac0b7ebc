package io.lnraft.node.ldk;

/**
 * The on-chain wallet that funds channels we open. Contract: {@link #fundAndSign} returns a fully
 * signed transaction paying exactly {@code amountSat} to {@code outputScript} (once), whose every
 * input is segwit (LDK refuses a funding transaction with a non-witness input: its txid could be
 * malleated), or throws. It must not broadcast: LDK hands the transaction to the broadcaster once
 * the peer's signature for our first commitment is in. Called inside the node's event handling,
 * under the gate's read side, so it may block for a wallet round-trip but no longer.
 */
@FunctionalInterface
public interface FundingWallet {
  byte[] fundAndSign(byte[] outputScript, long amountSat);
}
