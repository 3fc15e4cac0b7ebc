package io.lnraft.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lnraft.store.proto.AppliedIndex;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis adapter of the store: decode, apply {@link StoreTransition}, write, reply; snapshots
 * as RocksDB checkpoints. Business rejections (FENCED, CONFLICT, INVALID) are replies; only an
 * I/O failure of the local database fails the apply (which stops this replica: continuing would
 * let it diverge from the others).
 */
public final class ChannelStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelStateMachine.class);
  static final String NOT_THIS_LEADER = "only the leader itself may take the writer epoch";

  private final Path liveDbDir;
  private final long maxEntryBytes;
  private final StoreMetrics metrics;
  private final CheckpointSnapshotStorage storage = new CheckpointSnapshotStorage();
  private final StorageFailure storageFailure = new StorageFailure();
  private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "lnraft-leader-events");
    t.setDaemon(true);
    return t;
  });
  /** Guards the database handle: reads hold it shared; reopening and closing hold it exclusively. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock dbLock = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile RocksRecords db;
  /** Index of the last entry written to RocksDB (entries at or below are replays); -1 = none. */
  private volatile long dbAppliedIndex = -1;
  /** Highest log index Ratis handed to this state machine since it was (re)loaded, replays included. */
  private volatile long lastSeenIndex = -1;
  /** Term of the last configuration entry applied: the term whose first entry makes a leader ready. */
  private volatile long lastConfigurationTerm = -1;
  private final Object leaderLock = new Object();
  private long leaderTerm = -1; // guarded by leaderLock; -1 = not a ready leader
  private long highestTermSeen = -1; // guarded by leaderLock

  /**
   * @param liveDbDir where the live RocksDB lives (outside Ratis' storage directory)
   * @param maxEntryBytes larger commands are refused before they reach the log
   */
  public ChannelStateMachine(Path liveDbDir, long maxEntryBytes, StoreMetrics metrics) {
    this.liveDbDir = liveDbDir;
    this.maxEntryBytes = maxEntryBytes;
    this.metrics = metrics;
  }

  public void addLeadershipListener(LeadershipListener l) {
    listeners.add(l);
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(this::openLive);
    verifyRaftLog(raftStorage);
  }

  /** Runs before Ratis loads the log: a damaged log stops the start with the file named. */
  private void verifyRaftLog(RaftStorage raftStorage) throws IOException {
    long snapIndex = storage.latestDirectory().map(p -> CheckpointSnapshotStorage.termIndexOf(p).getIndex()).orElse(-1L);
    RaftLogCheck.Result r;
    try {
      r = RaftLogCheck.verify(raftStorage, org.apache.ratis.util.SizeInBytes.valueOf(maxEntryBytes + (1L << 20)),
          dbAppliedIndex, snapIndex);
    } catch (IOException e) {
      close();
      throw damaged(e);
    }
    LOG.info("{}: Raft log verified: {} segment(s), {} entries up to index {} in {} ms", getId(), r.segments(),
        r.entries(), r.lastIndex(), r.millis());
  }

  @Override
  public void pause() {
    // Ratis pauses the state machine before it installs a snapshot, then calls reinitialize().
    org.apache.ratis.util.LifeCycle lc = getLifeCycle();
    if (lc.getCurrentState() == org.apache.ratis.util.LifeCycle.State.RUNNING) {
      lc.transition(org.apache.ratis.util.LifeCycle.State.PAUSING);
      lc.transition(org.apache.ratis.util.LifeCycle.State.PAUSED);
    }
  }

  /** Opens the live DB, first restoring it from the latest snapshot if it is missing or older. */
  private void openLive() throws IOException {
    Optional<Path> snap = storage.latestDirectory();
    if (snap.isPresent()) {
      long snapIndex = CheckpointSnapshotStorage.termIndexOf(snap.get()).getIndex();
      boolean restore = !Files.exists(liveDbDir.resolve("CURRENT"));
      if (!restore) {
        try (RocksRecords probe = RocksRecords.open(liveDbDir)) {
          restore = StoreQueries.appliedIndex(probe).getIndex() < snapIndex;
        } catch (IOException e) {
          throw damaged(e);
        } catch (CorruptStoreException e) {
          throw damaged(new IOException("reading the channel-state database in " + liveDbDir + " failed: " + e.getMessage(), e));
        }
      }
      if (restore) restoreFrom(snap.get());
    }
    db = openVerified();
    try {
      loadAppliedIndex();
    } catch (CorruptStoreException e) {
      db.close();
      db = null;
      throw damaged(new IOException("reading the channel-state database in " + liveDbDir + " failed: " + e.getMessage(), e));
    }
    LOG.info("{}: channel-state database at {} applied up to index {}", getId(), liveDbDir, dbAppliedIndex);
  }

  /**
   * Opens the live DB and verifies every block checksum before this replica may apply, vote or
   * serve: a damaged file must stop it at start, not when a read first touches the damaged block.
   */
  private RocksRecords openVerified() throws IOException {
    RocksRecords r;
    try {
      r = RocksRecords.open(liveDbDir);
    } catch (IOException e) {
      throw damaged(e);
    }
    long t0 = System.nanoTime();
    try {
      r.verifyChecksums();
    } catch (IOException e) {
      r.close();
      throw damaged(e);
    }
    LOG.info("{}: channel-state database checksums verified in {} ms", getId(), (System.nanoTime() - t0) / 1_000_000);
    return r;
  }

  /** A damaged file found at start: logged, and thrown so that the start fails (ReplicaServer adds the repair). */
  private DamagedStorageException damaged(IOException e) {
    LOG.error("{}: refusing to start: {}", getId(), e.getMessage());
    return new DamagedStorageException(e.getMessage(), e);
  }

  /** Reads the applied index from the database (-1 when nothing was ever applied). */
  private void loadAppliedIndex() {
    boolean any = db.get(Table.META, StoreKeys.META_APPLIED).isPresent();
    AppliedIndex applied = StoreQueries.appliedIndex(db);
    dbAppliedIndex = any ? applied.getIndex() : -1;
    lastSeenIndex = -1;
    setLastAppliedTermIndex(any ? TermIndex.valueOf(applied.getTerm(), applied.getIndex()) : TermIndex.INITIAL_VALUE);
  }

  /** Replaces the live DB by a copy of a checkpoint (SST files hard-linked: they are immutable). */
  private void restoreFrom(Path checkpoint) throws IOException {
    LOG.info("{}: restoring the channel-state database from {}", getId(), checkpoint.getFileName());
    Path staging = liveDbDir.resolveSibling(liveDbDir.getFileName() + ".restoring");
    CheckpointSnapshotStorage.deleteTree(staging);
    Files.createDirectories(staging);
    try (Stream<Path> files = Files.list(checkpoint)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".md5")) continue;
        Path to = staging.resolve(name);
        if (name.endsWith(".sst")) {
          try {
            Files.createLink(to, f);
            continue;
          } catch (IOException | UnsupportedOperationException e) {
            // different file system: copy instead
          }
        }
        Files.copy(f, to);
      }
    }
    CheckpointSnapshotStorage.deleteTree(liveDbDir);
    Files.move(staging, liveDbDir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    ByteString content = request.getMessage().getContent();
    TransactionContext.Builder b = TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request);
    if (content.size() > maxEntryBytes) {
      metrics.rejectedBeforeLog();
      return b.build().setException(new InvalidCommandException("INVALID: command of " + content.size()
          + " bytes exceeds the maximum entry size of " + maxEntryBytes + " bytes (lnraft.raft.max-entry-bytes)"));
    }
    Envelope env;
    try {
      env = Envelope.parseFrom(content.asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      metrics.rejectedBeforeLog();
      return b.build().setException(new InvalidCommandException("INVALID: undecodable command bytes: " + e.getMessage()));
    }
    Optional<String> invalid = CommandValidator.check(env);
    if (invalid.isPresent()) {
      metrics.rejectedBeforeLog();
      return b.build().setException(new InvalidCommandException("INVALID: " + invalid.get()));
    }
    if (env.hasAcquireEpoch() && !env.getAcquireEpoch().getReplicaId().equals(getId().toString())) {
      metrics.rejectedBeforeLog();
      return b.build().setException(new InvalidCommandException("INVALID: AcquireEpoch for replica '"
          + env.getAcquireEpoch().getReplicaId() + "' reached leader '" + getId()
          + "': " + NOT_THIS_LEADER + " (a stale request from a former leader?)"));
    }
    return b.setStateMachineContext(env).build();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long term = entry.getTerm();
    long index = entry.getIndex();
    lastSeenIndex = Math.max(lastSeenIndex, index);
    if (index <= dbAppliedIndex) {
      // Ratis replays from the snapshot index after a restart; this entry is already in RocksDB.
      // No client waits for it (a retry finds no cached reply: the empty message means "unknown").
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    requireNext(index);
    long t0 = System.nanoTime();
    StoreTransition.Transition tr;
    Object ctx = trx.getStateMachineContext();
    if (ctx instanceof Envelope env) {
      tr = StoreTransition.apply(db, env, term, index);
    } else {
      // Followers (and a leader after restart) decode the log bytes; no copy of the entry.
      tr = StoreTransition.applyBytes(db, entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer(), term, index);
    }
    if (tr.reply().getStatus() == Status.INVALID) {
      // The leader validated this entry with the same rules before appending it (startTransaction),
      // so a replica that finds it invalid runs an older lnraft than the leader (an op or field it
      // does not know) or has a damaged log. Treating it as a rejected command would apply nothing
      // here while the others apply it: this replica stops instead (Ratis stops a server whose
      // apply throws) and applies it correctly once upgraded or rebuilt.
      String why = getId() + ": log entry " + index + " (term " + term + ") is not a command this replica understands: "
          + tr.reply().getMessage() + ". The leader accepted it, so this replica's lnraft is older than the leader's or"
          + " its log is damaged; it stops rather than diverge. Upgrade it to the leader's version (or replace its data"
          + " directory) and start it again.";
      LOG.error(why);
      throw new IllegalStateException(why);
    }
    writeOrStop(tr.mutations(), term, index);
    updateLastAppliedTermIndex(term, index);
    Status st = tr.reply().getStatus();
    if (st == Status.FENCED) {
      LOG.info("{}: fenced a command at term {} index {}: {}", getId(), term, index, tr.reply().getMessage());
    } else if (st == Status.OK && entryIsAcquire(trx)) {
      LOG.info("{}: writer epoch {} granted to {} at term {} index {}", getId(), tr.reply().getWriter().getEpoch(),
          tr.reply().getWriter().getReplicaId(), term, index);
    }
    metrics.applied(System.nanoTime() - t0, st, entry.getStateMachineLogEntry().getLogData().size());
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(tr.reply().toByteArray())));
  }

  /** Entries reach the database without gaps (configuration entries write their index too). */
  private void requireNext(long index) {
    if (dbAppliedIndex >= 0 && index != dbAppliedIndex + 1) {
      throw new IllegalStateException(getId() + ": log entry " + index + " follows applied index " + dbAppliedIndex
          + ": an entry was skipped; this replica stops rather than diverge. Replace its data directory.");
    }
  }

  /**
   * Writes or throws: Ratis stops this server when apply throws, which is what a replica that
   * cannot persist an entry must do (a failed future would let Ratis move past the entry).
   */
  private void writeOrStop(List<Mutation> mutations, long term, long index) {
    try {
      db.write(mutations, term, index);
      dbAppliedIndex = index;
    } catch (IOException e) {
      storageFailure.stop(getId() + ": cannot write log entry " + index + " to its channel-state database in " + liveDbDir
          + " (" + e.getMessage() + "); this replica STOPS: it must not vote, lead or serve with state it cannot persist."
          + " Free space on (or repair) that disk, then restart the replica: it catches up from the others.", e,
          this::closeServer);
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Ratis failed to write (or fsync) an entry of this replica's Raft log, typically ENOSPC. Ratis
   * 3.3 then fails every later append but keeps the division running (a leader would go on
   * leading on its followers' logs): stop the replica instead.
   */
  @Override
  public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
    String entry = failedEntry == null ? "" : " at entry " + failedEntry.getIndex();
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    storageFailure.stop(getId() + ": cannot write its Raft log" + entry + " under " + liveDbDir.resolveSibling("raft")
        + " (" + cause.getMessage() + (root == cause ? "" : "; cause: " + root) + "); this replica STOPS: it must not vote, lead or serve with a log it cannot persist."
        + " Free space on (or repair) that disk, then restart the replica: it catches up from the others.", cause,
        this::closeServer);
  }

  private void closeServer() {
    try {
      getServer().get().getDivision(getGroupId()).close();
    } catch (Exception e) {
      LOG.warn("{}: closing the Raft server after a storage failure: {}", getId(), e.toString());
    }
  }

  /** Whether this replica stopped because it could not write its storage. */
  public boolean storageFailed() {
    return storageFailure.hasStopped();
  }

  private static boolean entryIsAcquire(TransactionContext trx) {
    return trx.getStateMachineContext() instanceof Envelope e && e.hasAcquireEpoch();
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    // Configuration and no-op entries: record the applied index so a restart skips them too.
    lastSeenIndex = Math.max(lastSeenIndex, index);
    if (index <= dbAppliedIndex) return;
    requireNext(index);
    writeOrStop(List.of(), term, index);
    updateLastAppliedTermIndex(term, index);
  }

  @Override
  public void notifyConfigurationChanged(long term, long index,
      org.apache.ratis.proto.RaftProtos.RaftConfigurationProto newRaftConfiguration) {
    // Runs on the apply thread just before Ratis checks whether this entry makes a leader ready.
    lastConfigurationTerm = term;
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    QueryReply reply;
    try {
      Query q = Query.parseFrom(request.getContent().asReadOnlyByteBuffer());
      reply = read(view -> StoreQueries.answer(view, q));
    } catch (InvalidProtocolBufferException e) {
      reply = QueryReply.newBuilder().setStatus(Status.INVALID).setMessage("undecodable query bytes: " + e.getMessage()).build();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(reply.toByteArray())));
  }

  @Override
  public long takeSnapshot() throws IOException {
    AppliedIndex applied = StoreQueries.appliedIndex(db);
    TermIndex ti = TermIndex.valueOf(applied.getTerm(), applied.getIndex());
    Optional<Path> existing = storage.latestDirectory();
    long existingIndex = existing.map(p -> CheckpointSnapshotStorage.termIndexOf(p).getIndex()).orElse(-1L);
    if (dbAppliedIndex < 0 || ti.getIndex() <= existingIndex || ti.getIndex() > lastSeenIndex) {
      return existingIndex; // nothing new, or Ratis is still replaying entries already in RocksDB
    }
    Path scratch = storage.scratchDirectory("checkpoint-" + ti.getIndex() + "-" + System.nanoTime());
    Files.createDirectories(scratch.getParent());
    db.checkpoint(scratch);
    Path target = storage.directoryFor(ti);
    Files.move(scratch, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    storage.refresh();
    LOG.info("{}: snapshot taken at {}", getId(), ti);
    return ti.getIndex();
  }

  @Override
  public void reinitialize() throws IOException {
    getLifeCycle().startAndTransition(this::reloadFromInstalledSnapshot);
  }

  private void reloadFromInstalledSnapshot() throws IOException {
    // Called after a snapshot was installed from the leader: the state machine directory now
    // holds only that snapshot. Rebuild the live database from it.
    storage.refresh();
    dbLock.writeLock().lock();
    try {
      RocksRecords old = db;
      db = null;
      if (old != null) old.close();
      Optional<Path> snap = storage.latestDirectory();
      if (snap.isPresent()) restoreFrom(snap.get());
      db = openVerified();
      loadAppliedIndex();
      lastSeenIndex = dbAppliedIndex;
    } finally {
      dbLock.writeLock().unlock();
    }
    LOG.info("{}: reinitialized from installed snapshot, applied index {}", getId(), dbAppliedIndex);
  }

  @Override
  public void notifyLeaderReady() {
    long term = lastConfigurationTerm >= 0 ? lastConfigurationTerm : currentTerm();
    synchronized (leaderLock) {
      if (term < highestTermSeen) {
        LOG.info("{}: ignoring leader-ready of term {}: term {} has begun", getId(), term, highestTermSeen);
        return;
      }
      highestTermSeen = term;
      leaderTerm = term;
    }
    metrics.leaderChanged();
    LOG.info("{}: ready leader of term {}", getId(), term);
    emit(l -> l.onReadyLeader(term));
  }

  @Override
  public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
    stepDown("lost leadership");
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    long term = currentTerm();
    synchronized (leaderLock) {
      highestTermSeen = Math.max(highestTermSeen, term);
    }
    if (!groupMemberId.getPeerId().equals(newLeaderId)) stepDown("leader is now " + newLeaderId);
  }

  private void stepDown(String why) {
    long term;
    synchronized (leaderLock) {
      if (leaderTerm < 0) return;
      term = leaderTerm;
      leaderTerm = -1;
    }
    metrics.leaderChanged();
    LOG.info("{}: no longer leader (term {}): {}", getId(), term, why);
    emit(l -> l.onNotLeader(term));
  }

  private void emit(java.util.function.Consumer<LeadershipListener> event) {
    try {
      events.execute(() -> listeners.forEach(event));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.warn("{}: leader event dropped during shutdown", getId());
    }
  }

  private long currentTerm() {
    try {
      return getServer().get().getDivision(getGroupId()).getInfo().getCurrentTerm();
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Runs {@code reader} on a consistent view of the records as this replica has applied them (not
   * linearizable: for status views and tests). The database cannot be closed or swapped meanwhile.
   */
  public <T> T read(java.util.function.Function<StateView, T> reader) {
    dbLock.readLock().lock();
    try {
      RocksRecords d = db;
      if (d == null) throw new IllegalStateException(getId() + ": the channel-state database is not open");
      try (RocksRecords.SnapshotView view = d.snapshotView()) {
        return reader.apply(view);
      }
    } finally {
      dbLock.readLock().unlock();
    }
  }

  public long appliedIndex() {
    return dbAppliedIndex;
  }

  @Override
  public void close() throws IOException {
    stepDown("server closing");
    events.shutdown();
    try {
      events.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    dbLock.writeLock().lock();
    try {
      RocksRecords d = db;
      db = null;
      if (d != null) d.close();
    } finally {
      dbLock.writeLock().unlock();
    }
  }
}
