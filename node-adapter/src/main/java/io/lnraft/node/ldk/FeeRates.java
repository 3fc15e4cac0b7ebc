package io.lnraft.node.ldk;

/**
 * Where the node gets on-chain fee rates. Contract: {@link #satPerKw} answers at once from a cached
 * value (it is called inside LDK calls, under the gate's read side: never do I/O here), in
 * satoshis per 1000 weight units; the node raises any answer below 253 (LDK's floor) to 253.
 */
@FunctionalInterface
public interface FeeRates {
  /** How soon a transaction must confirm (LDK's ConfirmationTarget). */
  enum Target { BACKGROUND, NORMAL, HIGH_PRIORITY }

  long satPerKw(Target target);

  /** The same rate for every target (tests, regtest). */
  static FeeRates constant(long satPerKw) {
    return target -> satPerKw;
  }
}
