package io.lnraft.node.backup;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.lnraft.backup.proto.BackupHeader;
import io.lnraft.backup.proto.BackupPayload;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The static channel backup file, version 1: {@code "LNRAFTBK"}, a big-endian uint32 header
 * length, a cleartext {@link BackupHeader}, then the AES-256-GCM ciphertext (128-bit tag) of a
 * {@link BackupPayload}. The key is HKDF-SHA256 (Bouncy Castle) of the cluster's 64-byte BIP39
 * seed with a random 32-byte salt from the header and the info label {@value #KDF_INFO}; the
 * 12-byte nonce is random too (one key per file, so a nonce is never reused under a key).
 * Everything before the ciphertext is the associated data: a changed header byte fails
 * authentication like a changed ciphertext byte. AES-GCM is the JDK's.
 *
 * <p>Contract: {@link #open} returns a payload only if the whole file authenticates under the
 * given seed; every other case is a {@link BackupException} saying which (not a backup, unknown
 * version, truncated, made for another node id, or authentication failed). Neither method logs
 * or keeps key material; derived keys are zeroed after use.
 */
public final class BackupFormat {
  public static final int FORMAT_VERSION = 1;
  public static final String KDF_INFO = "lnraft/backup/v1";
  static final byte[] MAGIC = "LNRAFTBK".getBytes(StandardCharsets.US_ASCII);
  static final String CIPHER = "AES-256-GCM";
  static final String KDF = "HKDF-SHA256";
  private static final int SALT_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  /** A header is a few hundred bytes; a larger length field means a damaged or foreign file. */
  private static final int MAX_HEADER_BYTES = 64 << 10;
  private static final SecureRandom RANDOM = new SecureRandom();

  private BackupFormat() {}

  /** What {@link #open} returns: the authenticated header and payload. */
  public record Opened(BackupHeader header, BackupPayload payload) {}

  /**
   * Seals {@code payload} into the file bytes. {@code header} gives the descriptive fields
   * (cluster id, network, node id, creation time, applied index); format, cipher, KDF, salt and
   * nonce are filled in here.
   */
  public static byte[] seal(BackupHeader header, BackupPayload payload, byte[] bip39Seed) {
    byte[] salt = random(SALT_BYTES);
    byte[] nonce = random(NONCE_BYTES);
    BackupHeader h = header.toBuilder().setFormatVersion(FORMAT_VERSION).setCipher(CIPHER).setKdf(KDF)
        .setSalt(ByteString.copyFrom(salt)).setNonce(ByteString.copyFrom(nonce))
        .setChannelCount(payload.getChannelsCount()).build();
    byte[] headerBytes = h.toByteArray();
    byte[] aad = ByteBuffer.allocate(MAGIC.length + 4 + headerBytes.length).put(MAGIC).putInt(headerBytes.length)
        .put(headerBytes).array();
    byte[] key = deriveKey(bip39Seed, salt);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      byte[] sealed = c.doFinal(payload.toByteArray());
      return ByteBuffer.allocate(aad.length + sealed.length).put(aad).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is unavailable in this JVM: " + e.getMessage(), e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** The cleartext header, without authenticating anything (to name the file's cluster and node in errors). */
  public static BackupHeader peekHeader(byte[] file) throws BackupException {
    return split(file).header();
  }

  /**
   * Authenticates and decrypts {@code file} with the key derived from {@code bip39Seed}.
   *
   * @param expectedNodeId the node id of {@code bip39Seed} (33 bytes): a backup of another node
   *     is refused by name before decryption is tried
   */
  public static Opened open(byte[] file, byte[] bip39Seed, byte[] expectedNodeId) throws BackupException {
    Parts p = split(file);
    if (!Arrays.equals(p.header().getNodeId().toByteArray(), expectedNodeId)) {
      throw new BackupException("this backup belongs to node " + hex(p.header().getNodeId().toByteArray())
          + " (cluster '" + p.header().getClusterId() + "'), but the configured seed is node " + hex(expectedNodeId)
          + ": restore it with the seed of the node that made it");
    }
    byte[] key = deriveKey(bip39Seed, p.header().getSalt().toByteArray());
    byte[] clear;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, p.header().getNonce().toByteArray()));
      c.updateAAD(file, 0, p.aadLength());
      clear = c.doFinal(file, p.aadLength(), file.length - p.aadLength());
    } catch (AEADBadTagException e) {
      throw new BackupException("the backup does not authenticate under the configured seed (AES-256-GCM"
          + " authentication failure): it was made with another seed, or the file was altered, truncated or"
          + " damaged; nothing was restored — use an intact copy and the seed of the node that made it");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is unavailable in this JVM: " + e.getMessage(), e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    try {
      return new Opened(p.header(), BackupPayload.parseFrom(clear));
    } catch (InvalidProtocolBufferException e) {
      // Authenticated but not a payload: written by a buggy exporter, not damaged in transit.
      throw new BackupException("the backup authenticates but its content cannot be decoded (" + e.getMessage()
          + "); it was written by an incompatible lnraft", e);
    } finally {
      Arrays.fill(clear, (byte) 0);
    }
  }

  private record Parts(BackupHeader header, int aadLength) {}

  private static Parts split(byte[] file) throws BackupException {
    if (file.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(file, MAGIC.length), MAGIC)) {
      throw new BackupException("not an lnraft channel backup (the file does not start with LNRAFTBK)");
    }
    if (file.length < MAGIC.length + 4) throw truncated();
    int headerLength = ByteBuffer.wrap(file, MAGIC.length, 4).getInt();
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new BackupException("the backup header length (" + headerLength + ") is implausible: the file is damaged");
    }
    int aad = MAGIC.length + 4 + headerLength;
    if (file.length < aad + TAG_BITS / 8) throw truncated();
    BackupHeader h;
    try {
      h = BackupHeader.parseFrom(ByteBuffer.wrap(file, MAGIC.length + 4, headerLength));
    } catch (InvalidProtocolBufferException e) {
      throw new BackupException("the backup header cannot be decoded: the file is damaged", e);
    }
    if (h.getFormatVersion() != FORMAT_VERSION) {
      throw new BackupException("backup format version " + h.getFormatVersion() + " is not known to this lnraft"
          + " (it reads version " + FORMAT_VERSION + "): restore it with the lnraft release that wrote it or a later one");
    }
    if (!h.getCipher().equals(CIPHER) || !h.getKdf().equals(KDF) || h.getSalt().size() != SALT_BYTES
        || h.getNonce().size() != NONCE_BYTES || h.getNodeId().size() != 33) {
      throw new BackupException("the backup header names an unknown cipher/KDF or has malformed parameters: the"
          + " file is damaged or not from lnraft");
    }
    return new Parts(h, aad);
  }

  private static BackupException truncated() {
    return new BackupException("the backup file is truncated (shorter than its header says): use an intact copy");
  }

  /** HKDF-SHA256(ikm = BIP39 seed, salt, info = {@value #KDF_INFO}) -> 32 bytes. */
  static byte[] deriveKey(byte[] bip39Seed, byte[] salt) {
    if (bip39Seed.length != 64) throw new IllegalArgumentException("a BIP39 seed is 64 bytes, got " + bip39Seed.length);
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(bip39Seed, salt, KDF_INFO.getBytes(StandardCharsets.US_ASCII)));
    byte[] key = new byte[32];
    hkdf.generateBytes(key, 0, key.length);
    return key;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
