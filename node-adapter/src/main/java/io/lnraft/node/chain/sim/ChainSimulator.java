package io.lnraft.node.chain.sim;

import static io.lnraft.node.chain.BitcoindErrorCode.INTERNAL_ERROR;
import static io.lnraft.node.chain.BitcoindErrorCode.INVALID_REQUEST;
import static io.lnraft.node.chain.BitcoindErrorCode.METHOD_NOT_FOUND;
import static io.lnraft.node.chain.BitcoindErrorCode.PARSE_ERROR;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lnraft.node.chain.BitcoindRpcConfig;
import io.lnraft.node.chain.RpcAuth;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bitcoinj.base.Address;
import org.bitcoinj.script.ScriptBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bitcoind-compatible regtest node for tests and the demo: the JSON-RPC calls of {@link
 * io.lnraft.node.chain.BitcoindRpcClient} over HTTP on a loopback port, with bitcoind's Basic
 * auth (user/password or cookie; HTTP 401 on failure), a UTXO set, a mempool and a wallet. See
 * the package documentation for what it checks and what it does not.
 *
 * <p>Contract: {@link #start} returns once the port is bound and the initial blocks (on a fresh
 * state) are mined; from then on every call is served, one at a time, until {@link #close()}.
 * With a data directory, every change is on disk before the call that made it is answered, and a
 * simulator started again on that directory continues the same chain, mempool and wallet.
 */
public final class ChainSimulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChainSimulator.class);
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();
  private static final int MAX_BODY_BYTES = 32 * 1024 * 1024;

  private final Object lock = new Object();
  private final ChainSimConfig config;
  private final RegtestChain chain;
  private final RegtestWallet wallet;
  private final ChainSimRpc rpc;
  private final Optional<SimStateDirectory> store;
  private final byte[] expectedCredentials;
  private final Optional<Path> cookieWritten;
  private final HttpServer server;
  private final ExecutorService httpThreads;
  private final Optional<ScheduledExecutorService> miner;

  private ChainSimulator(ChainSimConfig config) throws IOException {
    this.config = config;
    Clock clock = Clock.systemUTC();
    this.store = config.dataDir().isPresent()
        ? Optional.of(new SimStateDirectory(config.dataDir().get()))
        : Optional.empty();
    Optional<SimStateDirectory.Saved> saved = store.isPresent() ? store.get().readState() : Optional.empty();
    this.chain = new RegtestChain(block -> store.ifPresent(s -> s.appendBlock(block)));
    if (saved.isPresent()) {
      int stored = 0;
      for (var block : store.get().readBlocks()) {
        chain.restore(block);
        stored++;
      }
      this.wallet = new RegtestWallet(saved.get().walletSeed(), saved.get().walletKeys());
      chain.restoreState(saved.get().tip(), saved.get().invalid(),
          Math.max(saved.get().extraNonce(), stored), saved.get().mempool());
      log.info("chain-sim restored {} blocks (tip height {}) and {} mempool transactions from {}",
          stored, chain.height(), chain.mempool().size(), config.dataDir().get());
    } else {
      byte[] seed = new byte[32];
      new SecureRandom().nextBytes(seed);
      this.wallet = new RegtestWallet(seed, 0);
      if (config.initialBlocks() > 0) {
        chain.mine(config.initialBlocks(), walletScript(), clock.instant());
      }
      persist();
    }
    this.rpc = new ChainSimRpc(chain, wallet, config.feeRatePerKvB(), clock);

    String credentials;
    if (config.auth() instanceof RpcAuth.CookieFile cookie) {
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      credentials = "__cookie__:" + HexFormat.of().formatHex(secret);
      writeCookie(cookie.path(), credentials);
      this.cookieWritten = Optional.of(cookie.path());
    } else {
      credentials = config.auth().credentials();
      this.cookieWritten = Optional.empty();
    }
    this.expectedCredentials = credentials.getBytes(StandardCharsets.UTF_8);

    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.rpcPort()), 64);
    AtomicInteger n = new AtomicInteger();
    this.httpThreads = Executors.newFixedThreadPool(4, r -> daemon(r, "chain-sim-rpc-" + n.incrementAndGet()));
    server.setExecutor(httpThreads);
    server.createContext("/", this::serve);
    server.start();

    this.miner = config.blockInterval().map(interval -> {
      ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "chain-sim-miner"));
      s.scheduleAtFixedRate(() -> mineOnTimer(clock), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
      return s;
    });
    log.info("chain-sim serving regtest JSON-RPC on {} (tip height {})", address(), chain.height());
  }

  /** Starts a simulator as configured; see the class contract. */
  public static ChainSimulator start(ChainSimConfig config) throws IOException {
    return new ChainSimulator(config);
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  public URI rpcUri() {
    return URI.create("http://127.0.0.1:" + address().getPort() + "/");
  }

  /** A client configuration for this simulator (the same auth it demands). */
  public BitcoindRpcConfig clientConfig() {
    return BitcoindRpcConfig.of(rpcUri(), config.auth());
  }

  /** The current tip height (for tests and logs; clients should use getblockcount). */
  public int height() {
    synchronized (lock) {
      return chain.height();
    }
  }

  private void mineOnTimer(Clock clock) {
    try {
      synchronized (lock) {
        chain.mine(1, walletScript(), clock.instant());
        persist();
      }
    } catch (RuntimeException e) {
      log.warn("timer mining failed: {}", e.toString());
    }
  }

  private org.bitcoinj.script.Script walletScript() {
    Address a = wallet.miningAddress();
    return ScriptBuilder.createOutputScript(a);
  }

  private void persist() {
    store.ifPresent(s -> s.writeState(new SimStateDirectory.Saved(
        chain.tip().getHash(), chain.invalidBlocks(), chain.extraNonce(), chain.mempool(),
        wallet.seed(), wallet.keyCount())));
  }

  // ---- HTTP ----

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "JSONRPC server handles only POST requests".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (!authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"jsonrpc\"");
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY_BYTES);
      }
      JsonNode request;
      try {
        request = JSON.readTree(body);
      } catch (IOException e) {
        reply(exchange, 500, JSON.writeValueAsBytes(response(JsonNodeFactory.instance.nullNode(), null,
            new RpcFailure(PARSE_ERROR, "Parse error"))));
        return;
      }
      if (request != null && request.isArray()) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        request.forEach(r -> out.add(dispatch(r)));
        reply(exchange, 200, JSON.writeValueAsBytes(out));
        return;
      }
      ObjectNode out = dispatch(request);
      int status = 200;
      if (!out.path("error").isNull()) {
        int code = out.path("error").path("code").asInt();
        status = code == INVALID_REQUEST ? 400 : code == METHOD_NOT_FOUND ? 404 : 500;
      }
      reply(exchange, status, JSON.writeValueAsBytes(out));
    }
  }

  private ObjectNode dispatch(JsonNode request) {
    JsonNode id = request == null ? JsonNodeFactory.instance.nullNode() : request.path("id");
    if (request == null || !request.isObject() || !request.path("method").isTextual()) {
      return response(id, null, new RpcFailure(INVALID_REQUEST, "Invalid Request object"));
    }
    String method = request.get("method").asText();
    try {
      JsonNode result;
      synchronized (lock) {
        result = rpc.handle(method, request.get("params"));
        if (ChainSimRpc.MUTATING.contains(method)) {
          persist();
        }
      }
      log.debug("rpc {} ok", method);
      return response(id, result, null);
    } catch (RpcFailure f) {
      log.debug("rpc {} failed: {} {}", method, f.code, f.getMessage());
      return response(id, null, f);
    } catch (RuntimeException e) {
      log.warn("rpc {} failed internally", method, e);
      return response(id, null, new RpcFailure(INTERNAL_ERROR, "internal error: " + e));
    }
  }

  private static ObjectNode response(JsonNode id, JsonNode result, RpcFailure failure) {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.set("result", result == null ? JsonNodeFactory.instance.nullNode() : result);
    if (failure == null) {
      r.putNull("error");
    } else {
      r.putObject("error").put("code", failure.code).put("message", failure.getMessage());
    }
    r.set("id", id == null || id.isMissingNode() ? JsonNodeFactory.instance.nullNode() : id);
    return r;
  }

  private boolean authorized(String header) {
    if (header == null || !header.startsWith("Basic ")) {
      return false;
    }
    byte[] given;
    try {
      given = java.util.Base64.getDecoder().decode(header.substring(6).strip());
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(given, expectedCredentials);
  }

  private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static void writeCookie(Path path, String credentials) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, credentials, StandardCharsets.UTF_8);
    Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Stops serving and mining, and deletes the cookie file it wrote. Saved state stays. */
  @Override
  public void close() {
    miner.ifPresent(ScheduledExecutorService::shutdownNow);
    server.stop(0);
    httpThreads.shutdownNow();
    cookieWritten.ifPresent(p -> {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        log.warn("cannot delete cookie file {}", p);
      }
    });
    log.info("chain-sim on port {} stopped", address().getPort());
  }
}
