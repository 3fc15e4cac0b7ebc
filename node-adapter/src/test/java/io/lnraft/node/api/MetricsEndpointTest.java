package io.lnraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GET /metrics over real HTTP: Prometheus text, no token needed, never reaches the node. */
@Timeout(20)
class MetricsEndpointTest {
  private final RecordingNode node = new RecordingNode();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private ApiServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    registry.close();
  }

  private URI start(Optional<java.util.function.Supplier<String>> metrics) throws Exception {
    server = new ApiServer(node, ApiServerTest.TOKEN, () -> false, ApiServerConfig.defaults("127.0.0.1", 0), metrics);
    return URI.create("http://127.0.0.1:" + server.start().getPort());
  }

  private HttpResponse<String> send(URI base, String method, Optional<String> auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/metrics")).timeout(Duration.ofSeconds(10))
        .method(method, BodyPublishers.noBody());
    auth.ifPresent(a -> b.header("Authorization", a));
    return http.send(b.build(), BodyHandlers.ofString());
  }

  @Test
  void answersPrometheusTextWithoutATokenEvenOnAFollower() throws Exception {
    Counter.builder("lnraft.test.things").register(registry).increment(3);
    URI base = start(Optional.of(registry::scrape));
    for (Optional<String> auth : java.util.List.of(Optional.<String>empty(), Optional.of("Bearer wrong-token-0123456789abcdef"))) {
      HttpResponse<String> r = send(base, "GET", auth);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
      assertThat(r.body()).contains("# TYPE lnraft_test_things_total counter", "lnraft_test_things_total 3.0");
      assertThat(r.body()).doesNotContain(ApiServerTest.TOKEN);
    }
    assertThat(node.operations()).isEmpty();
  }

  @Test
  void onlyGet() throws Exception {
    URI base = start(Optional.of(registry::scrape));
    HttpResponse<String> r = send(base, "POST", Optional.empty());
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
  }

  @Test
  void notFoundWhenTheServerHasNoMetrics() throws Exception {
    URI base = start(Optional.empty());
    HttpResponse<String> r = send(base, "GET", Optional.empty());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
  }
}
