package io.lnraft.node.chain;

/**
 * Why a bitcoind JSON-RPC call failed. Four cases, each its own subclass, so that a caller can
 * tell "bitcoind said no" ({@link RpcError}, with bitcoind's code and message) from "bitcoind
 * could not be reached in time" ({@link TransportFailure}), "bitcoind refused our credentials"
 * ({@link Unauthorized}) and "the answer was not bitcoind JSON-RPC" ({@link BadResponse}).
 * Messages name the method and the endpoint, never the credentials.
 */
public abstract sealed class BitcoindRpcException extends RuntimeException
    permits BitcoindRpcException.RpcError,
        BitcoindRpcException.TransportFailure,
        BitcoindRpcException.Unauthorized,
        BitcoindRpcException.BadResponse {

  private final String method;

  BitcoindRpcException(String method, String message, Throwable cause) {
    super(method + ": " + message, cause);
    this.method = method;
  }

  /** The JSON-RPC method that failed. */
  public String method() {
    return method;
  }

  /** bitcoind answered with a JSON-RPC error object; see {@link BitcoindErrorCode}. */
  public static final class RpcError extends BitcoindRpcException {
    private final int code;
    private final String rpcMessage;

    public RpcError(String method, int code, String rpcMessage) {
      super(method, "RPC error " + code + ": " + rpcMessage, null);
      this.code = code;
      this.rpcMessage = rpcMessage;
    }

    public int code() {
      return code;
    }

    /** bitcoind's message, e.g. {@code txn-mempool-conflict}. */
    public String rpcMessage() {
      return rpcMessage;
    }
  }

  /** No answer: connection refused or reset, or no response within the timeout, after retries. */
  public static final class TransportFailure extends BitcoindRpcException {
    private final boolean timedOut;

    public TransportFailure(String method, String message, boolean timedOut, Throwable cause) {
      super(method, message, cause);
      this.timedOut = timedOut;
    }

    /** Whether the last attempt ended because the request timeout elapsed. */
    public boolean timedOut() {
      return timedOut;
    }
  }

  /** HTTP 401: wrong user/password, or a stale cookie. */
  public static final class Unauthorized extends BitcoindRpcException {
    public Unauthorized(String method, String message) {
      super(method, message, null);
    }
  }

  /** An answer that is not a bitcoind JSON-RPC response (malformed JSON, unexpected status). */
  public static final class BadResponse extends BitcoindRpcException {
    private final int httpStatus;

    public BadResponse(String method, int httpStatus, String message, Throwable cause) {
      super(method, message + " (HTTP " + httpStatus + ")", cause);
      this.httpStatus = httpStatus;
    }

    public int httpStatus() {
      return httpStatus;
    }
  }
}
