package io.lnraft.node.chain;

import java.net.URI;
import java.time.Duration;

/**
 * Where and how to reach bitcoind's JSON-RPC: the endpoint (e.g. {@code http://127.0.0.1:18443/};
 * never with credentials in it), the auth, the connect and per-request timeouts, how many attempts
 * a call makes on connection errors, and the first backoff (doubled after each failed attempt).
 */
public record BitcoindRpcConfig(
    URI endpoint,
    RpcAuth auth,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxAttempts,
    Duration initialBackoff) {

  public BitcoindRpcConfig {
    if (endpoint.getUserInfo() != null) {
      throw new IllegalArgumentException("put credentials in RpcAuth, not in the endpoint URI");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1");
    }
    if (connectTimeout.isNegative() || connectTimeout.isZero()
        || requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
  }

  /** Defaults: connect 5 s, request 30 s, 4 attempts, backoff from 200 ms. */
  public static BitcoindRpcConfig of(URI endpoint, RpcAuth auth) {
    return new BitcoindRpcConfig(
        endpoint, auth, Duration.ofSeconds(5), Duration.ofSeconds(30), 4, Duration.ofMillis(200));
  }

  public BitcoindRpcConfig withTimeouts(Duration connect, Duration request) {
    return new BitcoindRpcConfig(endpoint, auth, connect, request, maxAttempts, initialBackoff);
  }

  public BitcoindRpcConfig withRetries(int attempts, Duration firstBackoff) {
    return new BitcoindRpcConfig(
        endpoint, auth, connectTimeout, requestTimeout, attempts, firstBackoff);
  }
}
