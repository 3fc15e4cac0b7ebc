package io.lnraft.node.gate;

/**
 * Checks a node id before it reaches LDK. The 0.0.106 binding unwraps public keys inside Rust:
 * a 33-byte value that is not a point on secp256k1 panics and aborts the whole JVM (found by the
 * end-to-end bad-input test). Every node id that comes from outside (API, config, kv) must pass here.
 */
public final class NodeIds {
  private static final org.bouncycastle.asn1.x9.X9ECParameters SECP256K1 =
      org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256k1");

  private NodeIds() {}

  /** Whether {@code id} is a compressed secp256k1 public key. */
  public static boolean isValid(byte[] id) {
    if (id == null || id.length != 33 || (id[0] != 0x02 && id[0] != 0x03)) return false;
    try {
      // decodePoint recovers y from x and throws when x has no point on the curve.
      return SECP256K1.getCurve().decodePoint(id).isValid();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Throws IllegalArgumentException naming the problem unless {@code id} is a valid node id. */
  public static byte[] requireValid(byte[] id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException("not a node id: expected a compressed secp256k1 public key"
          + " (33 bytes starting with 02 or 03, a point on the curve)");
    }
    return id;
  }
}
