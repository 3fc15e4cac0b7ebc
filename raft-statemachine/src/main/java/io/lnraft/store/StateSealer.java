package io.lnraft.store;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.PaymentDirection;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Seals channel state at rest: AES-256-GCM under a key derived from the node seed (HKDF-SHA256,
 * BouncyCastle), so the Raft log, the RocksDB files and snapshots on every replica hold only
 * ciphertext of ChannelMonitors, monitor updates, the ChannelManager, the payment ledger's
 * preimages and descriptions, and the values of the replicated kv space (peer addresses). The
 * associated data names what a blob is (kind, channel and update id, direction and payment hash,
 * or kv key): a blob moved to another record fails to open. Kv keys themselves stay plaintext:
 * the state machine looks records up by key and CommandValidator checks them.
 *
 * <p>Format: {@code 0x01 || nonce (12 bytes, random) || ciphertext || tag (16 bytes)}. The key
 * depends on the seed only (not on the cluster id), so a backup restored into a new cluster with
 * the same seed opens.
 */
public final class StateSealer {
  static final byte VERSION = 1;
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] SALT = "lnraft-state-seal".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INFO = "lnraft/state/aes-256-gcm/v1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKey key;

  private static final byte[] CHUNK_ID_INFO = "lnraft/state/manager-chunk-id/hmac-sha256/v1".getBytes(StandardCharsets.US_ASCII);
  /** Names manager chunks (ManagerChunker) without revealing a hash of their plaintext. */
  private final SecretKey chunkIdKey;

  private StateSealer(byte[] key, byte[] chunkIdKey) {
    this.key = new SecretKeySpec(key, "AES");
    this.chunkIdKey = new SecretKeySpec(chunkIdKey, "HmacSHA256");
    Arrays.fill(key, (byte) 0);
    Arrays.fill(chunkIdKey, (byte) 0);
  }

  /** The sealer of the node with this seed (the 64-byte BIP39 seed every replica shares). */
  public static StateSealer fromSeed(byte[] seed) {
    if (seed == null || seed.length < 32) throw new IllegalArgumentException("a seed of at least 32 bytes is needed");
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(seed, SALT, INFO));
    byte[] k = new byte[32];
    hkdf.generateBytes(k, 0, k.length);
    HKDFBytesGenerator ids = new HKDFBytesGenerator(new SHA256Digest());
    ids.init(new HKDFParameters(seed, SALT, CHUNK_ID_INFO));
    byte[] idKey = new byte[32];
    ids.generateBytes(idKey, 0, idKey.length);
    return new StateSealer(k, idKey);
  }

  /**
   * The id of a manager chunk: HMAC-SHA256 under a seed-derived key, truncated to 16 bytes. Equal
   * chunks get equal ids (so unchanged chunks are not sent again); unlike a plain hash, the id in
   * the Raft log and RocksDB does not let anyone confirm a guess of the chunk's content.
   */
  public byte[] chunkId(byte[] chunk) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(chunkIdKey);
      return Arrays.copyOf(mac.doFinal(chunk), ManagerChunker.ID_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  /** A sealed blob cannot be opened: another seed sealed it, or it was altered or moved. */
  public static final class SealedDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SealedDataException(String message) {
      super(message);
    }
  }

  public byte[] seal(byte[] plain, byte[] aad) {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      byte[] out = new byte[1 + NONCE + c.getOutputSize(plain.length)];
      out[0] = VERSION;
      System.arraycopy(nonce, 0, out, 1, NONCE);
      c.doFinal(plain, 0, plain.length, out, 1 + NONCE);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM", e);
    }
  }

  public byte[] open(byte[] sealed, byte[] aad, String what) {
    if (sealed.length < 1 + NONCE + TAG_BITS / 8 || sealed[0] != VERSION) {
      throw new SealedDataException(what + " is not sealed channel state of a known format (version byte "
          + (sealed.length == 0 ? "missing" : Byte.toUnsignedInt(sealed[0])) + "): was it written by a node without"
          + " state sealing, or damaged?");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 1, NONCE));
      c.updateAAD(aad);
      return c.doFinal(sealed, 1 + NONCE, sealed.length - 1 - NONCE);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new SealedDataException(what + " does not open with this node's key: it was sealed under another seed,"
          + " or altered, or belongs to another record — check that every replica uses the same seed file");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM", e);
    }
  }

  // ---- associated data: what a blob is ---------------------------------------------------------

  static byte[] monitorAad(ChannelKey ch, long updateId) {
    return aad((byte) 'M', ch, updateId);
  }

  static byte[] updateAad(ChannelKey ch, long updateId) {
    return aad((byte) 'U', ch, updateId);
  }

  static byte[] managerAad() {
    return new byte[] {'N', VERSION};
  }

  static byte[] managerChunkAad(com.google.protobuf.ByteString id) {
    byte[] a = new byte[2 + id.size()];
    a[0] = 'C';
    a[1] = VERSION;
    id.copyTo(a, 2);
    return a;
  }

  /** A payment's preimage: bound to its direction and hash, so it opens for that payment only. */
  static byte[] preimageAad(PaymentDirection direction, ByteString paymentHash) {
    return paymentAad((byte) 'P', direction, paymentHash);
  }

  /** A payment's (invoice) description, bound like the preimage. */
  static byte[] descriptionAad(PaymentDirection direction, ByteString paymentHash) {
    return paymentAad((byte) 'D', direction, paymentHash);
  }

  private static byte[] paymentAad(byte kind, PaymentDirection direction, ByteString paymentHash) {
    byte[] hash = paymentHash.toByteArray();
    return ByteBuffer.allocate(2 + 4 + hash.length).put(kind).put(VERSION).putInt(direction.getNumber()).put(hash).array();
  }

  /**
   * A value of the replicated kv space, bound to its key: a sealed value copied under another key
   * does not open. Not bound to the version: the version is assigned by the state machine when the
   * put is applied, after the value was sealed.
   */
  static byte[] kvAad(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + k.length).put((byte) 'K').put(VERSION).put(k).array();
  }

  /** Whether {@code stored} starts like a sealed blob (the format's version byte); see Sealing#openKv. */
  static boolean startsSealed(com.google.protobuf.ByteString stored) {
    return !stored.isEmpty() && stored.byteAt(0) == VERSION;
  }

  /** Length of the sealed form of {@code plainBytes} bytes. */
  static int sealedSize(int plainBytes) {
    return 1 + NONCE + plainBytes + TAG_BITS / 8;
  }

  private static byte[] aad(byte kind, ChannelKey ch, long updateId) {
    byte[] txid = ch.getFundingTxid().toByteArray();
    return ByteBuffer.allocate(2 + txid.length + 4 + 8).put(kind).put(VERSION).put(txid).putInt(ch.getOutputIndex())
        .putLong(updateId).array();
  }
}
