package io.lnraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever a client sends, the API answers with a JSON 2xx or 4xx: never a 5xx (which would mean
 * an unchecked input reached somewhere it should not), never a dropped connection.
 */
class ApiFuzzProperties {
  private static final String TOKEN = ApiServerTest.TOKEN;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIELDS = List.of("amount_msat", "description", "expiry_secs", "invoice",
      "node_id", "capacity_sat", "push_msat", "host", "port");
  private static final List<String> ROUTES = List.of("/v1/invoices", "/v1/payments", "/v1/channels", "/v1/peers");

  private static ApiServer server;
  private static URI base;
  private static HttpClient http;

  @BeforeContainer
  static void start() throws Exception {
    server = new ApiServer(new RecordingNode(), TOKEN, () -> true,
        ApiServerConfig.defaults("127.0.0.1", 0).withMaxBodyBytes(4096));
    base = URI.create("http://127.0.0.1:" + server.start().getPort());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  @Property(tries = 300)
  void structuredBodiesNeverGive5xx(@ForAll("routes") String route, @ForAll("objects") Map<String, Object> body)
      throws Exception {
    assertClientError(post(route, JSON.writeValueAsString(body)));
  }

  @Property(tries = 200)
  void arbitraryBytesNeverGive5xx(@ForAll("routes") String route, @ForAll("junk") String body) throws Exception {
    assertClientError(post(route, body));
  }

  @Property(tries = 200)
  void mutatedValidBodiesNeverGive5xx(@ForAll("routes") String route, @ForAll("mutations") String body)
      throws Exception {
    assertClientError(post(route, body));
  }

  @Property(tries = 200)
  void arbitraryPathsAndQueriesNeverGive5xx(@ForAll("paths") String path, @ForAll("methods") String method)
      throws Exception {
    URI uri;
    try {
      uri = URI.create(base + path);
    } catch (IllegalArgumentException notAUri) {
      return; // the client cannot even send it
    }
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + TOKEN)
        .method(method, BodyPublishers.noBody()).build();
    assertClientError(http.send(req, BodyHandlers.ofString()));
  }

  private static java.net.http.HttpResponse<String> post(String route, String body) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(base.resolve(route)).timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString(body)).build();
    return http.send(req, BodyHandlers.ofString());
  }

  private static void assertClientError(java.net.http.HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 499);
    JsonNode json = JSON.readTree(r.body());
    if (r.statusCode() >= 400) {
      assertThat(json.path("error").asText()).isNotBlank();
      assertThat(json.path("message").asText()).isNotBlank();
    }
  }

  @Provide
  Arbitrary<String> routes() {
    return Arbitraries.of(ROUTES);
  }

  @Provide
  Arbitrary<String> methods() {
    return Arbitraries.of("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS");
  }

  private static Arbitrary<Object> values() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(v -> (Object) v),
        Arbitraries.longs().between(-2, 100_000).map(v -> (Object) v),
        Arbitraries.bigIntegers().between(new java.math.BigInteger("-1" + "0".repeat(30)),
            new java.math.BigInteger("1" + "0".repeat(30))).map(v -> (Object) v),
        Arbitraries.doubles().map(v -> (Object) v),
        Arbitraries.strings().ofMaxLength(80).map(v -> (Object) v),
        Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofLength(66).map(v -> (Object) ("02" + v.substring(2))),
        Arbitraries.strings().withChars("0123456789abcdef").ofMaxLength(70).map(v -> (Object) v),
        Arbitraries.strings().alpha().numeric().ofMaxLength(60).map(v -> (Object) ("lnbcrt" + v)),
        Arbitraries.strings().ofMaxLength(700).map(v -> (Object) v),
        Arbitraries.of(true, false).map(v -> (Object) v),
        Arbitraries.just(null),
        Arbitraries.integers().list().ofMaxSize(3).map(v -> (Object) v),
        Arbitraries.maps(Arbitraries.strings().ofMaxLength(5), Arbitraries.integers()).ofMaxSize(2).map(v -> (Object) v));
  }

  @Provide
  Arbitrary<Map<String, Object>> objects() {
    Arbitrary<String> keys = Arbitraries.oneOf(Arbitraries.of(FIELDS), Arbitraries.of(FIELDS),
        Arbitraries.strings().ofMaxLength(12));
    return Arbitraries.maps(keys, values()).ofMaxSize(5).map(LinkedHashMap::new);
  }

  @Provide
  Arbitrary<String> junk() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(300),
        Arbitraries.strings().withChars("{}[]\":,0123456789-+.eEtrufalsn \\u").ofMaxLength(200),
        Arbitraries.strings().withChars("[{").ofMinLength(10).ofMaxLength(2000));
  }

  @Provide
  Arbitrary<String> mutations() {
    List<String> valid = List.of(
        "{\"amount_msat\":1000,\"description\":\"deposit\",\"expiry_secs\":600}",
        "{\"invoice\":\"lnbcrt10u1pfakeinvoice\",\"amount_msat\":5000}",
        "{\"node_id\":\"" + RecordingNode.PEER_ID + "\",\"capacity_sat\":200000,\"push_msat\":1000}",
        "{\"node_id\":\"" + RecordingNode.PEER_ID + "\",\"host\":\"peer.example\",\"port\":9735}");
    Arbitrary<String> base = Arbitraries.of(valid);
    return Combinators.combine(base, Arbitraries.integers().between(0, 1000), Arbitraries.chars(),
        Arbitraries.integers().between(0, 3)).as((s, at, c, op) -> {
          int i = at % (s.length() + 1);
          StringBuilder b = new StringBuilder(s);
          switch (op) {
            case 0 -> b.insert(i, c);
            case 1 -> { if (i < b.length()) { b.deleteCharAt(i); } }
            case 2 -> { if (i < b.length()) { b.setCharAt(i, c); } }
            default -> b.setLength(i);
          }
          return b.toString();
        });
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> segment = Arbitraries.oneOf(
        Arbitraries.of("v1", "info", "payments", "channels", "peers", "events", "invoices", "health", "ready", "",
            RecordingNode.HASH, RecordingNode.CHANNEL_ID, "%00", "%2F", "..", "%zz"),
        Arbitraries.strings().withChars("abcdefABCDEF0123456789-._~%").ofMaxLength(70));
    Arbitrary<String> query = Arbitraries.oneOf(
        Arbitraries.just(""),
        Arbitraries.of("after", "limit", "wait_ms", "direction", "force", "x", "")
            .flatMap(k -> Arbitraries.oneOf(Arbitraries.of("1", "-1", "0", "true", "inbound", "", "%", "9" .repeat(30)),
                Arbitraries.strings().withChars("abc0123456789-%&=").ofMaxLength(10)).map(v -> k + "=" + v))
            .list().ofMaxSize(3).map(l -> "?" + String.join("&", l)));
    return Combinators.combine(segment.list().ofMinSize(1).ofMaxSize(4), query).as((segs, q) -> {
      List<String> s = new ArrayList<>(segs);
      if (!s.get(0).equals("health") && !s.get(0).equals("ready")) {
        s.add(0, "v1");
      }
      // wait_ms would make a GET /v1/events long-poll; keep each try short.
      return "/" + String.join("/", s) + q.replaceAll("wait_ms=[0-9]+", "wait_ms=0");
    });
  }
}
