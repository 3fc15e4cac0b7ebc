package io.lnraft.node.api;

import static io.lnraft.node.api.RecordingNode.CHANNEL_ID;
import static io.lnraft.node.api.RecordingNode.HASH;
import static io.lnraft.node.api.RecordingNode.PEER_ID;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/** The API over real HTTP on loopback, against a node that records what it was asked. */
@Timeout(20)
class ApiServerTest {
  static final String TOKEN = "s3cret-api-token-0123456789abcdef";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RecordingNode node = new RecordingNode();
  private final AtomicBoolean leader = new AtomicBoolean(true);
  private ApiServer server;
  private URI base;
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void start() throws Exception {
    server = startServer(ApiServerConfig.defaults("127.0.0.1", 0));
  }

  private ApiServer startServer(ApiServerConfig config) throws InterruptedException {
    ApiServer s = new ApiServer(node, TOKEN, leader::get, config);
    var address = s.start();
    base = URI.create("http://127.0.0.1:" + address.getPort());
    return s;
  }

  @AfterEach
  void stop() {
    server.close();
  }

  record Reply(int status, JsonNode json, HttpResponse<String> raw) {
    String error() {
      return json.path("error").asText();
    }

    String message() {
      return json.path("message").asText();
    }
  }

  Reply send(String method, String path, String body, Optional<String> authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    authorization.ifPresent(a -> b.header("Authorization", a));
    HttpResponse<String> r = http.send(b.build(), BodyHandlers.ofString());
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    return new Reply(r.statusCode(), JSON.readTree(r.body()), r);
  }

  Reply send(String method, String path, String body) throws Exception {
    return send(method, path, body, Optional.of("Bearer " + TOKEN));
  }

  Reply get(String path) throws Exception {
    return send("GET", path, null);
  }

  // ---- load balancer probes

  @Test
  void healthAlwaysAnswersAndReadyOnlyOnTheReadyLeader() throws Exception {
    assertThat(send("GET", "/health", null, Optional.empty()).status()).isEqualTo(200);
    assertThat(send("GET", "/ready", null, Optional.empty()).status()).isEqualTo(200);
    leader.set(false);
    assertThat(send("GET", "/health", null, Optional.empty()).status()).isEqualTo(200);
    Reply ready = send("GET", "/ready", null, Optional.empty());
    assertThat(ready.status()).isEqualTo(503);
    assertThat(ready.json().path("status").asText()).isEqualTo("not_ready");
    assertThat(node.operations()).isEmpty();
  }

  // ---- auth

  @Test
  void missingOrWrongTokenIsRefusedAndTheNodeIsNeverCalled() throws Exception {
    String pay = "{\"invoice\":\"lnbcrt10u1pfakeinvoice\"}";
    for (Optional<String> auth : List.of(Optional.<String>empty(), Optional.of("Bearer wrong-token-0123456789abcdef"),
        Optional.of("Bearer " + TOKEN + "x"), Optional.of("Bearer " + TOKEN.substring(1)), Optional.of("Basic " + TOKEN),
        Optional.of("Bearer"), Optional.of(TOKEN))) {
      Reply r = send("POST", "/v1/payments", pay, auth);
      assertThat(r.status()).as("auth %s", auth).isEqualTo(401);
      assertThat(r.error()).isEqualTo("unauthorized");
      assertThat(r.raw().body()).doesNotContain(TOKEN).doesNotContain("wrong-token");
      assertThat(r.raw().headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    }
    // Unknown routes under /v1 are not revealed to a caller without the token either.
    assertThat(send("GET", "/v1/nope", null, Optional.empty()).status()).isEqualTo(401);
    assertThat(node.operations()).isEmpty();

    Reply ok = send("POST", "/v1/payments", pay, Optional.of("bearer " + TOKEN));
    assertThat(ok.status()).isEqualTo(202);
    assertThat(node.operations()).containsExactly("pay lnbcrt10u1pfakeinvoice Optional.empty");
  }

  @Test
  void theTokenNeverReachesTheLog() throws Exception {
    Logger apiLogger = (Logger) LoggerFactory.getLogger("io.lnraft.node.api");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    Level before = apiLogger.getLevel();
    apiLogger.setLevel(Level.DEBUG);
    apiLogger.addAppender(appender);
    try {
      node.before = () -> {
        throw new IllegalStateException("boom");
      };
      send("GET", "/v1/info", null, Optional.of("Bearer not-the-token-" + TOKEN));
      Reply crashed = send("GET", "/v1/info", null);
      assertThat(crashed.status()).isEqualTo(500);
      assertThat(crashed.error()).isEqualTo("internal");
      assertThat(crashed.message()).doesNotContain("boom");
    } finally {
      apiLogger.detachAppender(appender);
      apiLogger.setLevel(before);
    }
    assertThat(appender.list).isNotEmpty();
    for (ILoggingEvent e : appender.list) {
      assertThat(e.getFormattedMessage()).doesNotContain(TOKEN);
    }
  }

  // ---- followers

  @Test
  void aFollowerRefusesEveryCallButInfoAndNamesTheLeader() throws Exception {
    leader.set(false);
    node.leaderApi = Optional.of("10.0.0.2:8080");
    String[][] calls = {
        {"POST", "/v1/invoices", "{\"amount_msat\":1000,\"description\":\"d\"}"},
        {"GET", "/v1/payments/" + HASH + "?direction=inbound", null},
        {"POST", "/v1/payments", "{\"invoice\":\"lnbcrt10u1pfakeinvoice\"}"},
        {"GET", "/v1/channels", null},
        {"POST", "/v1/channels", "{\"node_id\":\"" + PEER_ID + "\",\"capacity_sat\":100000}"},
        {"DELETE", "/v1/channels/" + CHANNEL_ID, null},
        {"GET", "/v1/peers", null},
        {"POST", "/v1/peers", "{\"node_id\":\"" + PEER_ID + "\",\"host\":\"h\",\"port\":9735}"},
        {"GET", "/v1/events?wait_ms=5000", null},
    };
    for (String[] c : calls) {
      Reply r = send(c[0], c[1], c[2]);
      assertThat(r.status()).as("%s %s", c[0], c[1]).isEqualTo(503);
      assertThat(r.error()).isEqualTo("not_leader");
      assertThat(r.json().path("leader_api").asText()).isEqualTo("10.0.0.2:8080");
    }
    assertThat(node.operations()).isEmpty();

    node.leaderApi = Optional.empty();
    Reply unknown = get("/v1/channels");
    assertThat(unknown.status()).isEqualTo(503);
    assertThat(unknown.json().has("leader_api")).isFalse();

    Reply info = get("/v1/info");
    assertThat(info.status()).isEqualTo(200);
    assertThat(node.operations()).containsExactly("info");
  }

  @Test
  void aLeaderDeposedDuringTheCallAnswersNotLeader() throws Exception {
    node.leaderApi = Optional.of("10.0.0.3:8080");
    node.before = () -> {
      throw new NodeException(NodeException.Kind.NOT_LEADER, "lost leadership");
    };
    Reply r = get("/v1/channels");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.error()).isEqualTo("not_leader");
    assertThat(r.json().path("leader_api").asText()).isEqualTo("10.0.0.3:8080");
  }

  // ---- happy paths

  @Test
  void info() throws Exception {
    Reply r = get("/v1/info");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("node_id").asText()).isEqualTo(RecordingNode.NODE_ID);
    assertThat(r.json().path("role").asText()).isEqualTo("leader_ready");
    assertThat(r.json().path("epoch").asLong()).isEqualTo(3);
    assertThat(r.json().path("raft_term").asLong()).isEqualTo(7);
    assertThat(r.json().path("block_height").asLong()).isEqualTo(812_345);
    assertThat(r.json().path("network").asText()).isEqualTo("regtest");
    assertThat(r.json().path("peer_count").asInt()).isEqualTo(1);
    assertThat(r.json().path("channel_count").asInt()).isEqualTo(1);
  }

  @Test
  void createInvoice() throws Exception {
    Reply r = send("POST", "/v1/invoices", "{\"amount_msat\":250000,\"description\":\"deposit #42\",\"expiry_secs\":600}");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().path("bolt11").asText()).isEqualTo("lnbcrt10u1fake");
    assertThat(r.json().path("payment_hash").asText()).isEqualTo(HASH);
    assertThat(r.json().path("expires_at").asText()).isEqualTo("2025-01-02T03:14:05Z");
    assertThat(node.operations()).containsExactly("createInvoice 250000 deposit #42 600");

    send("POST", "/v1/invoices", "{\"amount_msat\":1,\"description\":\"\"}");
    assertThat(node.operations()).last().isEqualTo("createInvoice 1  3600");
  }

  @Test
  void paymentStatus() throws Exception {
    Reply r = get("/v1/payments/" + HASH.toUpperCase() + "?direction=outbound");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("payment_hash").asText()).isEqualTo(HASH);
    assertThat(r.json().path("direction").asText()).isEqualTo("outbound");
    assertThat(r.json().path("status").asText()).isEqualTo("succeeded");
    assertThat(r.json().path("amount_msat").asLong()).isEqualTo(10_000);
    assertThat(r.json().path("fee_msat").asLong()).isEqualTo(12);
    assertThat(r.json().path("created_at").asText()).isEqualTo("2025-01-02T03:04:05Z");
    assertThat(r.json().path("updated_at").asText()).isEqualTo("2025-01-02T03:04:07Z");
    assertThat(r.json().has("failure_reason")).isFalse();
    assertThat(node.operations()).containsExactly("payment " + HASH + " OUTBOUND");

    Reply missing = get("/v1/payments/" + "bb".repeat(32) + "?direction=inbound");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.error()).isEqualTo("not_found");
  }

  @Test
  void pay() throws Exception {
    Reply r = send("POST", "/v1/payments", "{\"invoice\":\"LNBCRT1PFAKEINVOICE\",\"amount_msat\":5000}");
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.json().path("status").asText()).isEqualTo("pending");
    assertThat(r.json().path("payment_hash").asText()).isEqualTo(HASH);
    assertThat(node.operations()).containsExactly("pay lnbcrt1pfakeinvoice Optional[5000]");
  }

  @Test
  void payingTwiceIsAConflict() throws Exception {
    node.before = () -> {
      throw new NodeException(NodeException.Kind.CONFLICT, "already paid; see GET /v1/payments/" + HASH);
    };
    Reply r = send("POST", "/v1/payments", "{\"invoice\":\"lnbcrt1pfakeinvoice\"}");
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.error()).isEqualTo("conflict");
    assertThat(r.message()).contains("already paid");
  }

  @Test
  void channels() throws Exception {
    Reply list = get("/v1/channels");
    assertThat(list.status()).isEqualTo(200);
    JsonNode c = list.json().path("channels").get(0);
    assertThat(c.path("channel_id").asText()).isEqualTo(CHANNEL_ID);
    assertThat(c.path("peer_node_id").asText()).isEqualTo(PEER_ID);
    assertThat(c.path("capacity_sat").asLong()).isEqualTo(1_000_000);
    assertThat(c.path("local_balance_msat").asLong()).isEqualTo(600_000_000);
    assertThat(c.path("remote_balance_msat").asLong()).isEqualTo(400_000_000);
    assertThat(c.path("state").asText()).isEqualTo("active");

    Reply open = send("POST", "/v1/channels", "{\"node_id\":\"" + PEER_ID + "\",\"capacity_sat\":200000,\"push_msat\":1000}");
    assertThat(open.status()).isEqualTo(201);
    assertThat(open.json().path("state").asText()).isEqualTo("pending_open");

    Reply close = send("DELETE", "/v1/channels/" + CHANNEL_ID + "?force=true", null);
    assertThat(close.status()).isEqualTo(202);
    assertThat(close.json().path("status").asText()).isEqualTo("closing");
    Reply coop = send("DELETE", "/v1/channels/" + CHANNEL_ID, null);
    assertThat(coop.json().path("force").asBoolean()).isFalse();

    Reply unknown = send("DELETE", "/v1/channels/" + "dd".repeat(32), null);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.message()).contains("GET /v1/channels");

    assertThat(node.operations()).containsExactly("channels", "openChannel " + PEER_ID + " 200000 1000",
        "closeChannel " + CHANNEL_ID + " true", "closeChannel " + CHANNEL_ID + " false",
        "closeChannel " + "dd".repeat(32) + " false");
  }

  @Test
  void peers() throws Exception {
    Reply list = get("/v1/peers");
    assertThat(list.status()).isEqualTo(200);
    JsonNode p = list.json().path("peers").get(0);
    assertThat(p.path("node_id").asText()).isEqualTo(PEER_ID);
    assertThat(p.path("address").asText()).isEqualTo("10.1.2.3:9735");
    assertThat(p.path("connected").asBoolean()).isTrue();

    Reply connect = send("POST", "/v1/peers", "{\"node_id\":\"" + PEER_ID + "\",\"host\":\"peer.example\",\"port\":9735}");
    assertThat(connect.status()).isEqualTo(200);
    assertThat(node.operations()).containsExactly("peers", "connectPeer " + PEER_ID + " peer.example 9735");
  }

  @Test
  void eventsPage() throws Exception {
    node.publish(NodeEvent.payment(1, NodeEvent.Type.PAYMENT_RECEIVED, HASH, 1000, RecordingNode.T0));
    node.publish(NodeEvent.channel(2, NodeEvent.Type.CHANNEL_OPENED, CHANNEL_ID, 100_000_000, RecordingNode.T0));
    node.publish(NodeEvent.payment(3, NodeEvent.Type.PAYMENT_SENT, HASH, 2000, RecordingNode.T0));
    Reply r = get("/v1/events?after=0&limit=2");
    assertThat(r.status()).isEqualTo(200);
    JsonNode events = r.json().path("events");
    assertThat(events).hasSize(2);
    assertThat(events.get(0).path("type").asText()).isEqualTo("payment_received");
    assertThat(events.get(0).path("payment_hash").asText()).isEqualTo(HASH);
    assertThat(events.get(0).has("channel_id")).isFalse();
    assertThat(events.get(1).path("type").asText()).isEqualTo("channel_opened");
    assertThat(events.get(1).path("channel_id").asText()).isEqualTo(CHANNEL_ID);
    assertThat(events.get(1).path("amount_msat").asLong()).isEqualTo(100_000_000);
    assertThat(r.json().path("next_after").asLong()).isEqualTo(2);

    Reply rest = get("/v1/events?after=2&wait_ms=10000");
    assertThat(rest.json().path("events")).hasSize(1);
    assertThat(rest.json().path("next_after").asLong()).isEqualTo(3);
  }

  // ---- long poll

  @Test
  void aLongPollReturnsAsSoonAsAnEventArrives() throws Exception {
    long start = System.nanoTime();
    CompletableFuture<Reply> poll = CompletableFuture.supplyAsync(() -> {
      try {
        return get("/v1/events?after=0&wait_ms=10000");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    while (node.waiting() == 0) {
      Thread.sleep(5);
    }
    assertThat(poll).isNotDone();
    node.publish(NodeEvent.payment(1, NodeEvent.Type.PAYMENT_RECEIVED, HASH, 1000, RecordingNode.T0));
    Reply r = poll.get();
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(ms).isLessThan(5000);
    assertThat(r.json().path("events")).hasSize(1);
    assertThat(r.json().path("next_after").asLong()).isEqualTo(1);
  }

  @Test
  void aLongPollWithNothingNewReturnsEmptyAfterWaitMs() throws Exception {
    long start = System.nanoTime();
    Reply r = get("/v1/events?after=0&wait_ms=300");
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("events")).isEmpty();
    assertThat(r.json().path("next_after").asLong()).isEqualTo(0);
    assertThat(ms).isBetween(290L, 3000L);
    // The API let go of the signal, and the node dropped it.
    assertThat(node.signalsHandedOut).allSatisfy(s -> assertThat(s).isDone());
    assertThat(node.waiting()).isZero();
  }

  @Test
  void longPollsDoNotHoldTheNodeThreads() throws Exception {
    // More waiting polls than operation threads (4): an ordinary call still gets through.
    List<CompletableFuture<Reply>> polls = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      polls.add(CompletableFuture.supplyAsync(() -> {
        try {
          return get("/v1/events?after=0&wait_ms=3000");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    while (node.waiting() < 6) {
      Thread.sleep(5);
    }
    assertThat(get("/v1/info").status()).isEqualTo(200);
    node.publish(NodeEvent.payment(1, NodeEvent.Type.PAYMENT_RECEIVED, HASH, 1000, RecordingNode.T0));
    for (CompletableFuture<Reply> p : polls) {
      assertThat(p.get().json().path("events")).hasSize(1);
    }
  }

  // ---- errors

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "POST|/v1/invoices|{}|amount_msat is required",
      "POST|/v1/invoices|{\"amount_msat\":0,\"description\":\"d\"}|amount_msat must be between 1",
      "POST|/v1/invoices|{\"amount_msat\":-5,\"description\":\"d\"}|amount_msat must be between 1",
      "POST|/v1/invoices|{\"amount_msat\":2100000000000000001,\"description\":\"d\"}|amount_msat must be between",
      "POST|/v1/invoices|{\"amount_msat\":99999999999999999999999,\"description\":\"d\"}|amount_msat must be an integer",
      "POST|/v1/invoices|{\"amount_msat\":1.5,\"description\":\"d\"}|amount_msat must be an integer",
      "POST|/v1/invoices|{\"amount_msat\":\"1000\",\"description\":\"d\"}|amount_msat must be an integer",
      "POST|/v1/invoices|{\"amount_msat\":1000}|description is required",
      "POST|/v1/invoices|{\"amount_msat\":1000,\"description\":7}|description must be a string",
      "POST|/v1/invoices|{\"amount_msat\":1000,\"description\":\"d\",\"expiry_secs\":0}|expiry_secs must be between 1",
      "POST|/v1/invoices|{\"amount_msat\":1000,\"description\":\"d\",\"memo\":\"x\"}|unknown field(s) \"memo\"",
      "POST|/v1/invoices|{\"amount_msat\":1000,\"amount_msat\":2000,\"description\":\"d\"}|Duplicate field 'amount_msat'",
      "POST|/v1/payments|{}|invoice is required",
      "POST|/v1/payments|{\"invoice\":\"bc1qxyz\"}|invoice must be a BOLT 11 invoice",
      "POST|/v1/payments|{\"invoice\":\"lnBCrt1pfake\"}|invoice must not mix upper and lower case",
      "POST|/v1/payments|{\"invoice\":\"lnbcrt1pfake\",\"amount_msat\":0}|amount_msat must be between 1",
      "GET|/v1/payments/abcd?direction=inbound||payment_hash must be 32 bytes of hex",
      "GET|/v1/payments/" + "zz" + "?direction=inbound||payment_hash must be 32 bytes",
      "GET|/v1/payments/%s||direction is required",
      "GET|/v1/payments/%s?direction=sideways||direction must be inbound or outbound",
      "GET|/v1/payments/%s?direction=inbound&direction=outbound||direction must appear once",
      "GET|/v1/payments/%s?direction=inbound&x=1||unknown query parameter \"x\"",
      "POST|/v1/channels|{\"capacity_sat\":1000}|node_id is required",
      "POST|/v1/channels|{\"node_id\":\"02abcd\",\"capacity_sat\":1000}|node_id must be 33 bytes of hex",
      "POST|/v1/channels|{\"node_id\":\"%q\",\"capacity_sat\":1000}|node_id must be a compressed public key",
      "POST|/v1/channels|{\"node_id\":\"%p\"}|capacity_sat is required",
      "POST|/v1/channels|{\"node_id\":\"%p\",\"capacity_sat\":0}|capacity_sat must be between 1",
      "POST|/v1/channels|{\"node_id\":\"%p\",\"capacity_sat\":1000,\"push_msat\":-1}|push_msat must be between 0",
      "POST|/v1/channels|{\"node_id\":\"%p\",\"capacity_sat\":1000,\"push_msat\":1000001}|push_msat must not exceed capacity_sat",
      "DELETE|/v1/channels/1234||channel_id must be 32 bytes of hex",
      "DELETE|/v1/channels/%c?force=maybe||force must be true or false",
      "POST|/v1/peers|{\"node_id\":\"%p\",\"port\":9735}|host is required",
      "POST|/v1/peers|{\"node_id\":\"%p\",\"host\":\"a b\",\"port\":9735}|host must be a hostname",
      "POST|/v1/peers|{\"node_id\":\"%p\",\"host\":\"\",\"port\":9735}|host must be a hostname",
      "POST|/v1/peers|{\"node_id\":\"%p\",\"host\":\"h\"}|port is required",
      "POST|/v1/peers|{\"node_id\":\"%p\",\"host\":\"h\",\"port\":70000}|port must be between 1 and 65535",
      "POST|/v1/peers|{\"host\":\"h\",\"port\":1}|node_id is required",
      "GET|/v1/events?after=-1||after must be between 0",
      "GET|/v1/events?limit=0||limit must be between 1 and 1000",
      "GET|/v1/events?limit=1001||limit must be between 1 and 1000",
      "GET|/v1/events?wait_ms=soon||wait_ms must be an integer",
      "GET|/v1/channels?verbose=1||unknown query parameter \"verbose\"",
  })
  void validationErrorsNameTheFieldAndNeverReachTheNode(String method, String path, String body, String message)
      throws Exception {
    path = path.replace("%s", HASH).replace("%c", CHANNEL_ID);
    body = body == null ? null : body.replace("%p", PEER_ID).replace("%q", "04" + "11".repeat(32));
    Reply r = send(method, path, body);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).isEqualTo("bad_request");
    assertThat(r.message()).contains(message);
    assertThat(node.operations()).isEmpty();
  }

  @Test
  void descriptionLongerThanBolt11AllowsIsRefused() throws Exception {
    Reply r = send("POST", "/v1/invoices", "{\"amount_msat\":1,\"description\":\"" + "é".repeat(320) + "\"}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.message()).contains("description must be at most 639 bytes");
  }

  @Test
  void malformedJsonIsABadRequest() throws Exception {
    for (String body : List.of("{", "not json", "[]", "\"string\"", "", "{\"amount_msat\":1000}{}", "{\"a\":}", "null")) {
      Reply r = send("POST", "/v1/invoices", body);
      assertThat(r.status()).as("body %s", body).isEqualTo(400);
      assertThat(r.error()).isEqualTo("bad_request");
      assertThat(r.message()).isNotBlank();
    }
    assertThat(node.operations()).isEmpty();
  }

  @Test
  void aBodyThatIsNotJsonByContentTypeIsRefused() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/invoices"))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(BodyPublishers.ofString("amount_msat=1")).build();
    assertThat(http.send(req, BodyHandlers.ofString()).statusCode()).isEqualTo(415);
  }

  @Test
  void anOversizedBodyGets413InJsonAndTheServerCarriesOn() throws Exception {
    String big = "{\"description\":\"" + "x".repeat(70 * 1024) + "\"}";
    Reply r = send("POST", "/v1/invoices", big);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.error()).isEqualTo("payload_too_large");
    assertThat(r.message()).contains("65536 bytes").contains("lnraft.node.api-max-body-bytes");
    assertThat(node.operations()).isEmpty();
    assertThat(get("/v1/info").status()).isEqualTo(200);
  }

  @Test
  void unknownRoutesAre404AndWrongMethods405() throws Exception {
    assertThat(send("GET", "/", null, Optional.empty()).status()).isEqualTo(404);
    assertThat(send("GET", "/v2/info", null, Optional.empty()).status()).isEqualTo(404);
    for (String path : List.of("/v1", "/v1/", "/v1/nothing", "/v1/channels/" + CHANNEL_ID + "/x", "/v1/info/x")) {
      Reply r = get(path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.error()).isEqualTo("not_found");
    }
    Reply wrong = send("PUT", "/v1/channels", "{}");
    assertThat(wrong.status()).isEqualTo(405);
    assertThat(wrong.error()).isEqualTo("method_not_allowed");
    assertThat(wrong.raw().headers().firstValue("Allow")).hasValue("GET, POST");
    assertThat(send("POST", "/v1/info", "{}").status()).isEqualTo(405);
    assertThat(send("GET", "/v1/invoices", null).status()).isEqualTo(405);
    assertThat(send("GET", "/v1/channels/" + CHANNEL_ID, null).status()).isEqualTo(405);
    assertThat(send("DELETE", "/v1/payments/" + HASH, null).status()).isEqualTo(405);
    assertThat(send("POST", "/health", "{}", Optional.empty()).status()).isEqualTo(405);
    assertThat(node.operations()).isEmpty();
  }

  @Test
  void aNodeCallThatTakesTooLongIs503AndTheNetworkThreadStaysFree() throws Exception {
    server.close();
    server = startServer(ApiServerConfig.defaults("127.0.0.1", 0).withOperationTimeout(Duration.ofMillis(300)));
    CountDownLatch release = new CountDownLatch(1);
    node.before = () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    try {
      long start = System.nanoTime();
      Reply r = get("/v1/channels");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.error()).isEqualTo("unavailable");
      assertThat(r.message()).contains("check its result");
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
      // While the node is stuck, the probes still answer.
      assertThat(send("GET", "/health", null, Optional.empty()).status()).isEqualTo(200);
    } finally {
      release.countDown();
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderAndGarbageIs400() throws Exception {
    try (Socket s = new Socket("127.0.0.1", base.getPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      String auth = "Authorization: Bearer " + TOKEN + "\r\n";
      out.write(("GET /v1/events?after=0&wait_ms=200 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
          + "GET /v1/info HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
          + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int events = all.indexOf("\"events\"");
      int info = all.indexOf("\"node_id\"");
      int health = all.indexOf("\"status\":\"ok\"");
      assertThat(events).isPositive();
      assertThat(info).isGreaterThan(events);
      assertThat(health).isGreaterThan(info);
    }
    try (Socket s = new Socket("127.0.0.1", base.getPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("THIS IS NOT HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String reply = readAll(s.getInputStream());
      assertThat(reply).startsWith("HTTP/1.1 400").contains("\"error\":\"bad_request\"");
    }
  }

  @Test
  void anOversizedBodyAnnouncedWithExpectContinueGets413InJsonBeforeItIsSent() throws Exception {
    try (Socket s = new Socket("127.0.0.1", base.getPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("POST /v1/invoices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      byte[] head = new byte[4096];
      int n = s.getInputStream().read(head);
      String reply = new String(head, 0, n, StandardCharsets.UTF_8);
      assertThat(reply).startsWith("HTTP/1.1 413").contains("\"error\":\"payload_too_large\"");
    }
    assertThat(node.operations()).isEmpty();
  }

  /** Found by ApiRequestFuzzProperties: Netty's 417 for an unknown expectation had no JSON body. */
  @Test
  void anUnknownExpectationGets417InJsonAndTheNodeIsNotCalled() throws Exception {
    try (Socket s = new Socket("127.0.0.1", base.getPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("POST /v1/invoices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue-ish\r\n"
          + "Connection: close\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
      byte[] head = new byte[4096];
      int n = s.getInputStream().read(head);
      String reply = new String(head, 0, n, StandardCharsets.UTF_8);
      assertThat(reply).startsWith("HTTP/1.1 417").contains("\"error\":\"expectation_failed\"")
          .contains("100-continue");
    }
    assertThat(node.operations()).isEmpty();
  }

  private static String readAll(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void theTokenMustBeLongEnough() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> new ApiServer(node, "short", leader::get, ApiServerConfig.defaults("127.0.0.1", 0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("short");
  }
}
