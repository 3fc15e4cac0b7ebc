package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.store.proto.ManagerChunk;
import io.lnraft.store.proto.ManifestPiece;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PutManagerChunks;
import io.lnraft.store.proto.StartupState;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The manager written as content-defined chunks: only changed chunks travel, the store rebuilds
 * exactly the manager written, keeps only the current manager's chunks, and refuses a writer
 * whose view of the stored manager is stale without changing anything.
 */
class ManagerChunkerTest {
  private static <T> T done(CompletableFuture<T> f) {
    return f.join();
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** A stand-in for the next serialization of a ChannelManager: some bytes changed in place, some inserted. */
  private static byte[] edit(Random r, byte[] m) {
    byte[] out = m.clone();
    int at = r.nextInt(out.length - 64);
    for (int i = 0; i < 40; i++) out[at + i] ^= (byte) (1 + r.nextInt(255)); // balances, commitment numbers
    int ins = r.nextInt(out.length);
    byte[] grown = new byte[out.length + 33]; // an HTLC added
    System.arraycopy(out, 0, grown, 0, ins);
    System.arraycopy(random(r, 33), 0, grown, ins, 33);
    System.arraycopy(out, ins, grown, ins + 33, out.length - ins);
    return grown;
  }

  @Test
  void boundariesCoverTheBytesAndRespectTheSizeLimits() {
    byte[] data = random(new Random(1), 300_000);
    List<int[]> b = ManagerChunker.boundaries(data);
    assertThat(b.get(0)[0]).isZero();
    assertThat(b.get(b.size() - 1)[1]).isEqualTo(data.length);
    for (int i = 0; i < b.size(); i++) {
      int len = b.get(i)[1] - b.get(i)[0];
      assertThat(len).isLessThanOrEqualTo(ManagerChunker.MAX);
      if (i < b.size() - 1) {
        assertThat(len).isGreaterThanOrEqualTo(ManagerChunker.MIN);
        assertThat(b.get(i + 1)[0]).isEqualTo(b.get(i)[1]);
      }
    }
    double avg = (double) data.length / b.size();
    double expected = ManagerChunker.MIN + (1 << ManagerChunker.BITS);
    assertThat(avg).as("average chunk size").isBetween(expected * 0.7, expected * 1.3);
    // Content-defined: inserting bytes near the start moves no boundary far behind it.
    byte[] shifted = new byte[data.length + 7];
    System.arraycopy(data, 0, shifted, 7, data.length);
    List<int[]> s = ManagerChunker.boundaries(shifted);
    long sameEnds = s.stream().mapToInt(x -> x[1] - 7).filter(e -> b.stream().anyMatch(y -> y[1] == e)).count();
    assertThat(sameEnds).isGreaterThanOrEqualTo(b.size() - 3);
  }

  @Test
  void onlyChangedChunksTravelAndTheStoreRebuildsEveryVersionExactly() {
    Random r = new Random(7);
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      long epoch = done(s.acquireEpoch("r1", 1)).getEpoch();
      ManagerChunker c = new ManagerChunker(s::managerChunkId);
      byte[] m = random(r, 385_000); // the size LDK's manager has with 100 channels
      Op first = c.op(m);
      assertThat(done(s.commit(epoch, List.of(first)))).isInstanceOf(CommitOutcome.Committed.class);
      c.committed();
      assertThat(done(s.startupState()).getManager().toByteArray()).isEqualTo(m);
      long recordsAfterFirst = done(s.digest()).getRecords();
      int chunksFirst = first.getPutManagerChunks().getNewChunksCount();
      for (int i = 0; i < 30; i++) {
        m = edit(r, m);
        Op op = c.op(m);
        PutManagerChunks p = op.getPutManagerChunks();
        assertThat(p.getNewChunksCount()).as("new chunks for one small edit").isLessThanOrEqualTo(4);
        assertThat(op.getSerializedSize()).as("bytes of one commit of a 385 KB manager").isLessThan(20_000);
        assertThat(done(s.commit(epoch, List.of(op)))).isInstanceOf(CommitOutcome.Committed.class);
        c.committed();
        StartupState st = done(s.startupState());
        assertThat(st.getManager().toByteArray()).isEqualTo(m);
        assertThat(st.getManagerChunksCount()).isZero();
      }
      // Old chunks are deleted: the record count follows the current manager's chunk count.
      int chunksNow = ManagerChunker.boundaries(m).size();
      assertThat(done(s.digest()).getRecords()).isBetween(recordsAfterFirst + chunksNow - chunksFirst - 2,
          recordsAfterFirst + chunksNow - chunksFirst);
    }
  }

  @Test
  void unchangedChunksAreNotHashedAgainAndGetTheSameIdsAsAFreshChunker() {
    Random r = new Random(11);
    java.util.concurrent.atomic.AtomicInteger hashed = new java.util.concurrent.atomic.AtomicInteger();
    ManagerChunker c = new ManagerChunker(b -> {
      hashed.incrementAndGet();
      return ManagerChunker.plainChunkId(b);
    });
    byte[] m = random(r, 385_000);
    c.op(m);
    c.committed();
    int all = ManagerChunker.boundaries(m).size();
    assertThat(hashed.get()).isEqualTo(all);
    for (int i = 0; i < 10; i++) {
      m = edit(r, m);
      hashed.set(0);
      Op op = c.op(m);
      assertThat(hashed.get()).as("chunks hashed for one small edit of %d chunks", all).isBetween(1, 6);
      // The ids (so the op) are exactly what a chunker hashing everything produces.
      ManagerChunker fresh = new ManagerChunker(ManagerChunker::plainChunkId);
      PutManagerChunks full = fresh.op(m).getPutManagerChunks();
      List<com.google.protobuf.ByteString> idsFull = full.getNewChunksList().stream().map(ManagerChunk::getId).toList();
      assertThat(idsFull).containsAll(op.getPutManagerChunks().getNewChunksList().stream().map(ManagerChunk::getId).toList());
      c.committed();
    }
    // After a reset everything is sent again, still without hashing unchanged bytes again.
    c.reset();
    hashed.set(0);
    PutManagerChunks again = c.op(m).getPutManagerChunks();
    assertThat(again.getNewChunksCount()).as("random bytes: every chunk distinct, all resent")
        .isEqualTo(ManagerChunker.boundaries(m).size());
    assertThat(hashed.get()).isZero();
  }

  @Test
  void aStaleWriterIsRefusedAndChangesNothingThenAFullResendWorks() {
    Random r = new Random(3);
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      long epoch = done(s.acquireEpoch("r1", 1)).getEpoch();
      ManagerChunker a = new ManagerChunker(s::managerChunkId);
      byte[] m1 = random(r, 50_000);
      done(s.commit(epoch, List.of(a.op(m1))));
      a.committed();
      byte[] m2 = edit(r, m1);
      done(s.commit(epoch, List.of(a.op(m2))));
      a.committed();
      // A writer that believes m2 is stored, while a whole PutManager replaced it meanwhile.
      byte[] other = random(r, 20_000);
      done(s.commit(epoch, List.of(Ops.putManager(other))));
      byte[] digest = done(s.digest()).getSha256().toByteArray();
      CommitOutcome o = done(s.commit(epoch, List.of(a.op(edit(r, m2)))));
      assertThat(o).isInstanceOfSatisfying(CommitOutcome.Conflict.class,
          x -> assertThat(x.message()).contains("view of the manager is stale"));
      assertThat(done(s.digest()).getSha256().toByteArray()).isEqualTo(digest);
      assertThat(done(s.startupState()).getManager().toByteArray()).isEqualTo(other);
      a.reset();
      byte[] m3 = edit(r, m2);
      assertThat(done(s.commit(epoch, List.of(a.op(m3))))).isInstanceOf(CommitOutcome.Committed.class);
      a.committed();
      assertThat(done(s.startupState()).getManager().toByteArray()).isEqualTo(m3);
      // And a whole PutManager after chunks drops them: the store reads back the whole one.
      done(s.commit(epoch, List.of(Ops.putManager(other))));
      assertThat(done(s.startupState()).getManager().toByteArray()).isEqualTo(other);
    }
  }

  @Test
  void malformedChunkOpsAreInvalidAndChangeNothing() {
    try (InMemoryReplicatedStore s = new InMemoryReplicatedStore()) {
      long epoch = done(s.acquireEpoch("r1", 1)).getEpoch();
      byte[] digest = done(s.digest()).getSha256().toByteArray();
      com.google.protobuf.ByteString id = com.google.protobuf.ByteString.copyFrom(new byte[16]);
      byte[] other = new byte[16];
      other[15] = 9;
      com.google.protobuf.ByteString unused = com.google.protobuf.ByteString.copyFrom(other);
      List<PutManagerChunks> bad = List.of(
          PutManagerChunks.getDefaultInstance(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder()
              .setChunkId(com.google.protobuf.ByteString.copyFrom(new byte[5]))).build(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder()
              .setReuse(io.lnraft.store.proto.ChunkRun.newBuilder().setStart(0).setCount(0))).build(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.getDefaultInstance()).build(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder().setChunkId(id))
              .addNewChunks(ManagerChunk.newBuilder().setId(id).setData(com.google.protobuf.ByteString.copyFrom(new byte[] {1})))
              .addNewChunks(ManagerChunk.newBuilder().setId(id).setData(com.google.protobuf.ByteString.copyFrom(new byte[] {1})))
              .build(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder().setChunkId(id))
              .addNewChunks(ManagerChunk.newBuilder().setId(id)).build());
      for (PutManagerChunks p : bad) {
        CommitOutcome o = done(s.commit(epoch, List.of(Op.newBuilder().setPutManagerChunks(p).build())));
        assertThat(o).as(p.toString()).isInstanceOf(CommitOutcome.Invalid.class);
      }
      // Well-formed but naming what is not there, reusing past the end, or sending an unused chunk: CONFLICT.
      List<PutManagerChunks> stale = List.of(
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder().setChunkId(id)).build(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder()
              .setReuse(io.lnraft.store.proto.ChunkRun.newBuilder().setStart(0).setCount(1))).build(),
          PutManagerChunks.newBuilder().addPieces(ManifestPiece.newBuilder().setChunkId(id))
              .addNewChunks(ManagerChunk.newBuilder().setId(id).setData(com.google.protobuf.ByteString.copyFrom(new byte[] {1})))
              .addNewChunks(ManagerChunk.newBuilder().setId(unused).setData(com.google.protobuf.ByteString.copyFrom(new byte[] {2})))
              .build());
      for (PutManagerChunks p : stale) {
        CommitOutcome o = done(s.commit(epoch, List.of(Op.newBuilder().setPutManagerChunks(p).build())));
        assertThat(o).as(p.toString()).isInstanceOf(CommitOutcome.Conflict.class);
      }
      assertThat(done(s.digest()).getSha256().toByteArray()).isEqualTo(digest);
    }
  }

  @Test
  void sealedChunksOpenOnlyUnderTheirIdAndHideThePlaintextAndItsHash() {
    byte[] seed = new byte[64];
    Arrays.fill(seed, (byte) 5);
    StateSealer sealer = StateSealer.fromSeed(seed);
    ManagerChunker c = new ManagerChunker(sealer::chunkId);
    byte[] m = random(new Random(11), 20_000);
    Op op = c.op(m);
    ManagerChunk plain = op.getPutManagerChunks().getNewChunks(0);
    assertThat(plain.getId().toByteArray()).isNotEqualTo(ManagerChunker.plainChunkId(plain.getData().toByteArray()));
    Op sealed = Sealing.seal(sealer, List.of(op)).get(0);
    List<ManagerChunk> chunks = sealed.getPutManagerChunks().getNewChunksList();
    for (ManagerChunk ch : chunks) {
      assertThat(Bytes.indexOf(ch.getData().toByteArray(), Arrays.copyOf(plain.getData().toByteArray(), 32))).isEqualTo(-1);
    }
    StartupState st = StartupState.newBuilder().addAllManagerChunks(chunks).build();
    assertThat(ManagerChunker.assemble(Sealing.open(sealer, st)).getManager().toByteArray()).isEqualTo(m);
    // A chunk moved under another id does not open.
    StartupState swapped = StartupState.newBuilder()
        .addManagerChunks(chunks.get(0).toBuilder().setId(chunks.get(1).getId())).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Sealing.open(sealer, swapped))
        .isInstanceOf(StateSealer.SealedDataException.class);
  }

  /** Byte search without a dependency. */
  private static final class Bytes {
    static int indexOf(byte[] hay, byte[] needle) {
      outer:
      for (int i = 0; i + needle.length <= hay.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (hay[i + j] != needle[j]) continue outer;
        }
        return i;
      }
      return -1;
    }
  }
}
