package io.lnraft.node.ldk;

import io.lnraft.node.chain.BitcoindRpcClient;
import io.lnraft.node.chain.FundedTransaction;
import io.lnraft.node.chain.SignedTransaction;
import org.bitcoinj.base.Coin;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;
import org.bitcoinj.script.Script;

/**
 * Funds channels from bitcoind's wallet (as Eclair does): {@code fundrawtransaction} adds inputs
 * and change, {@code signrawtransactionwithwallet} signs. The wallet must hold segwit outputs only
 * (a descriptor wallet with bech32 addresses); a non-witness input is refused here rather than by
 * LDK later.
 */
public final class BitcoindFundingWallet implements FundingWallet {
  private final BitcoindRpcClient rpc;

  public BitcoindFundingWallet(BitcoindRpcClient rpc) {
    this.rpc = rpc;
  }

  @Override
  public byte[] fundAndSign(byte[] outputScript, long amountSat) {
    Transaction unfunded = new Transaction();
    unfunded.addOutput(Coin.valueOf(amountSat), Script.parse(outputScript));
    FundedTransaction funded = rpc.fundRawTransaction(unfunded);
    SignedTransaction signed = rpc.signRawTransactionWithWallet(funded.transaction());
    if (!signed.complete()) {
      throw new IllegalStateException("bitcoind's wallet could not sign every input of the funding transaction");
    }
    for (TransactionInput in : signed.transaction().getInputs()) {
      if (!in.hasWitness()) {
        throw new IllegalStateException("funding input " + in.getOutpoint() + " has no witness: LDK needs segwit inputs only");
      }
    }
    return signed.transaction().serialize();
  }
}
