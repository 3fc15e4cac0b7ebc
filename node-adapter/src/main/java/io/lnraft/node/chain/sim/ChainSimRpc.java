package io.lnraft.node.chain.sim;

import static io.lnraft.node.chain.BitcoindErrorCode.DESERIALIZATION_ERROR;
import static io.lnraft.node.chain.BitcoindErrorCode.INVALID_ADDRESS_OR_KEY;
import static io.lnraft.node.chain.BitcoindErrorCode.INVALID_PARAMETER;
import static io.lnraft.node.chain.BitcoindErrorCode.METHOD_NOT_FOUND;
import static io.lnraft.node.chain.BitcoindErrorCode.MISC_ERROR;
import static io.lnraft.node.chain.BitcoindErrorCode.TYPE_ERROR;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bitcoinj.base.Address;
import org.bitcoinj.base.AddressParser;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.base.Coin;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;
import org.bitcoinj.core.TransactionOutPoint;
import org.bitcoinj.core.TransactionOutput;
import org.bitcoinj.script.ScriptBuilder;

/**
 * The JSON-RPC methods of the simulator, bitcoind's names, positional parameters and answers
 * (the fields listed in the package documentation). Not thread-safe: the caller serializes calls.
 */
final class ChainSimRpc {
  /** Methods after which the simulator's state must be saved. */
  static final Set<String> MUTATING =
      Set.of("sendrawtransaction", "generatetoaddress", "invalidateblock", "getnewaddress", "fundrawtransaction");

  /** bitcoind's default maxfeerate for sendrawtransaction and testmempoolaccept: 0.10 BTC/kvB. */
  private static final Coin DEFAULT_MAX_FEE_RATE = Coin.valueOf(10_000_000);
  private static final JsonNodeFactory J = JsonNodeFactory.instance;
  private static final int NO_WITNESS_PROTOCOL = 70001;

  private final RegtestChain chain;
  private final RegtestWallet wallet;
  private final Coin feeRatePerKvB;
  private final Clock clock;

  ChainSimRpc(RegtestChain chain, RegtestWallet wallet, Coin feeRatePerKvB, Clock clock) {
    this.chain = chain;
    this.wallet = wallet;
    this.feeRatePerKvB = feeRatePerKvB;
    this.clock = clock;
  }

  JsonNode handle(String method, JsonNode params) {
    Params p = new Params(method, params);
    switch (method) {
      case "getblockchaininfo": return blockchainInfo();
      case "getblockcount": return J.numberNode(chain.height());
      case "getbestblockhash": return J.textNode(chain.tip().getHashAsString());
      case "getblockhash": {
        int h = p.integer(0, "height");
        return J.textNode(chain.hashAt(h).orElseThrow(() ->
            new RpcFailure(INVALID_PARAMETER, "Block height out of range")).toString());
      }
      case "getblock": return block(p.hash(0, "blockhash"), p.optInt(1).orElse(1));
      case "getblockheader": return header(p.hash(0, "blockhash"), p.optBool(1).orElse(true));
      case "getrawtransaction": return rawTransaction(p.hash(0, "txid"), p.optVerbose(1));
      case "estimatesmartfee": {
        int target = p.integer(0, "conf_target");
        if (target < 1 || target > 1008) {
          throw new RpcFailure(INVALID_PARAMETER, "Invalid conf_target, must be between 1 and 1008");
        }
        ObjectNode r = J.objectNode();
        r.put("feerate", btc(feeRatePerKvB));
        r.put("blocks", target);
        return r;
      }
      case "sendrawtransaction": {
        Transaction tx = p.transaction(0, false);
        return J.textNode(chain.accept(tx, p.optBtc(1).orElse(DEFAULT_MAX_FEE_RATE)).txid().toString());
      }
      case "testmempoolaccept": return testMempoolAccept(p.array(0, "rawtxs"), p.optBtc(1).orElse(DEFAULT_MAX_FEE_RATE));
      case "getnewaddress": {
        p.optText(1).filter(t -> !t.equals("bech32")).ifPresent(t -> {
          throw new RpcFailure(INVALID_ADDRESS_OR_KEY, "Unknown address type '" + t + "' (the simulator only has bech32)");
        });
        return J.textNode(wallet.newAddress().toString());
      }
      case "fundrawtransaction": {
        Transaction tx = p.transaction(0, true);
        Coin rate = feeRatePerKvB;
        JsonNode options = p.optional(1).orElse(J.objectNode());
        JsonNode given = options.has("feeRate") ? options.get("feeRate") : options.get("fee_rate");
        if (given != null && options.has("feeRate")) {
          rate = p.btcValue(given);
        } else if (given != null) { // fee_rate is in sat/vB
          rate = Coin.valueOf(given.decimalValue().movePointRight(3).longValue());
        }
        RegtestWallet.Funded f = wallet.fund(tx, rate, chain);
        ObjectNode r = J.objectNode();
        r.put("hex", hex(f.tx()));
        r.put("fee", btc(f.fee()));
        r.put("changepos", f.changePosition());
        return r;
      }
      case "signrawtransactionwithwallet": {
        RegtestWallet.Signed s = wallet.sign(p.transaction(0, true), chain);
        ObjectNode r = J.objectNode();
        r.put("hex", hex(s.tx()));
        r.put("complete", s.complete());
        if (!s.errors().isEmpty()) {
          ArrayNode errors = r.putArray("errors");
          s.errors().forEach(e -> errors.addObject().put("error", e));
        }
        return r;
      }
      case "generatetoaddress": {
        int n = p.integer(0, "nblocks");
        Address address = p.address(1);
        ArrayNode hashes = J.arrayNode();
        chain.mine(n, ScriptBuilder.createOutputScript(address), clock.instant())
            .forEach(b -> hashes.add(b.getHashAsString()));
        return hashes;
      }
      case "invalidateblock":
        chain.invalidate(p.hash(0, "blockhash"));
        return J.nullNode();
      case "getrawmempool": {
        ArrayNode txids = J.arrayNode();
        chain.mempool().forEach(tx -> txids.add(tx.getTxId().toString()));
        return txids;
      }
      case "getbalance": return J.numberNode(btc(wallet.balance(chain)));
      default:
        throw new RpcFailure(METHOD_NOT_FOUND, "Method not found");
    }
  }

  private JsonNode blockchainInfo() {
    Block tip = chain.tip();
    ObjectNode r = J.objectNode();
    r.put("chain", "regtest");
    r.put("blocks", chain.height());
    r.put("headers", chain.height());
    r.put("bestblockhash", tip.getHashAsString());
    r.put("difficulty", 4.656542373906925E-10);
    r.put("time", tip.getTimeSeconds());
    r.put("mediantime", tip.getTimeSeconds());
    r.put("verificationprogress", 1);
    r.put("initialblockdownload", false);
    r.put("chainwork", String.format("%064x", (long) chain.height() * 2 + 2));
    r.put("size_on_disk", 0);
    r.put("pruned", false);
    r.put("warnings", "");
    return r;
  }

  private JsonNode block(Sha256Hash hash, int verbosity) {
    Block b = chain.block(hash).orElseThrow(() -> new RpcFailure(INVALID_ADDRESS_OR_KEY, "Block not found"));
    if (verbosity == 0) {
      return J.textNode(HexFormat.of().formatHex(b.serialize()));
    }
    if (verbosity != 1) {
      throw new RpcFailure(INVALID_PARAMETER, "the simulator supports getblock verbosity 0 and 1 only");
    }
    ObjectNode r = (ObjectNode) header(hash, true);
    ArrayNode txids = r.putArray("tx");
    b.getTransactions().forEach(tx -> txids.add(tx.getTxId().toString()));
    r.put("size", b.serialize().length);
    return r;
  }

  private JsonNode header(Sha256Hash hash, boolean verbose) {
    Block b = chain.block(hash).orElseThrow(() -> new RpcFailure(INVALID_ADDRESS_OR_KEY, "Block not found"));
    if (!verbose) {
      return J.textNode(HexFormat.of().formatHex(b.cloneAsHeader().serialize()).substring(0, 160));
    }
    int height = chain.heightOf(hash);
    boolean active = chain.isActive(hash);
    ObjectNode r = J.objectNode();
    r.put("hash", hash.toString());
    r.put("confirmations", active ? chain.height() - height + 1 : -1);
    r.put("height", height);
    r.put("version", b.getVersion());
    r.put("versionHex", String.format("%08x", b.getVersion()));
    r.put("merkleroot", b.getMerkleRoot().toString());
    r.put("time", b.getTimeSeconds());
    r.put("mediantime", b.getTimeSeconds());
    r.put("nonce", b.getNonce());
    r.put("bits", String.format("%08x", b.getDifficultyTarget()));
    r.put("nTx", b.getTransactions() == null ? 0 : b.getTransactions().size());
    if (height > 0) {
      r.put("previousblockhash", b.getPrevBlockHash().toString());
    }
    if (active) {
      chain.hashAt(height + 1).ifPresent(next -> r.put("nextblockhash", next.toString()));
    }
    return r;
  }

  private JsonNode rawTransaction(Sha256Hash txid, boolean verbose) {
    Map.Entry<Transaction, Optional<Sha256Hash>> found = chain.transaction(txid).orElseThrow(() ->
        new RpcFailure(INVALID_ADDRESS_OR_KEY, "No such mempool or blockchain transaction"));
    if (!verbose) {
      return J.textNode(hex(found.getKey()));
    }
    ObjectNode r = J.objectNode();
    r.put("txid", txid.toString());
    r.put("hash", found.getKey().getWTxId().toString());
    r.put("hex", hex(found.getKey()));
    found.getValue().ifPresent(block -> {
      r.put("blockhash", block.toString());
      r.put("confirmations", chain.height() - chain.heightOf(block) + 1);
    });
    return r;
  }

  private JsonNode testMempoolAccept(ArrayNode raw, Coin maxFeeRate) {
    ArrayNode out = J.arrayNode();
    for (JsonNode hexTx : raw) {
      Transaction tx = decode(hexTx.asText(), false);
      ObjectNode r = out.addObject();
      r.put("txid", tx.getTxId().toString());
      r.put("wtxid", tx.getWTxId().toString());
      if (chain.inMempool(tx.getTxId())) {
        r.put("allowed", false);
        r.put("reject-reason", "txn-already-in-mempool");
        continue;
      }
      try {
        RegtestChain.Verdict v = chain.check(tx, maxFeeRate);
        r.put("allowed", true);
        r.put("vsize", v.vsize());
        r.putObject("fees").put("base", btc(v.fee()));
      } catch (RpcFailure f) {
        r.put("allowed", false);
        r.put("reject-reason", f.rejectReason);
      }
    }
    return out;
  }

  static BigDecimal btc(Coin c) {
    return BigDecimal.valueOf(c.getValue(), 8);
  }

  static String hex(Transaction tx) {
    return HexFormat.of().formatHex(tx.serialize());
  }

  /**
   * Decodes a raw transaction as bitcoind does: with and without the segwit encoding; an
   * unfunded transaction with no inputs only parses without it (its empty input count looks like
   * the segwit marker), so for {@code preferLegacy} callers that form is tried first.
   */
  static Transaction decode(String hex, boolean preferLegacy) {
    byte[] raw;
    try {
      raw = HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      throw new RpcFailure(DESERIALIZATION_ERROR, "TX decode failed");
    }
    int[] order = preferLegacy ? new int[] {NO_WITNESS_PROTOCOL, Integer.MAX_VALUE} : new int[] {Integer.MAX_VALUE, NO_WITNESS_PROTOCOL};
    for (int protocol : order) {
      try {
        ByteBuffer buf = ByteBuffer.wrap(raw);
        Transaction tx = protocol == Integer.MAX_VALUE ? Transaction.read(buf) : Transaction.read(buf, protocol);
        if (!buf.hasRemaining()) {
          // A transaction read without witnesses would also serialize without them, signed or not.
          return protocol == Integer.MAX_VALUE ? tx : withWitnessEncoding(tx);
        }
      } catch (RuntimeException e) {
        // try the other encoding
      }
    }
    throw new RpcFailure(DESERIALIZATION_ERROR, "TX decode failed. Make sure the tx has at least one input.");
  }

  private static Transaction withWitnessEncoding(Transaction legacy) {
    Transaction tx = new Transaction();
    tx.setVersion((int) legacy.getVersion());
    tx.setLockTime(legacy.getLockTime());
    for (TransactionInput in : legacy.getInputs()) {
      TransactionOutPoint op = new TransactionOutPoint(in.getOutpoint().index(), in.getOutpoint().hash());
      tx.addInput(new TransactionInput(tx, in.getScriptBytes(), op).withSequence(in.getSequenceNumber()));
    }
    for (TransactionOutput out : legacy.getOutputs()) {
      tx.addOutput(new TransactionOutput(tx, out.getValue(), out.getScriptBytes()));
    }
    return tx;
  }

  /** Positional parameters with bitcoind's errors for missing or mistyped ones. */
  private static final class Params {
    private final String method;
    private final JsonNode params;

    Params(String method, JsonNode params) {
      this.method = method;
      this.params = params == null || params.isNull() ? J.arrayNode() : params;
      if (!this.params.isArray()) {
        throw new RpcFailure(TYPE_ERROR, "the simulator takes positional (array) params only");
      }
    }

    Optional<JsonNode> optional(int i) {
      JsonNode v = params.get(i);
      return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    JsonNode required(int i, String name) {
      return optional(i).orElseThrow(() ->
          new RpcFailure(MISC_ERROR, method + ": missing parameter " + (i + 1) + " (" + name + ")"));
    }

    int integer(int i, String name) {
      JsonNode v = required(i, name);
      if (!v.canConvertToInt() || !v.isIntegralNumber()) {
        throw new RpcFailure(TYPE_ERROR, "JSON value of type " + v.getNodeType() + " is not of expected type number (" + name + ")");
      }
      return v.asInt();
    }

    Optional<Integer> optInt(int i) {
      return optional(i).map(v -> v.isBoolean() ? (v.asBoolean() ? 1 : 0) : v.asInt());
    }

    Optional<Boolean> optBool(int i) {
      return optional(i).map(JsonNode::asBoolean);
    }

    boolean optVerbose(int i) {
      return optional(i).map(v -> v.isBoolean() ? v.asBoolean() : v.asInt() != 0).orElse(false);
    }

    Optional<String> optText(int i) {
      return optional(i).map(JsonNode::asText);
    }

    Optional<Coin> optBtc(int i) {
      return optional(i).map(this::btcValue);
    }

    Coin btcValue(JsonNode v) {
      if (!v.isNumber() && !v.isTextual()) {
        throw new RpcFailure(TYPE_ERROR, "Amount is not a number or string");
      }
      try {
        return Coin.valueOf(new BigDecimal(v.asText()).movePointRight(8).longValueExact());
      } catch (ArithmeticException | NumberFormatException e) {
        throw new RpcFailure(TYPE_ERROR, "Invalid amount");
      }
    }

    Sha256Hash hash(int i, String name) {
      String s = required(i, name).asText();
      if (!s.matches("[0-9a-fA-F]{64}")) {
        throw new RpcFailure(INVALID_PARAMETER, name + " must be of length 64 (not " + s.length() + ", for '" + s + "')");
      }
      return Sha256Hash.wrap(s.toLowerCase());
    }

    ArrayNode array(int i, String name) {
      JsonNode v = required(i, name);
      if (!v.isArray()) {
        throw new RpcFailure(TYPE_ERROR, "Expected type array, got " + v.getNodeType());
      }
      return (ArrayNode) v;
    }

    Transaction transaction(int i, boolean preferLegacy) {
      return decode(required(i, "hexstring").asText(), preferLegacy);
    }

    Address address(int i) {
      String s = required(i, "address").asText();
      try {
        return AddressParser.getDefault(BitcoinNetwork.REGTEST).parseAddress(s);
      } catch (RuntimeException e) {
        throw new RpcFailure(INVALID_ADDRESS_OR_KEY, "Error: Invalid address");
      }
    }
  }

}
