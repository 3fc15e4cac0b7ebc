package io.lnraft.node.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A thin client of the operator REST API (bearer token, JSON) over plain HTTP or HTTPS ({@link
 * ApiTransport}). Never logs the token. Failures are IOExceptions naming the address and, for TLS
 * or HTTP/HTTPS mismatches, what to change ({@link ApiTransport.ApiTlsException}).
 */
public final class ApiClient {
  public static final ObjectMapper JSON = new ObjectMapper();

  private final ApiTransport transport;
  private final String base;
  private final String token;

  /** A plain-HTTP client (an API without lnraft.api.tls, e.g. the demo's cluster). */
  public ApiClient(String hostPort, String token) {
    this(hostPort, token, ApiTransport.plain());
  }

  public ApiClient(String hostPort, String token, ApiTransport transport) {
    this.transport = transport;
    this.base = transport.base(hostPort);
    this.token = token;
  }

  /** An HTTP answer: status and parsed JSON body (an empty object for an empty body). */
  public record Reply(int status, JsonNode body) {
    public boolean ok() {
      return status / 100 == 2;
    }
  }

  public Reply call(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + token);
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    }
    HttpResponse<String> r;
    try {
      r = transport.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw transport.explain(base, e);
    }
    return new Reply(r.statusCode(), r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body()));
  }

  /** The JSON body of a 2xx answer; anything else is an exception naming the call and the error. */
  public JsonNode ok(String method, String path, Object body) throws Exception {
    Reply r = call(method, path, body);
    if (!r.ok()) throw new IllegalStateException(method + " " + path + " -> " + r.status() + " " + r.body());
    return r.body();
  }

  /** Whether {@code /ready} answers 200 (the ready leader). */
  public boolean ready() {
    try {
      HttpResponse<String> r = transport.http().send(HttpRequest.newBuilder(URI.create(base + "/ready")).timeout(Duration.ofSeconds(2))
          .build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }
}
