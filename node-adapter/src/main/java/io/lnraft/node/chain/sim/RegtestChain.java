package io.lnraft.node.chain.sim;

import static io.lnraft.node.chain.BitcoindErrorCode.INVALID_ADDRESS_OR_KEY;
import static io.lnraft.node.chain.BitcoindErrorCode.VERIFY_ALREADY_IN_CHAIN;
import static io.lnraft.node.chain.BitcoindErrorCode.VERIFY_ERROR;
import static io.lnraft.node.chain.BitcoindErrorCode.VERIFY_REJECTED;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.bitcoinj.base.Coin;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.NetworkParameters;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;
import org.bitcoinj.core.TransactionOutput;
import org.bitcoinj.core.TransactionWitness;
import org.bitcoinj.core.VerificationException;
import org.bitcoinj.params.RegTestParams;
import org.bitcoinj.script.Script;
import org.bitcoinj.script.ScriptBuilder;
import org.bitcoinj.script.ScriptException;
import org.bitcoinj.script.ScriptOpCodes;
import org.bitcoinj.script.ScriptPattern;

/**
 * The simulated regtest chain: every block ever mined (the block index, stale ones included), the
 * active chain, the UTXO set of the active chain, a transaction index, and the mempool.
 *
 * <p>Not thread-safe: the simulator serializes all access. Reorgs happen only through {@link
 * #invalidate}: the tip moves to the parent of the invalidated block; the simulator never switches
 * to another stored branch. The UTXO set is rebuilt by replaying the active chain after a reorg
 * (cheap at regtest sizes), and transactions of disconnected blocks go back to the mempool when
 * they are still valid, as in bitcoind.
 */
final class RegtestChain {
  static final NetworkParameters PARAMS = RegTestParams.get();
  static final int COINBASE_MATURITY = PARAMS.getSpendableCoinbaseDepth(); // 100
  /** bitcoind's -minrelaytxfee default: 1000 sat/kvB. */
  static final Coin MIN_RELAY_FEE_PER_KVB = Coin.valueOf(1000);
  private static final byte[] WITNESS_RESERVED_VALUE = new byte[32];
  private static final byte[] WITNESS_COMMITMENT_HEADER = {(byte) 0xaa, 0x21, (byte) 0xa9, (byte) 0xed};

  record OutPoint(Sha256Hash txid, long index) {}

  /** An unspent output: where it is, what it pays, and (for confirmed ones) where it was mined. */
  record Coinage(OutPoint outPoint, Coin value, Script script, int height, boolean coinbase) {}

  record Verdict(Sha256Hash txid, Sha256Hash wtxid, int vsize, Coin fee) {}

  private record Entry(Block block, int height) {}

  private final Map<Sha256Hash, Entry> index = new HashMap<>();
  private final List<Sha256Hash> active = new ArrayList<>();
  private final Set<Sha256Hash> invalid = new HashSet<>();
  private final Map<OutPoint, Coinage> utxos = new HashMap<>();
  private final Map<Sha256Hash, Sha256Hash> txBlock = new HashMap<>();
  private final LinkedHashMap<Sha256Hash, Transaction> mempool = new LinkedHashMap<>();
  private final Map<OutPoint, Sha256Hash> mempoolSpends = new HashMap<>();
  private final Consumer<Block> blockSink;
  private long extraNonce;

  /** A chain holding only the regtest genesis; {@code blockSink} sees every block mined. */
  RegtestChain(Consumer<Block> blockSink) {
    this.blockSink = blockSink;
    Block genesis = PARAMS.getGenesisBlock();
    index.put(genesis.getHash(), new Entry(genesis, 0));
    active.add(genesis.getHash());
  }

  // ---- reading ----

  int height() {
    return active.size() - 1;
  }

  Block tip() {
    return index.get(active.get(height())).block();
  }

  Optional<Sha256Hash> hashAt(int height) {
    return height >= 0 && height <= height() ? Optional.of(active.get(height)) : Optional.empty();
  }

  Optional<Block> block(Sha256Hash hash) {
    return Optional.ofNullable(index.get(hash)).map(Entry::block);
  }

  /** Height of a stored block (stale ones too). */
  int heightOf(Sha256Hash hash) {
    return entry(hash).height();
  }

  boolean isActive(Sha256Hash hash) {
    Entry e = index.get(hash);
    return e != null && active.size() > e.height() && active.get(e.height()).equals(hash);
  }

  Set<Sha256Hash> invalidBlocks() {
    return Set.copyOf(invalid);
  }

  long extraNonce() {
    return extraNonce;
  }

  List<Transaction> mempool() {
    return List.copyOf(mempool.values());
  }

  /** A transaction from the mempool or the active chain, with its block hash when confirmed. */
  Optional<Map.Entry<Transaction, Optional<Sha256Hash>>> transaction(Sha256Hash txid) {
    Transaction inPool = mempool.get(txid);
    if (inPool != null) {
      return Optional.of(Map.entry(inPool, Optional.empty()));
    }
    Sha256Hash blockHash = txBlock.get(txid);
    if (blockHash == null) {
      return Optional.empty();
    }
    for (Transaction tx : entry(blockHash).block().getTransactions()) {
      if (tx.getTxId().equals(txid)) {
        return Optional.of(Map.entry(tx, Optional.of(blockHash)));
      }
    }
    return Optional.empty();
  }

  /**
   * The output {@code op} if it can be spent by the next mempool transaction: unspent in the
   * chain or created by a mempool transaction, and not spent by one.
   */
  Optional<Coinage> spendable(OutPoint op) {
    if (mempoolSpends.containsKey(op)) {
      return Optional.empty();
    }
    return prevout(op);
  }

  /** The output {@code op} if unspent in the chain or created by a mempool transaction (spent by the mempool or not). */
  Optional<Coinage> prevout(OutPoint op) {
    Coinage c = utxos.get(op);
    if (c != null) {
      return Optional.of(c);
    }
    Transaction parent = mempool.get(op.txid());
    if (parent != null && op.index() < parent.getOutputs().size()) {
      TransactionOutput out = parent.getOutput(op.index());
      return Optional.of(new Coinage(op, out.getValue(), out.getScriptPubKey(), -1, false));
    }
    return Optional.empty();
  }

  /** Outputs whose script matches {@code owned}, spendable now, of confirmed coins at least {@code minCoinbaseDepth} deep for coinbases. */
  List<Coinage> coinsOf(Predicate<Script> owned, int minCoinbaseDepth) {
    List<Coinage> coins = new ArrayList<>();
    for (Coinage c : utxos.values()) {
      if (owned.test(c.script()) && !mempoolSpends.containsKey(c.outPoint())
          && (!c.coinbase() || height() - c.height() + 1 >= minCoinbaseDepth)) {
        coins.add(c);
      }
    }
    for (Transaction tx : mempool.values()) {
      for (TransactionOutput out : tx.getOutputs()) {
        OutPoint op = new OutPoint(tx.getTxId(), out.getIndex());
        if (owned.test(out.getScriptPubKey()) && !mempoolSpends.containsKey(op)) {
          coins.add(new Coinage(op, out.getValue(), out.getScriptPubKey(), -1, false));
        }
      }
    }
    return coins;
  }

  // ---- mempool ----

  /**
   * Checks {@code tx} against the mempool policy of the simulator without changing anything.
   * {@code maxFeeRatePerKvB} zero means no limit. Throws {@link RpcFailure} with bitcoind's code.
   */
  Verdict check(Transaction tx, Coin maxFeeRatePerKvB) {
    if (tx.isCoinBase()) {
      throw reject(VERIFY_REJECTED, "coinbase");
    }
    try {
      Transaction.verify(PARAMS, tx);
    } catch (VerificationException e) {
      throw reject(VERIFY_REJECTED, consensusReason(tx, e));
    }
    for (int i = 0; i < tx.getOutputs().size(); i++) {
      if (utxos.containsKey(new OutPoint(tx.getTxId(), i))) {
        throw new RpcFailure(VERIFY_ALREADY_IN_CHAIN, "Transaction outputs already in utxo set", "txn-already-known");
      }
    }
    int nextHeight = height() + 1;
    Coin in = Coin.ZERO;
    List<Coinage> prevouts = new ArrayList<>();
    for (TransactionInput input : tx.getInputs()) {
      OutPoint op = new OutPoint(input.getOutpoint().hash(), input.getOutpoint().index());
      Sha256Hash spender = mempoolSpends.get(op);
      if (spender != null) {
        throw new RpcFailure(VERIFY_REJECTED, "txn-mempool-conflict");
      }
      Coinage prev = spendable(op).orElseThrow(() ->
          new RpcFailure(VERIFY_ERROR, "bad-txns-inputs-missingorspent", "missing-inputs"));
      if (prev.coinbase() && nextHeight - prev.height() < COINBASE_MATURITY) {
        throw reject(VERIFY_REJECTED, "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth " + (nextHeight - prev.height()));
      }
      in = in.add(prev.value());
      prevouts.add(prev);
    }
    Coin out = tx.getOutputSum();
    if (in.isLessThan(out)) {
      throw reject(VERIFY_REJECTED, "bad-txns-in-belowout, value in (" + in.toPlainString() + ") < value out (" + out.toPlainString() + ")");
    }
    if (!tx.isFinal(nextHeight, Instant.ofEpochSecond(tip().getTimeSeconds()))) {
      throw reject(VERIFY_REJECTED, "non-final");
    }
    Coin fee = in.subtract(out);
    int vsize = tx.getVsize();
    Coin minFee = feeFor(MIN_RELAY_FEE_PER_KVB, vsize);
    if (fee.isLessThan(minFee)) {
      throw reject(VERIFY_REJECTED, "min relay fee not met, " + fee.getValue() + " < " + minFee.getValue());
    }
    if (maxFeeRatePerKvB.isPositive() && fee.isGreaterThan(feeFor(maxFeeRatePerKvB, vsize))) {
      throw new RpcFailure(VERIFY_ERROR,
          "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)", "max-fee-exceeded");
    }
    for (int i = 0; i < prevouts.size(); i++) {
      verifyScript(tx, i, prevouts.get(i));
    }
    return new Verdict(tx.getTxId(), tx.getWTxId(), vsize, fee);
  }

  /** {@link #check}s {@code tx} and adds it to the mempool; a transaction already there is accepted as is. */
  Verdict accept(Transaction tx, Coin maxFeeRatePerKvB) {
    Transaction known = mempool.get(tx.getTxId());
    if (known != null) {
      return new Verdict(known.getTxId(), known.getWTxId(), known.getVsize(), Coin.ZERO);
    }
    Verdict v = check(tx, maxFeeRatePerKvB);
    mempool.put(tx.getTxId(), tx);
    for (TransactionInput input : tx.getInputs()) {
      mempoolSpends.put(new OutPoint(input.getOutpoint().hash(), input.getOutpoint().index()), tx.getTxId());
    }
    return v;
  }

  boolean inMempool(Sha256Hash txid) {
    return mempool.containsKey(txid);
  }

  /** Cheap script checks only where bitcoinj handles the whole template (P2WPKH, P2PKH, P2PK). */
  private static void verifyScript(Transaction tx, int index, Coinage prev) {
    Script spk = prev.script();
    if (!(ScriptPattern.isP2WPKH(spk) || ScriptPattern.isP2PKH(spk) || ScriptPattern.isP2PK(spk))) {
      return;
    }
    TransactionInput input = tx.getInput(index);
    try {
      input.getScriptSig().correctlySpends(tx, index, input.getWitness(), prev.value(), spk, Script.ALL_VERIFY_FLAGS);
    } catch (ScriptException e) {
      throw reject(VERIFY_REJECTED, "mandatory-script-verify-flag-failed (" + e.getMessage() + ")");
    }
  }

  private static String consensusReason(Transaction tx, VerificationException e) {
    switch (e.getClass().getSimpleName()) {
      case "EmptyInputsOrOutputs":
        return tx.getInputs().isEmpty() ? "bad-txns-vin-empty" : "bad-txns-vout-empty";
      case "DuplicatedOutPoint":
        return "bad-txns-inputs-duplicate";
      case "NegativeValueOutput":
        return "bad-txns-vout-negative";
      case "ExcessiveValue":
        return "bad-txns-txouttotal-toolarge";
      case "LargerThanMaxBlockSize":
        return "bad-txns-oversize";
      default:
        return "bad-txns (" + e.getMessage() + ")";
    }
  }

  private static RpcFailure reject(int code, String message) {
    int comma = message.indexOf(',');
    int paren = message.indexOf(" (");
    int cut = comma < 0 ? paren : (paren < 0 ? comma : Math.min(comma, paren));
    return new RpcFailure(code, message, cut < 0 ? message : message.substring(0, cut));
  }

  static Coin feeFor(Coin ratePerKvB, int vsize) {
    return Coin.valueOf(ratePerKvB.getValue() * vsize / 1000);
  }

  // ---- mining ----

  /** Mines {@code count} blocks paying subsidy and fees to {@code payTo}, each confirming the whole mempool. */
  List<Block> mine(int count, Script payTo, Instant now) {
    List<Block> mined = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Block block = assemble(payTo, now);
      index.put(block.getHash(), new Entry(block, height() + 1));
      active.add(block.getHash());
      connect(block, height());
      for (Transaction tx : block.getTransactions()) {
        removeFromMempool(tx);
      }
      blockSink.accept(block);
      mined.add(block);
    }
    return mined;
  }

  private Block assemble(Script payTo, Instant now) {
    int height = height() + 1;
    Block prev = tip();
    List<Transaction> txs = new ArrayList<>(mempool.values());
    Coin fees = Coin.ZERO;
    boolean segwit = false;
    for (Transaction tx : txs) {
      fees = fees.add(mempoolFee(tx));
      segwit |= tx.hasWitnesses();
    }
    extraNonce++;
    Transaction coinbase =
        Transaction.coinbase(new ScriptBuilder().number(height).data(longBytes(extraNonce)).build().program());
    coinbase.addOutput(subsidy(height).add(fees), payTo);
    List<Transaction> all = new ArrayList<>();
    all.add(coinbase);
    all.addAll(txs);
    if (segwit) {
      // BIP141 witness commitment, so that the block is what bitcoind would mine.
      coinbase.replaceInput(0, coinbase.getInput(0).withWitness(TransactionWitness.of(WITNESS_RESERVED_VALUE)));
      Block draft = new Block(4, prev.getHash(), null, now, prev.getDifficultyTarget(), 0, all);
      Sha256Hash commitment = Sha256Hash.twiceOf(draft.getWitnessRoot().serialize(), WITNESS_RESERVED_VALUE);
      byte[] data = new byte[36];
      System.arraycopy(WITNESS_COMMITMENT_HEADER, 0, data, 0, 4);
      System.arraycopy(commitment.getBytes(), 0, data, 4, 32); // raw digest, as bitcoind writes it
      coinbase.addOutput(Coin.ZERO, new ScriptBuilder().op(ScriptOpCodes.OP_RETURN).data(data).build());
    }
    // Strictly increasing times keep every block above the median time past.
    Instant time = Instant.ofEpochSecond(Math.max(now.getEpochSecond(), prev.getTimeSeconds() + 1));
    Sha256Hash merkle = new Block(4, prev.getHash(), null, time, prev.getDifficultyTarget(), 0, all).getMerkleRoot();
    BigInteger target = prev.getDifficultyTargetAsInteger();
    for (long nonce = 0; ; nonce++) { // regtest target: about two tries
      Block b = new Block(4, prev.getHash(), merkle, time, prev.getDifficultyTarget(), nonce, all);
      if (b.getHash().toBigInteger().compareTo(target) <= 0) {
        return b;
      }
    }
  }

  private static Coin subsidy(int height) {
    return ((org.bitcoinj.params.BitcoinNetworkParams) PARAMS).getBlockInflation(height);
  }

  /** The fee of a mempool transaction (its inputs are in the UTXO set or earlier in the mempool). */
  private Coin mempoolFee(Transaction tx) {
    Coin in = Coin.ZERO;
    for (TransactionInput input : tx.getInputs()) {
      OutPoint op = new OutPoint(input.getOutpoint().hash(), input.getOutpoint().index());
      Coinage c = utxos.get(op);
      if (c == null) {
        TransactionOutput out = mempool.get(op.txid()).getOutput(op.index());
        in = in.add(out.getValue());
      } else {
        in = in.add(c.value());
      }
    }
    return in.subtract(tx.getOutputSum());
  }

  private static byte[] longBytes(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }

  private void connect(Block block, int height) {
    for (Transaction tx : block.getTransactions()) {
      if (!tx.isCoinBase()) {
        for (TransactionInput input : tx.getInputs()) {
          utxos.remove(new OutPoint(input.getOutpoint().hash(), input.getOutpoint().index()));
        }
      }
      for (TransactionOutput out : tx.getOutputs()) {
        Script spk = out.getScriptPubKey();
        if (!ScriptPattern.isOpReturn(spk)) {
          OutPoint op = new OutPoint(tx.getTxId(), out.getIndex());
          utxos.put(op, new Coinage(op, out.getValue(), spk, height, tx.isCoinBase()));
        }
      }
      txBlock.put(tx.getTxId(), block.getHash());
    }
  }

  private void removeFromMempool(Transaction confirmed) {
    mempool.remove(confirmed.getTxId());
    for (TransactionInput input : confirmed.getInputs()) {
      mempoolSpends.remove(new OutPoint(input.getOutpoint().hash(), input.getOutpoint().index()));
    }
  }

  // ---- reorgs and restore ----

  /**
   * Marks {@code hash} invalid; if it is on the active chain, the tip moves to its parent and the
   * transactions of the disconnected blocks go back to the mempool when still valid.
   */
  void invalidate(Sha256Hash hash) {
    Entry e = index.get(hash);
    if (e == null) {
      throw new RpcFailure(INVALID_ADDRESS_OR_KEY, "Block not found");
    }
    if (e.height() == 0) {
      throw new RpcFailure(VERIFY_ERROR, "genesis block cannot be invalidated");
    }
    invalid.add(hash);
    if (!isActive(hash)) {
      return;
    }
    List<Transaction> resurrect = new ArrayList<>();
    for (int h = e.height(); h <= height(); h++) {
      for (Transaction tx : entry(active.get(h)).block().getTransactions()) {
        if (!tx.isCoinBase()) {
          resurrect.add(tx);
        }
      }
    }
    setActiveTip(e.block().getPrevBlockHash(), resurrect);
  }

  /** Restores a stored block (in the order it was mined) without making it active. */
  void restore(Block block) {
    Entry parent = entry(block.getPrevBlockHash());
    index.put(block.getHash(), new Entry(block, parent.height() + 1));
  }

  /** Restores the simulator's state: active tip, invalid blocks, block counter, mempool. */
  void restoreState(Sha256Hash tip, Set<Sha256Hash> invalidBlocks, long extraNonceCounter, List<Transaction> pool) {
    invalid.addAll(invalidBlocks);
    extraNonce = extraNonceCounter;
    setActiveTip(tip, pool);
  }

  private void setActiveTip(Sha256Hash tipHash, List<Transaction> toMempool) {
    List<Sha256Hash> chain = new ArrayList<>();
    for (Sha256Hash h = tipHash; ; ) {
      chain.add(0, h);
      Entry entry = entry(h);
      if (entry.height() == 0) {
        break;
      }
      h = entry.block().getPrevBlockHash();
    }
    List<Transaction> pool = new ArrayList<>(toMempool);
    pool.addAll(mempool.values());
    active.clear();
    active.addAll(chain);
    utxos.clear();
    txBlock.clear();
    mempool.clear();
    mempoolSpends.clear();
    for (int h = 1; h < active.size(); h++) {
      connect(entry(active.get(h)).block(), h);
    }
    for (Transaction tx : pool) {
      try {
        accept(tx, Coin.ZERO);
      } catch (RpcFailure dropped) {
        // e.g. it spends a coinbase of the disconnected branch: bitcoind drops it too
      }
    }
  }

  private Entry entry(Sha256Hash hash) {
    Entry e = index.get(hash);
    if (e == null) {
      throw new RpcFailure(INVALID_ADDRESS_OR_KEY, "Block not found");
    }
    return e;
  }
}
