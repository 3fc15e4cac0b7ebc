package io.lnraft.node.ldk;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 32-byte seed of LDK's KeysManager, derived from the cluster's 64-byte BIP39 seed as
 * {@code SHA-256("lnraft/ldk-keys-manager-seed/v1" || bip39Seed)}. The domain tag keeps this key
 * material apart from anything else derived from the same seed (an on-chain wallet, another
 * protocol). Changing the tag or the formula changes the node id and every channel key: it is
 * part of the on-disk format, never edit it.
 */
public final class LdkSeed {
  static final byte[] DOMAIN_TAG = "lnraft/ldk-keys-manager-seed/v1".getBytes(StandardCharsets.US_ASCII);

  private LdkSeed() {}

  public static byte[] fromBip39Seed(byte[] bip39Seed) {
    if (bip39Seed.length != 64) {
      throw new IllegalArgumentException("a BIP39 seed is 64 bytes, got " + bip39Seed.length);
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(DOMAIN_TAG);
      sha.update(bip39Seed);
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
