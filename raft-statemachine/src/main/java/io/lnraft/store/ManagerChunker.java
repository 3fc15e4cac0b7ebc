package io.lnraft.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.lnraft.store.proto.ChunkRun;
import io.lnraft.store.proto.ManagerChunk;
import io.lnraft.store.proto.ManifestPiece;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PutManagerChunks;
import io.lnraft.store.proto.StartupState;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Writes the ChannelManager as content-defined chunks ({@link PutManagerChunks}) so that a commit
 * replicates only what changed. LDK serializes the whole ChannelManager (~3.8 KB per channel with
 * 0.0.106) after every change; sent whole, the bytes committed per payment grew linearly with the
 * channel count (2 MB per payment at 100 channels, bench/RESULTS.md). Content-defined boundaries
 * (a gear rolling hash, as in FastCDC: Xia et al., USENIX ATC 2016) stay put when bytes are
 * inserted or removed elsewhere, so a change to one channel touches one or two chunks, and the
 * chunk list itself is sent as runs of the previous list plus the new ids.
 *
 * <p>One instance per writer, used by one thread (the gated committer): {@link #op} describes the
 * next manager against the last one this writer committed; {@link #committed} or {@link #reset}
 * must follow each op. After a reset (a failed or unknown commit, a new writer) the next op sends
 * every chunk, which the store accepts whatever it holds.
 */
public final class ManagerChunker {
  /** Chunk sizes: no boundary before MIN bytes, one forced at MAX; average about MIN + 2^BITS. */
  static final int MIN = 128;
  static final int MAX = 2048;
  static final int BITS = 9;
  private static final long MASK = (1L << BITS) - 1;
  /** Gear table: fixed forever (a change only costs one full resend, never correctness). */
  private static final long[] GEAR = new long[256];

  static {
    SplittableRandom r = new SplittableRandom(0x6c6e72616674L); // "lnraft"
    for (int i = 0; i < GEAR.length; i++) GEAR[i] = r.nextLong();
  }

  static final int ID_BYTES = 16;

  private final UnaryOperator<byte[]> chunkId;
  private List<ByteString> current = List.of();
  private List<ByteString> pending;
  /**
   * Ids of the last op's chunks by content. Ids are a pure function of the content, so a chunk
   * whose bytes did not change since the last op is not hashed again: with a sealed store the id
   * is an HMAC, and a payment changes one or two chunks of hundreds at 100 channels.
   */
  private Map<ByteString, ByteString> lastIds = Map.of();

  /** @param chunkId names a chunk from its content: 16 bytes, equal for equal content */
  public ManagerChunker(UnaryOperator<byte[]> chunkId) {
    this.chunkId = chunkId;
  }

  /** Chunk ids from SHA-256 of the content (for stores that do not seal; see {@link StateSealer#chunkId}). */
  public static byte[] plainChunkId(byte[] chunk) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update("lnraft/manager-chunk/v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return Arrays.copyOf(md.digest(chunk), ID_BYTES);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The op that makes {@code manager} the stored manager, given what this writer last committed. */
  public Op op(byte[] manager) {
    if (manager.length == 0) throw new IllegalArgumentException("an empty manager");
    List<int[]> bounds = boundaries(manager);
    List<ByteString> ids = new ArrayList<>(bounds.size());
    Map<ByteString, byte[]> fresh = new LinkedHashMap<>();
    Map<ByteString, Integer> known = new HashMap<>();
    for (int i = 0; i < current.size(); i++) known.putIfAbsent(current.get(i), i);
    Map<ByteString, ByteString> idsNow = new HashMap<>(bounds.size() * 2);
    for (int[] b : bounds) {
      byte[] chunk = Arrays.copyOfRange(manager, b[0], b[1]);
      ByteString content = UnsafeByteOperations.unsafeWrap(chunk); // chunk is never written again
      ByteString id = lastIds.get(content);
      if (id == null) {
        byte[] idBytes = chunkId.apply(chunk);
        if (idBytes.length != ID_BYTES) throw new IllegalStateException("chunk ids must be " + ID_BYTES + " bytes");
        id = ByteString.copyFrom(idBytes);
      }
      idsNow.put(content, id);
      ids.add(id);
      if (!known.containsKey(id)) fresh.putIfAbsent(id, chunk);
    }
    lastIds = idsNow;
    PutManagerChunks.Builder p = PutManagerChunks.newBuilder();
    int i = 0;
    while (i < ids.size()) {
      Integer at = known.get(ids.get(i));
      if (at == null) {
        p.addPieces(ManifestPiece.newBuilder().setChunkId(ids.get(i)));
        i++;
        continue;
      }
      int n = 1;
      while (i + n < ids.size() && at + n < current.size() && current.get(at + n).equals(ids.get(i + n))) n++;
      p.addPieces(ManifestPiece.newBuilder().setReuse(ChunkRun.newBuilder().setStart(at).setCount(n)));
      i += n;
    }
    fresh.forEach((id, data) -> p.addNewChunks(ManagerChunk.newBuilder().setId(id).setData(ByteString.copyFrom(data))));
    pending = ids;
    return Op.newBuilder().setPutManagerChunks(p).build();
  }

  /** The last op's manager is now the stored one. */
  public void committed() {
    if (pending != null) current = pending;
    pending = null;
  }

  /** The store's manager is unknown (a commit failed or its outcome is unknown): resend everything next. */
  public void reset() {
    current = List.of();
    pending = null;
  }

  /** Chunk boundaries [from, to) of {@code data}: a gear hash over the bytes, cut where its low bits are 0. */
  static List<int[]> boundaries(byte[] data) {
    List<int[]> out = new ArrayList<>();
    int start = 0;
    while (start < data.length) {
      int end = Math.min(data.length, start + MAX);
      int cut = end;
      long h = 0;
      for (int i = start + MIN; i < end; i++) {
        h = (h << 1) + GEAR[data[i] & 0xff];
        if ((h & MASK) == 0) {
          cut = i + 1;
          break;
        }
      }
      out.add(new int[] {start, cut});
      start = cut;
    }
    return out;
  }

  /**
   * The state with its manager whole: joins {@code manager_chunks} (opened already if sealed) into
   * {@code manager}. Every reader of a startup state goes through this.
   */
  public static StartupState assemble(StartupState s) {
    if (s.getManagerChunksCount() == 0) return s;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ManagerChunk c : s.getManagerChunksList()) out.writeBytes(c.getData().toByteArray());
    return s.toBuilder().clearManagerChunks().setManager(ByteString.copyFrom(out.toByteArray())).build();
  }
}
