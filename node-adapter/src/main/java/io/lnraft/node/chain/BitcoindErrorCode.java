package io.lnraft.node.chain;

/**
 * The JSON-RPC error codes bitcoind uses (src/rpc/protocol.h), so that callers and the simulator
 * speak the same numbers. Only the codes this project meets are listed.
 */
public final class BitcoindErrorCode {
  /** Generic application error, also bitcoind's code for wrong parameter counts. */
  public static final int MISC_ERROR = -1;
  /** A parameter has the wrong JSON type. */
  public static final int TYPE_ERROR = -3;
  /** Unknown wallet error. */
  public static final int WALLET_ERROR = -4;
  /** Invalid address, key, or unknown transaction or block. */
  public static final int INVALID_ADDRESS_OR_KEY = -5;
  /** Not enough funds in the wallet. */
  public static final int WALLET_INSUFFICIENT_FUNDS = -6;
  /** Invalid, missing or out-of-range parameter (e.g. block height out of range). */
  public static final int INVALID_PARAMETER = -8;
  /** A transaction or block could not be decoded. */
  public static final int DESERIALIZATION_ERROR = -22;
  /** sendrawtransaction: missing or spent inputs, fee above maxfeerate (RPC_TRANSACTION_ERROR). */
  public static final int VERIFY_ERROR = -25;
  /** sendrawtransaction: rejected by mempool policy or consensus rules (e.g. a double spend). */
  public static final int VERIFY_REJECTED = -26;
  /** sendrawtransaction: the transaction is already in the chain. */
  public static final int VERIFY_ALREADY_IN_CHAIN = -27;
  /** The request is not a valid JSON-RPC request. */
  public static final int INVALID_REQUEST = -32600;
  /** No such method. */
  public static final int METHOD_NOT_FOUND = -32601;
  /** Internal error of the server. */
  public static final int INTERNAL_ERROR = -32603;
  /** The request body is not JSON. */
  public static final int PARSE_ERROR = -32700;

  private BitcoindErrorCode() {}
}
