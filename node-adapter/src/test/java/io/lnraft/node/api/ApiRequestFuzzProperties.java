package io.lnraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzes what {@link ApiFuzzProperties} does not reach through a well-behaved HTTP client:
 * headers (Authorization, Content-Type, Content-Length, Transfer-Encoding), raw request bytes
 * written to the socket, and whether a refused request changed anything. For every input: an
 * answer within the timeout that is a 2xx/4xx with a JSON body (or the server closes a
 * connection whose bytes are not HTTP at all), never a 5xx, never a hang; and a 4xx never
 * reaches an operation that changes the node.
 */
class ApiRequestFuzzProperties {
  private static final String TOKEN = ApiServerTest.TOKEN;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Calls of {@link RecordingNode} that change the node. */
  private static final Set<String> MUTATING = Set.of("createInvoice", "pay", "openChannel", "connectPeer", "closeChannel");
  private static final int READ_TIMEOUT_MS = 5000;

  private static ApiServer server;
  private static RecordingNode node;
  private static int port;

  @BeforeContainer
  static void start() throws Exception {
    node = new RecordingNode();
    server = new ApiServer(node, TOKEN, () -> true, ApiServerConfig.defaults("127.0.0.1", 0).withMaxBodyBytes(4096));
    port = server.start().getPort();
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  /** One response read off a raw connection: status, headers and body; status -1 = closed without one. */
  private record Raw(int status, String head, String body) {}

  /**
   * Writes {@code request} on a new connection and reads one response (or the close). A request
   * the server still waits on after 250 ms (a truncated one, or one that only got a 100 Continue)
   * gets the end of the stream, after
   * which the server must answer or close within the timeout.
   */
  private static Raw exchange(byte[] request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException closedEarly) {
        // the server may close while we still write (an oversized or garbage request)
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      s.setSoTimeout(250);
      boolean ended = false;
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException e) {
          if (ended) {
            throw new AssertionError("no complete answer and no close within " + READ_TIMEOUT_MS + " ms to "
                + printable(request) + "\n(got: " + got + ")", e);
          }
          s.shutdownOutput(); // the server sees the end: an incomplete request cannot wait for more
          s.setSoTimeout(READ_TIMEOUT_MS);
          ended = true;
          continue;
        } catch (java.net.SocketException reset) {
          break; // a reset after the server closed: judged by what arrived before it
        }
        if (n < 0) break;
        got.write(buf, 0, n);
        if (complete(got.toByteArray(), request)) break;
      }
      return parse(got.toByteArray());
    }
  }

  /** Drops interim 1xx answers (100 Continue to an Expect header): only the final answer counts. */
  private static String finalAnswer(String s) {
    while (s.startsWith("HTTP/1.1 1") && s.indexOf("\r\n\r\n") > 0) s = s.substring(s.indexOf("\r\n\r\n") + 4);
    return s;
  }

  private static boolean complete(byte[] b, byte[] request) {
    String s = finalAnswer(new String(b, StandardCharsets.ISO_8859_1));
    if (s.startsWith("HTTP/1.1 1")) return false;
    int end = s.indexOf("\r\n\r\n");
    if (end < 0) return false;
    if (isHead(request)) return true; // the answer to HEAD has no body
    var m = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(s.substring(0, end));
    return m.find() && s.length() - end - 4 >= Integer.parseInt(m.group(1));
  }

  private static Raw parse(byte[] b) {
    String s = finalAnswer(new String(b, StandardCharsets.UTF_8));
    if (s.isEmpty()) return new Raw(-1, "", "");
    int end = s.indexOf("\r\n\r\n");
    assertThat(s).as("the answer is HTTP").startsWith("HTTP/1.1 ");
    assertThat(end).as("the answer has a complete head").isPositive();
    return new Raw(Integer.parseInt(s.substring(9, 12)), s.substring(0, end), s.substring(end + 4));
  }

  private static boolean isHead(byte[] request) {
    return new String(request, 0, Math.min(5, request.length), StandardCharsets.ISO_8859_1).startsWith("HEAD ");
  }

  private static String printable(byte[] b) {
    String s = new String(b, StandardCharsets.ISO_8859_1);
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  /** The contract for one answer; returns the status. */
  private static int assertAnswer(Raw r, boolean mayClose) throws IOException {
    return assertAnswer(r, mayClose, false);
  }

  private static int assertAnswer(Raw r, boolean mayClose, boolean head) throws IOException {
    if (r.status() == -1) {
      assertThat(mayClose).as("the server closed without an answer").isTrue();
      return -1;
    }
    assertThat(r.status()).as(r.head() + "\n" + r.body()).isBetween(200, 499);
    if (r.status() >= 400 && !head) {
      JsonNode json = JSON.readTree(r.body());
      assertThat(json.path("error").asText()).as(r.body()).isNotBlank();
      assertThat(json.path("message").asText()).as(r.body()).isNotBlank();
    }
    return r.status();
  }

  private static List<String> mutatingCalls() {
    return node.calls.stream().filter(c -> MUTATING.contains(c.split(" ", 2)[0])).toList();
  }

  // ---- properties -------------------------------------------------------------------------------

  @Property(tries = 250, edgeCases = EdgeCasesMode.NONE)
  void anyAuthorizationButTheTokenGets401AndChangesNothing(@ForAll("authorizations") String auth,
      @ForAll("mutatingRequests") String[] routeAndBody) throws Exception {
    int before = mutatingCalls().size();
    String head = routeAndBody[0] + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + (auth == null ? "" : "Authorization: " + auth + "\r\n");
    byte[] body = routeAndBody[1].getBytes(StandardCharsets.UTF_8);
    int status = assertAnswer(exchange((head + "Content-Length: " + body.length + "\r\n\r\n" + routeAndBody[1])
        .getBytes(StandardCharsets.ISO_8859_1)), false);
    // The scheme is case-insensitive (RFC 7235) and whitespace around the token is not part of it.
    boolean exact = auth != null && auth.length() > 7 && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        && auth.substring(7).strip().equals(TOKEN);
    Statistics.collect(exact ? "the token" : "not the token", status);
    if (!exact) {
      assertThat(status).isEqualTo(401);
      assertThat(mutatingCalls()).as("a refused request reaches no operation").hasSize(before);
    }
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void fuzzedHeadersAndBodiesGet4xxWithoutChangingAnything(@ForAll("mutatingRequests") String[] routeAndBody,
      @ForAll("headerSets") List<String> headers, @ForAll("bodyMutations") String body) throws Exception {
    int before = mutatingCalls().size();
    StringBuilder req = new StringBuilder(routeAndBody[0]).append(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n")
        .append("Authorization: Bearer ").append(TOKEN).append("\r\n");
    boolean hasLength = false;
    for (String h : headers) {
      req.append(h).append("\r\n");
      hasLength |= h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length")
          || h.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding");
    }
    String b = body.isEmpty() ? routeAndBody[1] : body;
    if (!hasLength) req.append("Content-Length: ").append(b.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
    req.append("\r\n").append(b);
    // With framing headers of its own (a wrong Content-Length, chunked without chunks) the request
    // may be incomplete when the stream ends; closing then, without an answer, is proper HTTP.
    int status = assertAnswer(exchange(req.toString().getBytes(StandardCharsets.UTF_8)), hasLength);
    Statistics.collect(status == -1 ? "closed" : status / 100 + "xx");
    if (status >= 400) {
      assertThat(mutatingCalls()).as("a 4xx reached an operation that changes the node").hasSize(before);
    }
  }

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void rawBytesNeverHangOrGive5xx(@ForAll("rawRequests") byte[] request) throws Exception {
    int before = mutatingCalls().size();
    int status = assertAnswer(exchange(request), true, isHead(request));
    Statistics.collect(status == -1 ? "closed" : status / 100 + "xx");
    if (status != 200 && status != 201 && status != 202) {
      assertThat(mutatingCalls()).hasSize(before);
    }
  }

  // ---- generators -------------------------------------------------------------------------------

  @Provide
  Arbitrary<String> authorizations() {
    Arbitrary<String> fixed = Arbitraries.of("Bearer " + TOKEN, "bearer " + TOKEN, "Bearer  " + TOKEN, "Bearer " + TOKEN + " ",
        "Bearer " + TOKEN + "x", "Bearer " + TOKEN.substring(1), "Bearer " + TOKEN.toUpperCase(java.util.Locale.ROOT),
        "Basic " + java.util.Base64.getEncoder().encodeToString(("x:" + TOKEN).getBytes(StandardCharsets.UTF_8)),
        "Bearer", "Bearer ", "", TOKEN, "Bearer " + TOKEN + ", Bearer " + TOKEN, "Bearer \u00ff" + TOKEN);
    Arbitrary<String> randomTokens = Arbitraries.strings().withCharRange('!', '~').ofMaxLength(80).map(t -> "Bearer " + t);
    Arbitrary<String> sameLength = Arbitraries.strings().withCharRange('!', '~').ofLength(TOKEN.length()).map(t -> "Bearer " + t);
    return Arbitraries.oneOf(fixed, randomTokens, sameLength, Arbitraries.just(null));
  }

  /** A mutating request line and a valid body for it. */
  @Provide
  Arbitrary<String[]> mutatingRequests() {
    return Arbitraries.of(
        new String[] {"POST /v1/invoices", "{\"amount_msat\":1000,\"description\":\"deposit\",\"expiry_secs\":600}"},
        new String[] {"POST /v1/payments", "{\"invoice\":\"lnbcrt10u1pfakeinvoice\"}"},
        new String[] {"POST /v1/channels", "{\"node_id\":\"" + RecordingNode.PEER_ID + "\",\"capacity_sat\":200000}"},
        new String[] {"POST /v1/peers", "{\"node_id\":\"" + RecordingNode.PEER_ID + "\",\"host\":\"127.0.0.1\",\"port\":9735}"},
        new String[] {"DELETE /v1/channels/" + RecordingNode.CHANNEL_ID, ""});
  }

  @Provide
  Arbitrary<List<String>> headerSets() {
    Arbitrary<String> header = Arbitraries.oneOf(
        Arbitraries.of("Content-Type: text/plain", "Content-Type: application/json; charset=utf-16",
            "Content-Type: application/json", "Content-Type: ", "Content-Type: application/x-www-form-urlencoded",
            "Content-Length: 0", "Content-Length: -1", "Content-Length: 99999999999999999999", "Content-Length: 3",
            "Content-Length: 1, 2", "Content-Length: abc", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip",
            "Expect: 100-continue", "Expect: 100-continue-ish", "Content-Encoding: gzip", "Connection: keep-alive",
            "Authorization: Bearer other", "Host:", "X-Forwarded-For: 1.2.3.4", " folded: continuation",
            "NoColonHeader", ": empty-name", "X-Big: " + "a".repeat(9000)),
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40).map(s -> "X-" + s.replace(":", "") + ": " + s));
    return header.list().ofMaxSize(4);
  }

  @Provide
  Arbitrary<String> bodyMutations() {
    return Arbitraries.oneOf(Arbitraries.just(""), Arbitraries.strings().ofMaxLength(100),
        Arbitraries.of("{}", "[]", "null", "{\"amount_msat\":-1}", "{\"amount_msat\":1e999}", "{\"amount_msat\":\"1\"}",
            "{\"amount_msat\":1000,\"amount_msat\":2000}", "{\"description\":\"\\ud800\"}", "{\"node_id\":null}",
            "{\"invoice\":\"LNBCRT1\"}", "{\"invoice\":\"lnbcrt1" + "q".repeat(5000) + "\"}", "\u0000", "{\"a\":" .repeat(600),
            "{\"port\":65536,\"host\":\"\",\"node_id\":\"" + RecordingNode.PEER_ID + "\"}"));
  }

  @Provide
  Arbitrary<byte[]> rawRequests() {
    Arbitrary<String> methods = Arbitraries.of("GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "TRACE", "CONNECT",
        "PRI", "get", "G\u0000T", "", "POST POST");
    Arbitrary<String> targets = Arbitraries.of("/v1/info", "/v1/invoices", "/v1/events?after=0&wait_ms=0", "*", "",
        "http://127.0.0.1/v1/info", "/v1/../v1/info", "/%", "/v1/info#frag", "/" + "a".repeat(5000), "/v1/\u00e9",
        "/v1/channels/" + RecordingNode.CHANNEL_ID);
    Arbitrary<String> versions = Arbitraries.of("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "http/1.1", "HTTP/1.1 extra");
    Arbitrary<String> wellFormedish = Combinators.combine(methods, targets, versions, headerSets(), bodyMutations())
        .as((m, t, v, hs, body) -> {
          StringBuilder b = new StringBuilder(m).append(' ').append(t).append(' ').append(v).append("\r\n");
          b.append("Authorization: Bearer ").append(TOKEN).append("\r\nConnection: close\r\n");
          for (String h : hs) b.append(h).append("\r\n");
          return b.append("\r\n").append(body).toString();
        });
    Arbitrary<byte[]> asBytes = wellFormedish.map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> junk = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
    Arbitrary<byte[]> lineEndings = wellFormedish.map(s -> s.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> truncated = Combinators.combine(wellFormedish, Arbitraries.integers().between(0, 400))
        .as((s, n) -> {
          byte[] b = s.getBytes(StandardCharsets.UTF_8);
          return java.util.Arrays.copyOf(b, Math.min(n, b.length));
        });
    Arbitrary<byte[]> chunked = Arbitraries.of("0\r\n\r\n", "5\r\nabc\r\n0\r\n\r\n", "zz\r\n", "ffffffffffff\r\n",
        "3\r\n{}}\r\n0\r\n\r\n").map(c -> ("POST /v1/invoices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
            + "\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" + c)
            .getBytes(StandardCharsets.UTF_8));
    return Arbitraries.oneOf(asBytes, asBytes, junk, lineEndings, truncated, chunked);
  }
}
