package io.lnraft.node.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bitcoinj.core.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The client against a stub that misbehaves: every failure is a clear, bounded exception. */
@Timeout(20)
class ClientAgainstFaultyServerTest {
  private static final String PASSWORD = "do-not-log-me";

  private interface Responder {
    void respond(HttpExchange exchange, int requestNumber) throws IOException;
  }

  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> authHeaders = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  private URI serve(Responder responder) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext("/", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        authHeaders.add(exchange.getRequestHeaders().getFirst("Authorization"));
        responder.respond(exchange, requests.incrementAndGet());
      }
    });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  @AfterEach
  void stop() {
    release.countDown();
    if (server != null) {
      server.stop(0);
    }
  }

  private static void json(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static BitcoindRpcClient client(URI uri, int attempts, Duration requestTimeout) {
    return new BitcoindRpcClient(BitcoindRpcConfig.of(uri, RpcAuth.userPassword("lnraft", PASSWORD))
        .withTimeouts(Duration.ofSeconds(2), requestTimeout)
        .withRetries(attempts, Duration.ofMillis(10)));
  }

  @Test
  void rpcErrorCarriesBitcoindCodeAndMessage() throws Exception {
    URI uri = serve((ex, n) -> json(ex, 500,
        "{\"result\":null,\"error\":{\"code\":-26,\"message\":\"txn-mempool-conflict\"},\"id\":1}"));
    assertThatThrownBy(() -> client(uri, 3, Duration.ofSeconds(2)).sendRawTransaction(new Transaction()))
        .isInstanceOfSatisfying(BitcoindRpcException.RpcError.class, e -> {
          assertThat(e.code()).isEqualTo(-26);
          assertThat(e.rpcMessage()).isEqualTo("txn-mempool-conflict");
          assertThat(e.method()).isEqualTo("sendrawtransaction");
        });
    assertThat(requests).as("RPC errors are not retried").hasValue(1);
    String expected = "Basic " + Base64.getEncoder().encodeToString(("lnraft:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    assertThat(authHeaders).containsExactly(expected);
  }

  @Test
  void malformedJsonAndForeignAnswersAreBadResponses() throws Exception {
    URI uri = serve((ex, n) -> {
      if (n == 1) {
        json(ex, 200, "{\"result\": 12, ");
      } else if (n == 2) {
        json(ex, 502, "<html>Bad Gateway</html>");
      } else {
        json(ex, 200, "{\"result\":5,\"error\":null,\"id\":999}");
      }
    });
    BitcoindRpcClient rpc = client(uri, 3, Duration.ofSeconds(2));
    assertThatThrownBy(rpc::getBlockCount).isInstanceOf(BitcoindRpcException.BadResponse.class).hasMessageContaining("malformed JSON");
    assertThatThrownBy(rpc::getBlockCount)
        .isInstanceOfSatisfying(BitcoindRpcException.BadResponse.class, e -> assertThat(e.httpStatus()).isEqualTo(502));
    assertThatThrownBy(rpc::getBlockCount).isInstanceOf(BitcoindRpcException.BadResponse.class).hasMessageContaining("id");
  }

  @Test
  void unauthorizedIsItsOwnError() throws Exception {
    URI uri = serve((ex, n) -> ex.sendResponseHeaders(401, -1));
    assertThatThrownBy(client(uri, 3, Duration.ofSeconds(2))::getBlockCount)
        .isInstanceOf(BitcoindRpcException.Unauthorized.class)
        .hasMessageNotContaining(PASSWORD);
    assertThat(requests).hasValue(1);
  }

  @Test
  void aServerThatNeverAnswersTimesOutWithinTheBound() throws Exception {
    URI uri = serve((ex, n) -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    long start = System.nanoTime();
    assertThatThrownBy(client(uri, 2, Duration.ofMillis(300))::getBlockCount)
        .isInstanceOfSatisfying(BitcoindRpcException.TransportFailure.class, e -> assertThat(e.timedOut()).isTrue());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(requests).as("a read-only call is retried").hasValue(2);

    requests.set(0);
    assertThatThrownBy(() -> client(uri, 2, Duration.ofMillis(300)).getNewAddress())
        .isInstanceOf(BitcoindRpcException.TransportFailure.class);
    assertThat(requests).as("a call that changes state is not re-sent").hasValue(1);
  }

  @Test
  void aDroppedConnectionIsRetriedAndNothingSecretIsLogged() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(BitcoindRpcClient.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      URI uri = serve((ex, n) -> {
        if (n == 1) {
          return; // close without answering
        }
        json(ex, 200, "{\"result\":321,\"error\":null,\"id\":1}");
      });
      assertThat(client(uri, 3, Duration.ofSeconds(2)).getBlockCount()).isEqualTo(321);
      assertThat(requests).hasValue(2);
      assertThat(logs.list).isNotEmpty();
      List<String> lines = new ArrayList<>();
      logs.list.forEach(e -> lines.add(e.getFormattedMessage()));
      assertThat(lines).noneMatch(l -> l.contains(PASSWORD) || l.contains("Basic "));
    } finally {
      logger.detachAppender(logs);
    }
  }

  @Test
  void aClosedPortFailsAfterTheConfiguredAttempts() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    long start = System.nanoTime();
    assertThatThrownBy(client(URI.create("http://127.0.0.1:" + port + "/"), 3, Duration.ofSeconds(1))::getNewAddress)
        .isInstanceOfSatisfying(BitcoindRpcException.TransportFailure.class, e -> {
          assertThat(e.timedOut()).isFalse();
          assertThat(e.getMessage()).contains("3 attempt(s)");
        });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void theCookieIsReadOnEveryCall(@TempDir Path dir) throws Exception {
    Path cookie = dir.resolve(".cookie");
    Files.writeString(cookie, "__cookie__:aaaa\n");
    URI uri = serve((ex, n) -> json(ex, 200, "{\"result\":1,\"error\":null,\"id\":" + n + "}"));
    BitcoindRpcClient rpc = new BitcoindRpcClient(BitcoindRpcConfig.of(uri, RpcAuth.cookieFile(cookie)));
    rpc.getBlockCount();
    Files.writeString(cookie, "__cookie__:bbbb");
    rpc.getBlockCount();
    assertThat(authHeaders).containsExactly(
        "Basic " + Base64.getEncoder().encodeToString("__cookie__:aaaa".getBytes(StandardCharsets.UTF_8)),
        "Basic " + Base64.getEncoder().encodeToString("__cookie__:bbbb".getBytes(StandardCharsets.UTF_8)));
  }
}
