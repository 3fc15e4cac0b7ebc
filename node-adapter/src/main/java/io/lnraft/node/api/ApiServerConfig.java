package io.lnraft.node.api;

import io.lnraft.config.ApiTlsSettings;
import java.time.Duration;
import java.util.Optional;
import java.util.Objects;

/**
 * Settings of the {@link ApiServer}.
 *
 * @param host address to bind (e.g. {@code 127.0.0.1}, {@code 0.0.0.0})
 * @param port TCP port; 0 picks a free one ({@link ApiServer#address()} tells which)
 * @param maxBodyBytes larger request bodies get 413
 * @param operationTimeout how long one node call may take before the caller gets 503
 * @param maxEventWait cap on {@code wait_ms} of {@code GET /v1/events}
 * @param operationThreads threads that run node calls (off the network threads)
 * @param operationQueue node calls that may wait for a thread; beyond that, 503
 * @param tls HTTPS with this certificate and key; empty: plain HTTP
 */
public record ApiServerConfig(
    String host,
    int port,
    int maxBodyBytes,
    Duration operationTimeout,
    Duration maxEventWait,
    int operationThreads,
    int operationQueue,
    Optional<ApiTlsSettings> tls) {

  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;

  public ApiServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(operationTimeout, "operationTimeout");
    Objects.requireNonNull(maxEventWait, "maxEventWait");
    Objects.requireNonNull(tls, "tls");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535");
    }
    if (maxBodyBytes < 1 || operationThreads < 1 || operationQueue < 1) {
      throw new IllegalArgumentException("maxBodyBytes, operationThreads, operationQueue must be positive");
    }
    if (operationTimeout.isNegative() || operationTimeout.isZero() || maxEventWait.isNegative()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
  }

  /** 64 KiB bodies, 10 s per node call, long polls up to 30 s, 4 threads, 64 queued calls. */
  public static ApiServerConfig defaults(String host, int port) {
    return new ApiServerConfig(
        host, port, DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(10), Duration.ofSeconds(30), 4, 64, Optional.empty());
  }

  public ApiServerConfig withOperationTimeout(Duration timeout) {
    return new ApiServerConfig(host, port, maxBodyBytes, timeout, maxEventWait, operationThreads, operationQueue, tls);
  }

  public ApiServerConfig withMaxBodyBytes(int bytes) {
    return new ApiServerConfig(host, port, bytes, operationTimeout, maxEventWait, operationThreads, operationQueue, tls);
  }

  /** Serve HTTPS only, with this certificate and key (PEM, PKCS#8). */
  public ApiServerConfig withTls(ApiTlsSettings settings) {
    return new ApiServerConfig(host, port, maxBodyBytes, operationTimeout, maxEventWait, operationThreads,
        operationQueue, Optional.of(settings));
  }
}
