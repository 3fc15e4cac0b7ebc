package io.lnraft.store;

import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.AppliedIndex;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.GetKv;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.Status;
import io.lnraft.store.proto.WriterEpoch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The store without replication and without disk: the same {@link StoreTransition} over {@link
 * InMemoryRecords}, every call serialized on this object, every future already complete when it
 * is returned. It is the baseline the replicated store is measured against (bench) and a
 * counterparty's store in tests; it survives nothing, so it is never a production store.
 *
 * <p>Raft is modelled only as far as the transition needs it: each command is one "log entry"
 * with the next index, and the entry term is the highest term any {@link #acquireEpoch} asked for.
 * An AcquireEpoch of a lower term is stale and fails with {@link FencedException}, as on the
 * replicated store. The applied index is stored with each entry as {@link RocksRecords} does, so
 * {@link #startupState()} reports it the same way.
 */
public final class InMemoryReplicatedStore implements ReplicatedStore {
  private final InMemoryRecords records = new InMemoryRecords();
  private long term; // guarded by this
  private long index; // guarded by this
  private boolean closed; // guarded by this

  @Override
  public synchronized CompletableFuture<WriterEpoch> acquireEpoch(String replicaId, long term) {
    if (closed) return closedFuture();
    if (term < this.term) {
      return CompletableFuture.failedFuture(new FencedException("AcquireEpoch for term " + term + " but term "
          + this.term + " has begun: a stale request from a former leader"));
    }
    this.term = term;
    StoreTransition.Transition t = applyEntry(Envelope.newBuilder().setFormatVersion(CommandValidator.FORMAT_VERSION)
        .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId(replicaId).setTerm(term)).build());
    if (t.reply().getStatus() == Status.OK) return CompletableFuture.completedFuture(t.reply().getWriter());
    if (t.reply().getStatus() == Status.FENCED) {
      return CompletableFuture.failedFuture(new FencedException(t.reply().getMessage()));
    }
    return CompletableFuture.failedFuture(new IllegalStateException("AcquireEpoch refused: "
        + t.reply().getStatus() + ": " + t.reply().getMessage()));
  }

  @Override
  public synchronized CompletableFuture<CommitOutcome> commit(long epoch, List<Op> ops) {
    if (closed) return closedFuture();
    StoreTransition.Transition t = applyEntry(Envelope.newBuilder().setFormatVersion(CommandValidator.FORMAT_VERSION)
        .setCommit(Commit.newBuilder().setEpoch(epoch).addAllOps(ops)).build());
    return CompletableFuture.completedFuture(CommitOutcome.of(t.reply()));
  }

  /** One log entry: transition, then its mutations and the applied index in one batch. */
  private StoreTransition.Transition applyEntry(Envelope command) {
    long at = ++index;
    StoreTransition.Transition t = StoreTransition.apply(records, command, term, at);
    List<Mutation> batch = new ArrayList<>(t.mutations().size() + 1);
    batch.addAll(t.mutations());
    batch.add(new Mutation.Put(Table.META, StoreKeys.META_APPLIED,
        AppliedIndex.newBuilder().setTerm(term).setIndex(at).build().toByteArray()));
    records.apply(batch);
    return t;
  }

  @Override
  public CompletableFuture<StartupState> startupState() {
    return read(() -> ManagerChunker.assemble(StoreQueries.startupState(records)));
  }

  @Override
  public CompletableFuture<KvResult> kv(String key) {
    return read(() -> {
      QueryReply r = StoreQueries.answer(records, Query.newBuilder().setFormatVersion(CommandValidator.FORMAT_VERSION)
          .setGetKv(GetKv.newBuilder().setKey(key)).build());
      if (r.getStatus() != Status.OK) throw new IllegalArgumentException(r.getStatus() + ": " + r.getMessage());
      return r.getKv();
    });
  }

  @Override
  public CompletableFuture<EventsResult> events(long afterSeq, int limit) {
    return read(() -> StoreQueries.events(records, afterSeq, limit));
  }

  @Override
  public CompletableFuture<WriterEpoch> writer() {
    return read(() -> StoreTransition.readWriter(records));
  }

  @Override
  public CompletableFuture<DigestResult> digest() {
    return read(() -> StoreQueries.digest(records));
  }

  private synchronized <T> CompletableFuture<T> read(Supplier<T> query) {
    if (closed) return closedFuture();
    try {
      return CompletableFuture.completedFuture(query.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static <T> CompletableFuture<T> closedFuture() {
    return CompletableFuture.failedFuture(new StoreUnavailableException("the in-memory store is closed", null));
  }

  @Override
  public synchronized void close() {
    closed = true;
  }
}
