package io.lnraft.store;

import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.PaymentDirection;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Key encodings of every table. Big-endian numbers, so byte order is numeric order. */
public final class StoreKeys {
  private StoreKeys() {}

  public static final int CHANNEL_KEY_BYTES = 34;
  /** LDK's update id for every monitor update after a channel closed. */
  public static final long CLOSED_CHANNEL_UPDATE_ID = -1L; // 2^64-1 unsigned

  static final byte[] META_APPLIED = ascii("applied");
  static final byte[] META_IDENTITY = ascii("identity");
  static final byte[] META_LAST_EVENT_SEQ = ascii("last_event_seq");
  static final byte[] META_SCHEMA = ascii("schema");
  static final byte[] WRITER_EPOCH = ascii("epoch");
  static final byte[] MANAGER = ascii("manager");
  /** The chunk list of a manager written as chunks (ManagerManifest). */
  static final byte[] MANAGER_MANIFEST = ascii("manager-manifest");
  private static final byte[] CHUNK_PREFIX = ascii("chunk/");

  /** Key of one manager chunk (Table.MANAGER). */
  static byte[] managerChunk(com.google.protobuf.ByteString id) {
    byte[] k = java.util.Arrays.copyOf(CHUNK_PREFIX, CHUNK_PREFIX.length + id.size());
    id.copyTo(k, CHUNK_PREFIX.length);
    return k;
  }
  static final byte CHANNEL_RECORD_SUFFIX = 0x00;
  static final byte CHANNEL_BASE_SUFFIX = 0x01;

  /** txid(32) || output index(2, big-endian). */
  public static byte[] channel(ChannelKey key) {
    byte[] txid = key.getFundingTxid().toByteArray();
    ByteBuffer b = ByteBuffer.allocate(CHANNEL_KEY_BYTES);
    b.put(txid).putShort((short) key.getOutputIndex());
    return b.array();
  }

  public static ChannelKey channelFromKey(byte[] key) {
    return ChannelKey.newBuilder()
        .setFundingTxid(com.google.protobuf.ByteString.copyFrom(key, 0, 32))
        .setOutputIndex(((key[32] & 0xff) << 8) | (key[33] & 0xff))
        .build();
  }

  static byte[] channelRecord(byte[] channel) {
    return append(channel, CHANNEL_RECORD_SUFFIX);
  }

  static byte[] channelBase(byte[] channel) {
    return append(channel, CHANNEL_BASE_SUFFIX);
  }

  static byte[] update(byte[] channel, long updateId) {
    return ByteBuffer.allocate(CHANNEL_KEY_BYTES + 8).put(channel).putLong(updateId).array();
  }

  static byte[] closedUpdate(byte[] channel, int seq) {
    return ByteBuffer.allocate(CHANNEL_KEY_BYTES + 12).put(channel).putLong(CLOSED_CHANNEL_UPDATE_ID)
        .putInt(seq).array();
  }

  static long updateIdOf(byte[] updateKey) {
    return ByteBuffer.wrap(updateKey, CHANNEL_KEY_BYTES, 8).getLong();
  }

  static byte[] payment(PaymentDirection direction, byte[] hash) {
    return ByteBuffer.allocate(1 + hash.length).put((byte) direction.getNumber()).put(hash).array();
  }

  static byte[] event(long seq) {
    return ByteBuffer.allocate(8).putLong(seq).array();
  }

  static byte[] kv(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] u64(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static long u64(byte[] b) {
    return ByteBuffer.wrap(b).getLong();
  }

  /** The smallest key greater than every key starting with {@code prefix}, or null if none. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = Arrays.copyOf(prefix, prefix.length);
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }

  /** A key above every key of a channel in CHANNELS and MONITOR_UPDATES (those are at most 46 bytes). */
  static byte[] channelEnd(byte[] channel) {
    byte[] end = prefixEnd(channel);
    if (end != null) return end;
    byte[] r = Arrays.copyOf(channel, channel.length + 13);
    Arrays.fill(r, channel.length, r.length, (byte) 0xff);
    return r;
  }

  static byte[] append(byte[] a, byte b) {
    byte[] r = Arrays.copyOf(a, a.length + 1);
    r[a.length] = b;
    return r;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
