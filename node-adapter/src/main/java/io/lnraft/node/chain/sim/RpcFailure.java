package io.lnraft.node.chain.sim;

/**
 * A JSON-RPC error the simulator answers with: bitcoind's code and message, and for mempool
 * rejections the short {@code reject-reason} testmempoolaccept reports.
 */
final class RpcFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int code;
  final String rejectReason;

  RpcFailure(int code, String message) {
    this(code, message, message);
  }

  RpcFailure(int code, String message, String rejectReason) {
    super(message, null, false, false);
    this.code = code;
    this.rejectReason = rejectReason;
  }
}
