package io.lnraft.node.chain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bitcoinj.base.Address;
import org.bitcoinj.base.AddressParser;
import org.bitcoinj.base.Coin;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.ProtocolException;
import org.bitcoinj.core.Transaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of bitcoind's JSON-RPC (the calls the Lightning node makes, plus the regtest calls
 * tests use). Blocks and transactions travel as raw hex and are parsed with bitcoinj; amounts are
 * {@link Coin}.
 *
 * <p>Contract: every method either returns bitcoind's answer or throws a {@link
 * BitcoindRpcException}; none blocks longer than about {@code maxAttempts x (connectTimeout +
 * requestTimeout) + backoffs} (see {@link BitcoindRpcConfig}). A call is retried with exponential
 * backoff when the connection could not be made (the request never reached bitcoind); read-only
 * calls are also retried after a reset or a timeout. Calls that change state (sendrawtransaction,
 * getnewaddress, ...) are never re-sent once they may have reached bitcoind. RPC errors are not
 * retried. Thread-safe; one instance can serve the whole node. Credentials are never logged.
 */
public final class BitcoindRpcClient {
  private static final Logger log = LoggerFactory.getLogger(BitcoindRpcClient.class);

  /** Calls that change nothing, so re-sending one that may have reached bitcoind is harmless. */
  private static final Set<String> READ_ONLY =
      Set.of(
          "getblockchaininfo", "getblockcount", "getblockhash", "getblock", "getblockheader",
          "getbestblockhash", "getrawtransaction", "estimatesmartfee", "testmempoolaccept",
          "getrawmempool");

  private static final int MAX_ERROR_BODY_CHARS = 200;

  static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();

  private final BitcoindRpcConfig config;
  private final HttpClient http;
  private final AtomicLong ids = new AtomicLong();

  public BitcoindRpcClient(BitcoindRpcConfig config) {
    this.config = config;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // bitcoind speaks HTTP/1.1 only
            .connectTimeout(config.connectTimeout())
            .build();
  }

  public BitcoindRpcConfig config() {
    return config;
  }

  // ---- chain ----

  public BlockchainInfo getBlockchainInfo() {
    JsonNode r = call("getblockchaininfo");
    return new BlockchainInfo(
        r.path("chain").asText(),
        r.path("blocks").asInt(),
        r.path("headers").asInt(),
        Sha256Hash.wrap(text("getblockchaininfo", r, "bestblockhash")),
        r.path("initialblockdownload").asBoolean(false));
  }

  public int getBlockCount() {
    return call("getblockcount").asInt();
  }

  /** Throws {@link BitcoindRpcException.RpcError} -8 when {@code height} is above the tip. */
  public Sha256Hash getBlockHash(int height) {
    return Sha256Hash.wrap(call("getblockhash", height).asText());
  }

  public Sha256Hash getBestBlockHash() {
    return Sha256Hash.wrap(call("getbestblockhash").asText());
  }

  /** The full block ({@code getblock <hash> 0}), also for a stale block bitcoind still has. */
  public Block getBlock(Sha256Hash hash) {
    byte[] raw = hex("getblock", call("getblock", hash.toString(), 0));
    try {
      return Block.read(ByteBuffer.wrap(raw));
    } catch (ProtocolException | java.nio.BufferUnderflowException e) {
      throw new BitcoindRpcException.BadResponse("getblock", 200, "undecodable block", e);
    }
  }

  public BlockHeaderInfo getBlockHeader(Sha256Hash hash) {
    JsonNode r = call("getblockheader", hash.toString(), true);
    return new BlockHeaderInfo(
        Sha256Hash.wrap(text("getblockheader", r, "hash")),
        r.path("height").asInt(),
        r.path("confirmations").asInt(),
        r.path("time").asLong(),
        optionalHash(r, "previousblockhash"),
        optionalHash(r, "nextblockhash"));
  }

  /** The transaction from the mempool or the chain; empty when bitcoind does not know it (-5). */
  public Optional<Transaction> getRawTransaction(Sha256Hash txid) {
    try {
      return Optional.of(transaction("getrawtransaction", call("getrawtransaction", txid.toString(), false)));
    } catch (BitcoindRpcException.RpcError e) {
      if (e.code() == BitcoindErrorCode.INVALID_ADDRESS_OR_KEY) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** {@code estimatesmartfee <confTarget>} (bitcoind's default mode, CONSERVATIVE). */
  public FeeEstimate estimateSmartFee(int confTarget) {
    JsonNode r = call("estimatesmartfee", confTarget);
    Optional<Coin> rate =
        r.hasNonNull("feerate") ? Optional.of(btc("estimatesmartfee", r.get("feerate"))) : Optional.empty();
    List<String> errors = new ArrayList<>();
    r.path("errors").forEach(e -> errors.add(e.asText()));
    return new FeeEstimate(rate, r.path("blocks").asInt(), errors);
  }

  // ---- transactions ----

  /**
   * Broadcasts {@code tx}; returns its txid. Rejections are {@link BitcoindRpcException.RpcError}
   * with bitcoind's codes: -25 missing or spent inputs / fee above maxfeerate, -26 policy or
   * consensus rejection (e.g. {@code txn-mempool-conflict}), -27 already in the chain. A
   * transaction already in the mempool is accepted again (bitcoind returns its txid).
   */
  public Sha256Hash sendRawTransaction(Transaction tx) {
    return Sha256Hash.wrap(call("sendrawtransaction", hexOf(tx)).asText());
  }

  public List<MempoolAcceptResult> testMempoolAccept(List<Transaction> txs) {
    ArrayNode raw = JsonNodeFactory.instance.arrayNode();
    txs.forEach(tx -> raw.add(hexOf(tx)));
    JsonNode r = call("testmempoolaccept", raw);
    List<MempoolAcceptResult> out = new ArrayList<>();
    for (JsonNode e : r) {
      out.add(
          new MempoolAcceptResult(
              Sha256Hash.wrap(text("testmempoolaccept", e, "txid")),
              e.path("allowed").asBoolean(false),
              e.hasNonNull("reject-reason")
                  ? Optional.of(e.get("reject-reason").asText())
                  : Optional.empty()));
    }
    return out;
  }

  // ---- wallet ----

  /** A fresh bech32 (P2WPKH) address of bitcoind's wallet. */
  public Address getNewAddress() {
    String a = call("getnewaddress", "", "bech32").asText();
    try {
      return AddressParser.getDefault().parseAddress(a);
    } catch (RuntimeException e) {
      throw new BitcoindRpcException.BadResponse("getnewaddress", 200, "not an address: " + a, e);
    }
  }

  /** Adds wallet inputs and change to {@code tx} at the wallet's default fee rate. */
  public FundedTransaction fundRawTransaction(Transaction tx) {
    return fund(JsonNodeFactory.instance.objectNode(), tx);
  }

  /** Adds wallet inputs and change to {@code tx} paying {@code feeRatePerKvB}. */
  public FundedTransaction fundRawTransaction(Transaction tx, Coin feeRatePerKvB) {
    ObjectNode options = JsonNodeFactory.instance.objectNode();
    options.put("feeRate", new BigDecimal(feeRatePerKvB.getValue()).movePointLeft(8));
    return fund(options, tx);
  }

  private FundedTransaction fund(ObjectNode options, Transaction tx) {
    JsonNode r = call("fundrawtransaction", hexOf(tx), options);
    int change = r.path("changepos").asInt(-1);
    return new FundedTransaction(
        transaction("fundrawtransaction", r.path("hex")),
        btc("fundrawtransaction", r.path("fee")),
        change < 0 ? OptionalInt.empty() : OptionalInt.of(change));
  }

  public SignedTransaction signRawTransactionWithWallet(Transaction tx) {
    JsonNode r = call("signrawtransactionwithwallet", hexOf(tx));
    return new SignedTransaction(
        transaction("signrawtransactionwithwallet", r.path("hex")), r.path("complete").asBoolean());
  }

  // ---- regtest controls (bitcoind has them too; used by tests and the demo) ----

  public List<Sha256Hash> generateToAddress(int blocks, Address address) {
    List<Sha256Hash> hashes = new ArrayList<>();
    call("generatetoaddress", blocks, address.toString()).forEach(h -> hashes.add(Sha256Hash.wrap(h.asText())));
    return hashes;
  }

  /** Marks {@code hash} and its descendants invalid: the chain reorgs to its parent. */
  public void invalidateBlock(Sha256Hash hash) {
    call("invalidateblock", hash.toString());
  }

  public List<Sha256Hash> getRawMempool() {
    List<Sha256Hash> txids = new ArrayList<>();
    call("getrawmempool").forEach(h -> txids.add(Sha256Hash.wrap(h.asText())));
    return txids;
  }

  // ---- transport ----

  /**
   * Calls {@code method} with positional {@code params} (Jackson-serializable) and returns the
   * {@code result}. For calls this class has no typed method for.
   */
  public JsonNode call(String method, Object... params) {
    ObjectNode request = JsonNodeFactory.instance.objectNode();
    long id = ids.incrementAndGet();
    request.put("jsonrpc", "1.0");
    request.put("id", id);
    request.put("method", method);
    request.set("params", JSON.valueToTree(params));
    String body;
    try {
      body = JSON.writeValueAsString(request);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("params of " + method + " are not JSON-serializable", e);
    }
    Duration backoff = config.initialBackoff();
    for (int attempt = 1; ; attempt++) {
      try {
        return parse(method, id, send(method, body));
      } catch (IOException e) {
        boolean neverSent = e instanceof ConnectException || e instanceof HttpConnectTimeoutException;
        boolean retriable = neverSent || READ_ONLY.contains(method);
        boolean timedOut = e instanceof HttpTimeoutException;
        if (!retriable || attempt >= config.maxAttempts()) {
          throw new BitcoindRpcException.TransportFailure(
              method,
              (timedOut ? "timed out" : "connection failed")
                  + " talking to " + config.endpoint() + " after " + attempt + " attempt(s): " + e,
              timedOut,
              e);
        }
        log.warn("{} to {} failed (attempt {}/{}): {}; retrying in {} ms",
            method, config.endpoint(), attempt, config.maxAttempts(), e.toString(), backoff.toMillis());
        sleep(method, backoff);
        backoff = backoff.multipliedBy(2);
      }
    }
  }

  private HttpResponse<String> send(String method, String body) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(config.endpoint())
            .timeout(config.requestTimeout())
            .header("Content-Type", "application/json")
            .header("Authorization", config.auth().authorizationHeader())
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BitcoindRpcException.TransportFailure(method, "interrupted", false, e);
    }
  }

  private static JsonNode parse(String method, long id, HttpResponse<String> response) {
    int status = response.statusCode();
    if (status == 401) {
      throw new BitcoindRpcException.Unauthorized(
          method, "bitcoind rejected the RPC credentials (HTTP 401); check user/password or cookie");
    }
    JsonNode root;
    try {
      root = JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new BitcoindRpcException.BadResponse(method, status, "malformed JSON: " + excerpt(response.body()), e);
    }
    if (root == null || !root.isObject()) {
      throw new BitcoindRpcException.BadResponse(method, status, "not a JSON-RPC object: " + excerpt(response.body()), null);
    }
    JsonNode error = root.get("error");
    if (error != null && !error.isNull()) {
      throw new BitcoindRpcException.RpcError(
          method, error.path("code").asInt(BitcoindErrorCode.MISC_ERROR), error.path("message").asText());
    }
    if (status != 200) {
      throw new BitcoindRpcException.BadResponse(method, status, "unexpected HTTP status", null);
    }
    if (!root.has("result")) {
      throw new BitcoindRpcException.BadResponse(method, status, "response has no result", null);
    }
    if (root.path("id").asLong(-1) != id) {
      throw new BitcoindRpcException.BadResponse(method, status, "response id " + root.path("id") + " is not " + id, null);
    }
    return root.get("result");
  }

  private static void sleep(String method, Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BitcoindRpcException.TransportFailure(method, "interrupted during backoff", false, e);
    }
  }

  // ---- decoding ----

  private static String excerpt(String body) {
    String b = body == null ? "" : body.strip();
    return b.length() <= MAX_ERROR_BODY_CHARS ? "'" + b + "'" : "'" + b.substring(0, MAX_ERROR_BODY_CHARS) + "...'";
  }

  private static String text(String method, JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new BitcoindRpcException.BadResponse(method, 200, "missing field " + field, null);
    }
    return v.asText();
  }

  private static Optional<Sha256Hash> optionalHash(JsonNode node, String field) {
    return node.hasNonNull(field) ? Optional.of(Sha256Hash.wrap(node.get(field).asText())) : Optional.empty();
  }

  private static byte[] hex(String method, JsonNode node) {
    try {
      return HexFormat.of().parseHex(node.asText());
    } catch (IllegalArgumentException e) {
      throw new BitcoindRpcException.BadResponse(method, 200, "result is not hex", e);
    }
  }

  private static Transaction transaction(String method, JsonNode node) {
    try {
      return Transaction.read(ByteBuffer.wrap(hex(method, node)));
    } catch (ProtocolException | java.nio.BufferUnderflowException e) {
      throw new BitcoindRpcException.BadResponse(method, 200, "undecodable transaction", e);
    }
  }

  /** A BTC amount as bitcoind writes it (decimal with up to 8 places) to satoshis. */
  private static Coin btc(String method, JsonNode node) {
    if (!node.isNumber()) {
      throw new BitcoindRpcException.BadResponse(method, 200, "amount is not a number: " + node, null);
    }
    try {
      return Coin.valueOf(node.decimalValue().movePointRight(8).longValueExact());
    } catch (ArithmeticException e) {
      throw new BitcoindRpcException.BadResponse(method, 200, "amount has sub-satoshi digits: " + node, e);
    }
  }

  static String hexOf(Transaction tx) {
    return HexFormat.of().formatHex(tx.serialize());
  }
}
