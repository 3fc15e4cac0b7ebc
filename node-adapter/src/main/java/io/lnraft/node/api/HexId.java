package io.lnraft.node.api;

import java.util.Objects;

/**
 * Checks for the identifiers that cross the API: node ids (33-byte compressed public keys),
 * payment hashes and channel ids (32 bytes), all as lowercase hex.
 */
public final class HexId {
  /** A compressed secp256k1 public key. */
  public static final int NODE_ID_BYTES = 33;
  /** A SHA-256 payment hash. */
  public static final int PAYMENT_HASH_BYTES = 32;
  /** An LDK channel id. */
  public static final int CHANNEL_ID_BYTES = 32;

  private HexId() {}

  /** Whether {@code s} is exactly {@code bytes} bytes of lowercase hex. */
  public static boolean isLowerHex(String s, int bytes) {
    if (s == null || s.length() != bytes * 2) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code s} is a node id: 33 bytes of lowercase hex starting 02 or 03. */
  public static boolean isNodeId(String s) {
    return isLowerHex(s, NODE_ID_BYTES) && (s.startsWith("02") || s.startsWith("03"));
  }

  /** Returns {@code s} if it is {@code bytes} bytes of lowercase hex, else throws. */
  static String require(String what, String s, int bytes) {
    Objects.requireNonNull(s, what);
    if (!isLowerHex(s, bytes)) {
      throw new IllegalArgumentException(what + " must be " + bytes + " bytes of lowercase hex");
    }
    return s;
  }

  static String requireNodeId(String what, String s) {
    Objects.requireNonNull(s, what);
    if (!isNodeId(s)) {
      throw new IllegalArgumentException(what + " must be a 33-byte compressed public key in lowercase hex");
    }
    return s;
  }
}
