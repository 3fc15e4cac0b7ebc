package io.lnraft.node.api;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meaning of each route, free of Netty: request in, future response out. Order of checks:
 * route and auth, then method, then "am I the ready leader", then validation, then the node
 * call. A request that fails a check never reaches the node. The returned future never fails:
 * every failure is already an error response.
 */
final class ApiRoutes {
  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  static final long MAX_SAT = 21_000_000L * 100_000_000L;
  static final long MAX_MSAT = MAX_SAT * 1000L;
  static final long MAX_EXPIRY_SECS = 365L * 24 * 3600;
  static final long DEFAULT_EXPIRY_SECS = 3600;
  /** BOLT 11: the description field holds at most 1023 5-bit words, i.e. 639 bytes. */
  static final int MAX_DESCRIPTION_BYTES = 639;
  static final int MAX_INVOICE_CHARS = 8192;
  static final int MAX_HOST_CHARS = 253;
  static final int MAX_EVENTS_LIMIT = 1000;
  static final int DEFAULT_EVENTS_LIMIT = 100;

  private final NodeOperations node;
  private final byte[] token;
  private final Supplier<Boolean> isReadyLeader;
  private final ExecutorService operations;
  private final ScheduledExecutorService timers;
  private final Duration operationTimeout;
  private final Duration maxEventWait;
  private final Optional<Supplier<String>> metrics;

  ApiRoutes(NodeOperations node, byte[] token, Supplier<Boolean> isReadyLeader,
      ExecutorService operations, ScheduledExecutorService timers, ApiServerConfig config) {
    this(node, token, isReadyLeader, operations, timers, config, Optional.empty());
  }

  ApiRoutes(NodeOperations node, byte[] token, Supplier<Boolean> isReadyLeader,
      ExecutorService operations, ScheduledExecutorService timers, ApiServerConfig config,
      Optional<Supplier<String>> metrics) {
    this.metrics = metrics;
    this.node = node;
    this.token = token;
    this.isReadyLeader = isReadyLeader;
    this.operations = operations;
    this.timers = timers;
    this.operationTimeout = config.operationTimeout();
    this.maxEventWait = config.maxEventWait();
  }

  CompletableFuture<ApiResponse> handle(ApiRequest r) {
    CompletableFuture<ApiResponse> f;
    try {
      f = dispatch(r);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.handle((response, failure) -> failure == null ? response : failureResponse(r, failure));
  }

  private CompletableFuture<ApiResponse> dispatch(ApiRequest r) {
    String path = r.path();
    if (path.equals("/health")) {
      allow(r, "GET");
      return done(200, JsonViews.object().put("status", "ok"));
    }
    if (path.equals("/ready")) {
      allow(r, "GET");
      return isReadyLeader.get()
          ? done(200, JsonViews.object().put("status", "ready"))
          : done(503, JsonViews.object().put("status", "not_ready"));
    }
    if (path.equals("/metrics")) {
      // No auth, like /health: scrapers. The exposition holds counts and timings only, never a
      // seed, token, preimage or payment hash. Rendered on an operation thread, not here.
      allow(r, "GET");
      Supplier<String> scrape = metrics.orElseThrow(() -> ApiError.notFound("metrics are not enabled on this server"));
      return call(scrape::get).thenApply(text -> ApiResponse.text(200, text));
    }
    if (!path.equals("/v1") && !path.startsWith("/v1/")) {
      throw ApiError.notFound("no route " + clip(path) + "; see /v1/...");
    }
    // Before anything else under /v1: an unauthenticated caller learns nothing, not even routes.
    authenticate(r);
    String[] s = path.substring(1).split("/", -1);
    if (s.length == 2) {
      switch (s[1]) {
        case "info":
          allow(r, "GET");
          noQuery(r);
          return call(node::info).thenApply(i -> ok(JsonViews.info(i)));
        case "invoices":
          allow(r, "POST");
          leaderOnly();
          return createInvoice(r);
        case "payments":
          allow(r, "POST");
          leaderOnly();
          return pay(r);
        case "channels":
          if (r.method().equals("GET")) {
            leaderOnly();
            noQuery(r);
            return call(node::channels).thenApply(c -> ok(JsonViews.channels(c)));
          }
          allow(r, "GET, POST");
          leaderOnly();
          return openChannel(r);
        case "peers":
          if (r.method().equals("GET")) {
            leaderOnly();
            noQuery(r);
            return call(node::peers).thenApply(p -> ok(JsonViews.peers(p)));
          }
          allow(r, "GET, POST");
          leaderOnly();
          return connectPeer(r);
        case "events":
          allow(r, "GET");
          leaderOnly();
          return events(r);
        default:
          break;
      }
    } else if (s.length == 3 && s[1].equals("payments")) {
      allow(r, "GET");
      leaderOnly();
      return payment(r, s[2]);
    } else if (s.length == 3 && s[1].equals("channels")) {
      allow(r, "DELETE");
      leaderOnly();
      return closeChannel(r, s[2]);
    }
    throw ApiError.notFound("no route " + clip(path));
  }

  // ---- routes

  private CompletableFuture<ApiResponse> createInvoice(ApiRequest r) {
    noQuery(r);
    JsonBody b = body(r, Set.of("amount_msat", "description", "expiry_secs"));
    long amount = b.requiredLong("amount_msat", 1, MAX_MSAT);
    String description = b.requiredString("description");
    if (JsonBody.utf8Length(description) > MAX_DESCRIPTION_BYTES) {
      throw ApiError.badRequest("description must be at most " + MAX_DESCRIPTION_BYTES + " bytes in UTF-8 (the BOLT 11 limit)");
    }
    long expiry = b.optionalLong("expiry_secs", 1, MAX_EXPIRY_SECS).orElse(DEFAULT_EXPIRY_SECS);
    return call(() -> node.createInvoice(amount, description, expiry))
        .thenApply(i -> ApiResponse.of(201, JsonViews.invoice(i)));
  }

  private CompletableFuture<ApiResponse> pay(ApiRequest r) {
    noQuery(r);
    JsonBody b = body(r, Set.of("invoice", "amount_msat"));
    String invoice = bolt11(b.requiredString("invoice"));
    Optional<Long> amount = b.optionalLong("amount_msat", 1, MAX_MSAT);
    return call(() -> node.pay(invoice, amount))
        .thenApply(p -> ApiResponse.of(202, JsonViews.payment(p)));
  }

  private CompletableFuture<ApiResponse> payment(ApiRequest r, String rawHash) {
    Query q = new Query(r, Set.of("direction"));
    String hash = hexId("payment_hash", rawHash, HexId.PAYMENT_HASH_BYTES);
    String d = q.string("direction")
        .orElseThrow(() -> ApiError.badRequest("direction is required: inbound or outbound"));
    Direction direction = switch (d) {
      case "inbound" -> Direction.INBOUND;
      case "outbound" -> Direction.OUTBOUND;
      default -> throw ApiError.badRequest("direction must be inbound or outbound");
    };
    return call(() -> node.payment(hash, direction))
        .thenApply(p -> p.map(v -> ok(JsonViews.payment(v)))
            .orElseThrow(() -> ApiError.notFound("no " + d + " payment with hash " + hash)));
  }

  private CompletableFuture<ApiResponse> openChannel(ApiRequest r) {
    noQuery(r);
    JsonBody b = body(r, Set.of("node_id", "capacity_sat", "push_msat"));
    String nodeId = nodeId("node_id", b.requiredString("node_id"));
    long capacity = b.requiredLong("capacity_sat", 1, MAX_SAT);
    long push = b.optionalLong("push_msat", 0, MAX_MSAT).orElse(0L);
    if (push > capacity * 1000) {
      throw ApiError.badRequest("push_msat must not exceed capacity_sat * 1000 (" + capacity * 1000 + ")");
    }
    return call(() -> node.openChannel(nodeId, capacity, push))
        .thenApply(c -> ApiResponse.of(201, JsonViews.channel(c)));
  }

  private CompletableFuture<ApiResponse> closeChannel(ApiRequest r, String rawId) {
    Query q = new Query(r, Set.of("force"));
    String id = hexId("channel_id", rawId, HexId.CHANNEL_ID_BYTES);
    boolean force = switch (q.string("force").orElse("false")) {
      case "true" -> true;
      case "false" -> false;
      default -> throw ApiError.badRequest("force must be true or false");
    };
    return call(() -> {
      node.closeChannel(id, force);
      return null;
    }).thenApply(v -> ApiResponse.of(202,
        JsonViews.object().put("channel_id", id).put("force", force).put("status", "closing")));
  }

  private CompletableFuture<ApiResponse> connectPeer(ApiRequest r) {
    noQuery(r);
    JsonBody b = body(r, Set.of("node_id", "host", "port"));
    String nodeId = nodeId("node_id", b.requiredString("node_id"));
    String host = host(b.requiredString("host"));
    int port = (int) b.requiredLong("port", 1, 65535);
    return call(() -> {
      node.connectPeer(nodeId, host, port);
      return null;
    }).thenApply(v -> ok(JsonViews.object().put("node_id", nodeId).put("host", host).put("port", port)
        .put("connected", true)));
  }

  private CompletableFuture<ApiResponse> events(ApiRequest r) {
    Query q = new Query(r, Set.of("after", "limit", "wait_ms"));
    long after = q.longValue("after", 0, Long.MAX_VALUE).orElse(0L);
    int limit = (int) (long) q.longValue("limit", 1, MAX_EVENTS_LIMIT).orElse((long) DEFAULT_EVENTS_LIMIT);
    // wait_ms above the cap is clamped, not refused: a client asking for more is not wrong.
    long waitMs = Math.min(q.longValue("wait_ms", 0, Long.MAX_VALUE).orElse(0L), maxEventWait.toMillis());
    CompletableFuture<Void> ready = waitMs == 0
        ? CompletableFuture.completedFuture(null)
        : call(() -> node.whenEventAfter(after)).thenCompose(signal -> firstOf(signal, waitMs));
    return ready
        .thenCompose(v -> call(() -> node.events(after, limit)))
        .thenApply(page -> ok(JsonViews.events(page)));
  }

  // ---- checks

  private void authenticate(ApiRequest r) {
    Optional<byte[]> presented = r.authorization().flatMap(ApiRoutes::bearer).map(t -> t.getBytes(UTF_8));
    // Expected token first: MessageDigest.isEqual's time depends on the first argument's length only.
    if (presented.isEmpty() || !MessageDigest.isEqual(token, presented.get())) {
      throw ApiError.unauthorized();
    }
  }

  static Optional<String> bearer(String header) {
    if (header.length() <= 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String t = header.substring(7).strip();
    return t.isEmpty() ? Optional.empty() : Optional.of(t);
  }

  private static void allow(ApiRequest r, String allowed) {
    for (String m : allowed.split(", ")) {
      if (r.method().equals(m)) {
        return;
      }
    }
    throw ApiError.methodNotAllowed(allowed);
  }

  private void leaderOnly() {
    if (!isReadyLeader.get()) {
      throw ApiError.notLeader(node.leaderApiAddress());
    }
  }

  private static void noQuery(ApiRequest r) {
    new Query(r, Set.of());
  }

  private static JsonBody body(ApiRequest r, Set<String> allowed) {
    r.contentType().ifPresent(ct -> {
      if (!ct.toLowerCase(Locale.ROOT).startsWith("application/json")) {
        throw ApiError.of(415, "unsupported_media_type", "send the body as Content-Type: application/json");
      }
    });
    return JsonBody.parse(r.body(), allowed);
  }

  /** Ids are accepted in either case and passed on in lowercase. */
  private static String hexId(String field, String raw, int bytes) {
    String id = raw.toLowerCase(Locale.ROOT);
    if (!HexId.isLowerHex(id, bytes)) {
      throw ApiError.badRequest(field + " must be " + bytes + " bytes of hex (" + bytes * 2 + " characters)");
    }
    return id;
  }

  private static String nodeId(String field, String raw) {
    String id = hexId(field, raw, HexId.NODE_ID_BYTES);
    if (!HexId.isNodeId(id)) {
      throw ApiError.badRequest(field + " must be a compressed public key (starting 02 or 03)");
    }
    return id;
  }

  /** Shape only (bech32 is single-case, "ln" prefix); the node decodes it. */
  private static String bolt11(String raw) {
    String s = raw.strip();
    if (s.regionMatches(true, 0, "lightning:", 0, 10)) {
      s = s.substring(10);
    }
    if (!s.equals(s.toLowerCase(Locale.ROOT)) && !s.equals(s.toUpperCase(Locale.ROOT))) {
      throw ApiError.badRequest("invoice must not mix upper and lower case (bech32)");
    }
    s = s.toLowerCase(Locale.ROOT);
    if (s.length() < 8 || s.length() > MAX_INVOICE_CHARS || !s.startsWith("ln") || !s.matches("[a-z0-9]+")) {
      throw ApiError.badRequest("invoice must be a BOLT 11 invoice (starts with ln, letters and digits only)");
    }
    return s;
  }

  private static String host(String raw) {
    if (raw.isEmpty() || raw.length() > MAX_HOST_CHARS || !raw.matches("[A-Za-z0-9.:\\-\\[\\]]+")) {
      throw ApiError.badRequest("host must be a hostname or IP address (letters, digits, '.', '-', ':', '[', ']')");
    }
    return raw;
  }

  // ---- running node calls

  private static CompletableFuture<ApiResponse> done(int status, ObjectNode body) {
    return CompletableFuture.completedFuture(ApiResponse.of(status, body));
  }

  private static ApiResponse ok(ObjectNode body) {
    return ApiResponse.of(200, body);
  }

  /** Runs a node call on the operations executor; gives up after the operation timeout. */
  private <T> CompletableFuture<T> call(Callable<T> op) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Future<?> task;
    try {
      task = operations.submit(() -> {
        try {
          result.complete(op.call());
        } catch (Throwable t) {
          result.completeExceptionally(t);
          if (t instanceof Error) {
            throw (Error) t;
          }
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(ApiError.unavailable("the node is busy (too many requests in flight); retry shortly"));
      return result;
    }
    ScheduledFuture<?> timer = timers.schedule(() -> {
      if (result.completeExceptionally(new OperationTimedOut())) {
        task.cancel(true);
      }
    }, operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    result.whenComplete((v, e) -> timer.cancel(false));
    return result;
  }

  /** Completes when {@code signal} does or after {@code waitMs}; then lets go of the signal. */
  private CompletableFuture<Void> firstOf(CompletableFuture<Void> signal, long waitMs) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    ScheduledFuture<?> timer = timers.schedule(() -> done.complete(null), waitMs, TimeUnit.MILLISECONDS);
    signal.whenComplete((v, e) -> done.complete(null));
    done.whenComplete((v, e) -> {
      timer.cancel(false);
      signal.cancel(false);
    });
    return done;
  }

  private static final class OperationTimedOut extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OperationTimedOut() {
      super(null, null, false, false);
    }
  }

  private ApiResponse failureResponse(ApiRequest r, Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    ApiError e;
    if (t instanceof ApiError) {
      e = (ApiError) t;
    } else if (t instanceof NodeException) {
      NodeException n = (NodeException) t;
      e = switch (n.kind()) {
        case NOT_FOUND -> ApiError.notFound(n.getMessage());
        case BAD_REQUEST -> ApiError.badRequest(n.getMessage());
        case CONFLICT -> ApiError.of(409, "conflict", n.getMessage());
        case NOT_LEADER -> ApiError.notLeader(node.leaderApiAddress());
        case UNAVAILABLE -> ApiError.unavailable(n.getMessage());
      };
    } else if (t instanceof OperationTimedOut) {
      e = ApiError.unavailable("the node did not answer within " + operationTimeout.toMillis()
          + " ms; a write may still take effect, so check its result (payment status, channel list)"
          + " before retrying");
    } else if (t instanceof CancellationException) {
      e = ApiError.unavailable("the request was cancelled; retry");
    } else {
      // Node exceptions other than NodeException are bugs: the operators need the trace; the
      // caller gets nothing from it (it could hold internal detail).
      log.error("{} {} failed in the node", r.method(), clip(r.path()), t);
      e = ApiError.internal();
    }
    return new ApiResponse(e.status, JsonViews.error(e), e.headers);
  }

  static String clip(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }

  /** Query parameters: only the named ones, each at most once. */
  private static final class Query {
    private final Map<String, List<String>> params;

    Query(ApiRequest r, Set<String> allowed) {
      this.params = r.query();
      for (Map.Entry<String, List<String>> p : params.entrySet()) {
        if (!allowed.contains(p.getKey())) {
          throw ApiError.badRequest("unknown query parameter \"" + clip(p.getKey()) + "\""
              + (allowed.isEmpty() ? "; this route takes none" : "; allowed: " + allowed));
        }
        if (p.getValue().size() != 1) {
          throw ApiError.badRequest("query parameter " + p.getKey() + " must appear once");
        }
      }
    }

    Optional<String> string(String name) {
      List<String> v = params.get(name);
      return v == null ? Optional.empty() : Optional.of(v.get(0));
    }

    Optional<Long> longValue(String name, long min, long max) {
      return string(name).map(s -> {
        long v;
        try {
          v = Long.parseLong(s);
        } catch (NumberFormatException e) {
          throw ApiError.badRequest(name + " must be an integer between " + min + " and " + max);
        }
        if (v < min || v > max) {
          throw ApiError.badRequest(name + " must be between " + min + " and " + max + "; got " + v);
        }
        return v;
      });
    }
  }
}
