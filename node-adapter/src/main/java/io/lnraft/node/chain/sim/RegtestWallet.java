package io.lnraft.node.chain.sim;

import static io.lnraft.node.chain.BitcoindErrorCode.WALLET_ERROR;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bitcoinj.base.Address;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.base.Coin;
import org.bitcoinj.base.ScriptType;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;
import org.bitcoinj.core.TransactionOutPoint;
import org.bitcoinj.core.TransactionWitness;
import org.bitcoinj.crypto.ECKey;
import org.bitcoinj.crypto.TransactionSignature;
import org.bitcoinj.script.Script;
import org.bitcoinj.script.ScriptBuilder;
import org.bitcoinj.script.ScriptPattern;

/**
 * The simulator's wallet: P2WPKH keys derived from a seed (key i = SHA-256(seed || i)), so that
 * a data directory needs only the seed and the key count. It funds and signs like bitcoind's
 * wallet, with these simplifications: coin selection is largest-confirmed-first then unconfirmed
 * own outputs; the change output goes last; a coinbase is spent only at 101 confirmations (like
 * bitcoind's wallet, one more than consensus needs, so a one-block reorg cannot orphan a spend).
 * Not thread-safe; the simulator serializes access.
 */
final class RegtestWallet {
  /** Wallet-side coinbase depth: bitcoind's wallet waits for COINBASE_MATURITY + 1 confirmations. */
  static final int COINBASE_DEPTH = RegtestChain.COINBASE_MATURITY + 1;
  /** bitcoind's dust threshold for a P2WPKH output at the default dust relay fee. */
  static final Coin P2WPKH_DUST = Coin.valueOf(294);
  /** Witness of a P2WPKH input in vbytes (signature up to 72 + key 33 + lengths, / 4, rounded up). */
  private static final int P2WPKH_WITNESS_VBYTES = 27;
  private static final long SEQUENCE_RBF = 0xfffffffdL;

  record Funded(Transaction tx, Coin fee, int changePosition) {}

  record Signed(Transaction tx, boolean complete, List<String> errors) {}

  private final byte[] seed;
  private final List<ECKey> keys = new ArrayList<>();
  private final Map<ByteBuffer, ECKey> byScript = new HashMap<>();

  RegtestWallet(byte[] seed, int keyCount) {
    this.seed = seed.clone();
    for (int i = 0; i < keyCount; i++) {
      deriveNext();
    }
  }

  byte[] seed() {
    return seed.clone();
  }

  int keyCount() {
    return keys.size();
  }

  Address newAddress() {
    return deriveNext().toAddress(ScriptType.P2WPKH, BitcoinNetwork.REGTEST);
  }

  /** The address blocks mined to the wallet pay: always the first key, so mining adds no keys. */
  Address miningAddress() {
    if (keys.isEmpty()) {
      deriveNext();
    }
    return keys.get(0).toAddress(ScriptType.P2WPKH, BitcoinNetwork.REGTEST);
  }

  boolean owns(Script script) {
    return byScript.containsKey(ByteBuffer.wrap(script.program()));
  }

  private ECKey deriveNext() {
    byte[] material = ByteBuffer.allocate(seed.length + 4).put(seed).putInt(keys.size()).array();
    ECKey key = ECKey.fromPrivate(Sha256Hash.hash(material), true);
    keys.add(key);
    byScript.put(ByteBuffer.wrap(ScriptBuilder.createP2WPKHOutputScript(key).program()), key);
    return key;
  }

  /** Sum of what the wallet could spend now (coinbases at {@link #COINBASE_DEPTH}, unconfirmed own outputs). */
  Coin balance(RegtestChain chain) {
    return chain.coinsOf(this::owns, COINBASE_DEPTH).stream()
        .map(RegtestChain.Coinage::value)
        .reduce(Coin.ZERO, Coin::add);
  }

  /** {@code fundrawtransaction}: adds inputs and change so that {@code tx} pays {@code feeRatePerKvB}. */
  Funded fund(Transaction tx, Coin feeRatePerKvB, RegtestChain chain) {
    Coin in = Coin.ZERO;
    Set<RegtestChain.OutPoint> used = new HashSet<>();
    int unsigned = 0;
    for (TransactionInput input : tx.getInputs()) {
      RegtestChain.OutPoint op = outPoint(input);
      RegtestChain.Coinage prev = chain.spendable(op).orElseThrow(() ->
          new RpcFailure(WALLET_ERROR, "Unable to find UTXO for external input"));
      in = in.add(prev.value());
      used.add(op);
      if (!input.hasWitness() && input.getScriptBytes().length == 0) {
        unsigned++;
      }
    }
    List<RegtestChain.Coinage> candidates = new ArrayList<>(chain.coinsOf(this::owns, COINBASE_DEPTH));
    candidates.removeIf(c -> used.contains(c.outPoint()));
    candidates.sort(Comparator.comparing((RegtestChain.Coinage c) -> c.height() < 0)
        .thenComparing(RegtestChain.Coinage::value, Comparator.reverseOrder()));
    Coin out = tx.getOutputSum();
    int next = 0;
    while (true) {
      // Size as if a change output were present; dropping it only lowers the real fee rate a little.
      int vsize = tx.getVsize() + 31 + 1 + P2WPKH_WITNESS_VBYTES * unsigned;
      Coin fee = RegtestChain.feeFor(feeRatePerKvB, vsize);
      if (!in.isLessThan(out.add(fee)) && (!tx.getInputs().isEmpty())) {
        Coin change = in.subtract(out).subtract(fee);
        int changePos = -1;
        if (!change.isLessThan(P2WPKH_DUST)) {
          tx.addOutput(change, newAddress());
          changePos = tx.getOutputs().size() - 1;
        } else {
          fee = in.subtract(out);
        }
        return new Funded(tx, fee, changePos);
      }
      if (next >= candidates.size()) {
        throw new RpcFailure(WALLET_ERROR, "Insufficient funds");
      }
      RegtestChain.Coinage coin = candidates.get(next++);
      TransactionOutPoint op = new TransactionOutPoint(coin.outPoint().index(), coin.outPoint().txid());
      tx.addInput(new TransactionInput(tx, new byte[0], op, coin.value()).withSequence(SEQUENCE_RBF));
      in = in.add(coin.value());
      unsigned++;
    }
  }

  /** {@code signrawtransactionwithwallet}: signs every input that spends one of our P2WPKH outputs. */
  Signed sign(Transaction tx, RegtestChain chain) {
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < tx.getInputs().size(); i++) {
      TransactionInput input = tx.getInput(i);
      Optional<RegtestChain.Coinage> prev = chain.prevout(outPoint(input));
      Optional<ECKey> key = prev.map(RegtestChain.Coinage::script)
          .filter(ScriptPattern::isP2WPKH)
          .map(s -> byScript.get(ByteBuffer.wrap(s.program())));
      if (prev.isPresent() && key.isPresent()) {
        TransactionSignature sig = tx.calculateWitnessSignature(
            i, key.get(), ScriptBuilder.createP2PKHOutputScript(key.get()), prev.get().value(),
            Transaction.SigHash.ALL, false);
        tx.replaceInput(i, input.withWitness(TransactionWitness.redeemP2WPKH(sig, key.get())));
      } else if (!input.hasWitness() && input.getScriptBytes().length == 0) {
        errors.add(prev.isEmpty() ? "Input not found or already spent" : "Unable to sign input, not a wallet key");
      }
    }
    return new Signed(tx, errors.isEmpty(), errors);
  }

  private static RegtestChain.OutPoint outPoint(TransactionInput input) {
    return new RegtestChain.OutPoint(input.getOutpoint().hash(), input.getOutpoint().index());
  }
}
