package io.lnraft.store;

import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The node's view of the replicated channel-state store.
 *
 * <p>Contract: a commit's future completes with {@link CommitOutcome.Committed} only after the
 * commit is in the Raft log of a majority (fsynced there) and applied on the leader; from then on
 * it survives the loss of any single replica. Commits from one store object are applied in the
 * order they were submitted. Any other {@link CommitOutcome} means nothing of the commit was
 * applied. A future that fails with {@link StoreUnavailableException} (deadline passed, no leader)
 * leaves the commit's fate unknown: the writer must stop and let the next leader read the truth.
 * Reads are linearizable: they see every commit acknowledged before they started. Every call is
 * bounded by the configured request timeout; nothing retries forever.
 */
public interface ReplicatedStore extends AutoCloseable {
  /**
   * Makes {@code replicaId}, leader of {@code term}, the single writer. Completes with the new
   * epoch, or fails with {@link FencedException} if the request is stale (another term).
   */
  CompletableFuture<WriterEpoch> acquireEpoch(String replicaId, long term);

  /** Commits {@code ops} atomically under {@code epoch}. */
  CompletableFuture<CommitOutcome> commit(long epoch, List<Op> ops);

  CompletableFuture<StartupState> startupState();

  /**
   * How this store names the chunks of a manager written with {@link ManagerChunker}: 16 bytes from
   * the content. A store that seals its state uses a keyed id ({@link StateSealer#chunkId}).
   */
  default byte[] managerChunkId(byte[] chunk) {
    return ManagerChunker.plainChunkId(chunk);
  }

  CompletableFuture<KvResult> kv(String key);

  /** Ledger events with sequence numbers above {@code afterSeq}, at most {@code limit}. */
  CompletableFuture<EventsResult> events(long afterSeq, int limit);

  CompletableFuture<WriterEpoch> writer();

  /** A digest of every record (see {@link StoreQueries#digest}). */
  CompletableFuture<DigestResult> digest();

  @Override
  void close();

  /** AcquireEpoch was refused: it came from a term that is over. */
  final class FencedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FencedException(String message) {
      super(message);
    }
  }
}
