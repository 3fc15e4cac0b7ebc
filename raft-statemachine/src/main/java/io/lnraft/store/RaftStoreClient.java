package io.lnraft.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.GetDigest;
import io.lnraft.store.proto.GetEvents;
import io.lnraft.store.proto.GetKv;
import io.lnraft.store.proto.GetStartupState;
import io.lnraft.store.proto.GetWriter;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.Reply;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.Status;
import io.lnraft.store.proto.WriterEpoch;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.ExponentialBackoffRetry;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * {@link ReplicatedStore} over a Ratis client: finds the leader, follows it across elections,
 * retries with exponential backoff (bounded count) inside an overall deadline. Ratis' retry cache
 * makes a retried commit apply at most once; the epoch and exact update ids make even a late
 * replay harmless.
 */
public final class RaftStoreClient implements ReplicatedStore {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RaftStoreClient.class);
  /** The Ratis client in use; replaced when a failed request has poisoned it (see {@link #afterFailure}). */
  private volatile RaftClient client;
  private final java.util.function.Supplier<RaftClient> newClient;
  private volatile boolean closed;
  private final Duration deadline;
  private final StoreMetrics metrics;
  /** Seals channel state and ledger secrets before they are committed and opens what it reads; empty: raw bytes. */
  private volatile Optional<StateSealer> sealer = Optional.empty();
  /** Kv keys already reported as holding an unsealed value (one warning per key). */
  private final java.util.Set<String> legacyKvWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Submits commits straight into this process's replica while it is the ready leader; null = RPC only. */
  private final LocalSubmitter local;

  public RaftStoreClient(RaftGroup group, RaftProperties properties, Duration deadline, StoreMetrics metrics) {
    this(group, properties, deadline, metrics, Optional.empty());
  }

  /** @param preferredLeader where to send the first request (e.g. this process's own replica) */
  public RaftStoreClient(RaftGroup group, RaftProperties properties, Duration deadline, StoreMetrics metrics,
      Optional<RaftPeerId> preferredLeader) {
    this(group, properties, deadline, metrics, preferredLeader, Optional.empty());
  }

  /**
   * @param preferredLeader where to send the first RPC request (e.g. this process's own replica)
   * @param localReplica this process's replica: while it is the ready leader, commits and epoch
   *     requests go straight into its Raft server (no client RPC hop, no serialization of the
   *     request); otherwise, and for reads, they go through the RPC client as usual
   */
  public RaftStoreClient(RaftGroup group, RaftProperties properties, Duration deadline, StoreMetrics metrics,
      Optional<RaftPeerId> preferredLeader, Optional<ReplicaServer> localReplica) {
    this.deadline = deadline;
    this.metrics = metrics;
    this.local = localReplica.map(r -> new LocalSubmitter(r.raftServer(), group.getGroupId())).orElse(null);
    ExponentialBackoffRetry backoff = ExponentialBackoffRetry.newBuilder()
        .setBaseSleepTime(TimeDuration.valueOf(20, TimeUnit.MILLISECONDS))
        .setMaxSleepTime(TimeDuration.valueOf(500, TimeUnit.MILLISECONDS))
        .setMaxAttempts(Math.max(3, (int) (deadline.toMillis() / 100)))
        .build();
    // Retries stop once a request has been pending for the deadline (a request reported as unknown
    // must not keep retrying, and maybe commit, long after its caller gave up) or after the
    // backoff's attempt count, for every request type: Ratis' own fallbacks retry forever with
    // no sleep (admin calls such as group info included), which can pin a caller's thread.
    TimeDuration limit = TimeDuration.valueOf(deadline.toMillis(), TimeUnit.MILLISECONDS);
    org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy.Builder rb =
        org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy.newBuilder();
    for (var type : org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.values()) {
      rb.setRetryPolicy(type, backoff).setTimeout(type, limit); // every type: no retry-forever fallback
    }
    org.apache.ratis.retry.RetryPolicy byType = rb.build();
    org.apache.ratis.retry.RetryPolicy retry = new org.apache.ratis.retry.RetryPolicy() {
      @Override
      public Action handleAttemptFailure(Event event) {
        return event instanceof org.apache.ratis.client.retry.ClientRetryEvent ? byType.handleAttemptFailure(event)
            : backoff.handleAttemptFailure(event);
      }

      @Override
      public String toString() {
        return byType.toString();
      }
    };
    this.newClient = () -> {
      RaftClient.Builder b = RaftClient.newBuilder().setRaftGroup(group).setProperties(properties)
          .setParameters(RaftTuning.parameters(properties)).setRetryPolicy(retry);
      preferredLeader.ifPresent(b::setLeaderId);
      return b.build();
    };
    this.client = newClient.get();
  }

  /**
   * From now on, seal monitors, monitor updates, the manager, the preimage and description of
   * ledger records, and kv values (bound to their key) before they are committed, and open them in
   * every answer read through this client (startup state, events, payments, kv: the node's client
   * and backup export/restore; admin tools without the seed move sealed bytes as they are). Kv
   * keys stay plaintext. Call before the first commit.
   */
  public RaftStoreClient sealingWith(StateSealer s) {
    this.sealer = Optional.of(s);
    return this;
  }

  /** The Ratis client currently in use (admin calls); a later call may return a newer one. */
  public RaftClient raftClient() {
    return client;
  }

  /**
   * A Ratis client's ordered writes share one sliding window; once a write fails without a reply
   * (its retries ran out: no leader within the deadline, a timeout, a transport error), Ratis
   * marks that window failed for good and fails every later write at once with
   * AlreadyClosedException. So a brief loss of quorum would leave this client, and the node
   * that owns it, unable to commit ever again. After such a failure the next writes go through a
   * new Ratis client (new client id, new window). The failed write's outcome stays unknown to its
   * caller, as before; the old client is closed after the deadline, so writes it still carries
   * (sent before the failure) can still be answered.
   */
  private void afterFailure(RaftClient used, Throwable err) {
    if (err == null || closed) return;
    Throwable c = unwrap(err);
    if (c instanceof StateMachineException) return; // the state machine answered: the window is fine
    synchronized (this) {
      if (client != used || closed) return;
      client = newClient.get();
    }
    LOG.warn("a store request failed without an answer ({}); later requests use a new Raft client", c.toString());
    CompletableFuture.delayedExecutor(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS).execute(() -> {
      try {
        used.close();
      } catch (IOException | RuntimeException ignored) {
        // it failed already; nothing to release that matters
      }
    });
  }

  @Override
  public CompletableFuture<WriterEpoch> acquireEpoch(String replicaId, long term) {
    Envelope e = Envelope.newBuilder().setFormatVersion(CommandValidator.FORMAT_VERSION)
        .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId(replicaId).setTerm(term)).build();
    return submitOwned(e.toByteArray()).thenApply(o -> {
      if (o instanceof CommitOutcome.Committed c) return c.writer();
      if (o instanceof CommitOutcome.Fenced f) throw new FencedException(f.message());
      if (o instanceof CommitOutcome.Invalid i && i.message().contains(ChannelStateMachine.NOT_THIS_LEADER)) {
        throw new FencedException(i.message());
      }
      throw new IllegalStateException("AcquireEpoch refused: " + o);
    });
  }

  @Override
  public CompletableFuture<CommitOutcome> commit(long epoch, List<Op> ops) {
    List<Op> sealed = sealer.map(s -> Sealing.seal(s, ops)).orElse(ops);
    Envelope e = Envelope.newBuilder().setFormatVersion(CommandValidator.FORMAT_VERSION)
        .setCommit(Commit.newBuilder().setEpoch(epoch).addAllOps(sealed)).build();
    return submitOwned(e.toByteArray());
  }

  /** Submits raw command bytes (also used by tests to send garbage). */
  public CompletableFuture<CommitOutcome> submit(byte[] command) {
    return submitOwned(command.clone());
  }

  /** {@code command} is wrapped, not copied: nothing may change it afterwards. */
  private CompletableFuture<CommitOutcome> submitOwned(byte[] command) {
    long t0 = System.nanoTime();
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(command));
    CompletableFuture<RaftClientReply> sent = local == null ? null : local.trySubmit(message, true);
    if (sent == null) {
      RaftClient used = client;
      sent = used.async().send(message);
      sent.whenComplete((r, err) -> afterFailure(used, err));
    }
    return bounded(sent, "commit")
        .handle((reply, err) -> {
          if (err == null && !reply.isSuccess()) err = reply.getException();
          if (err != null) {
            Throwable c = unwrap(err);
            if (c instanceof StateMachineException sme && sme.getCause() instanceof InvalidCommandException ice) {
              return new CommitOutcome.Invalid(ice.getMessage());
            }
            if (c instanceof StateMachineException sme && sme.getMessage() != null && sme.getMessage().contains("INVALID:")) {
              return new CommitOutcome.Invalid(sme.getMessage().substring(sme.getMessage().indexOf("INVALID:")));
            }
            throw unavailable("commit", c);
          }
          metrics.commitLatency().record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
          try {
            Reply r = Reply.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
            if (r.getStatus() == Status.STATUS_UNSPECIFIED) {
              // An entry replayed after a restart answers with an empty message: committed or not,
              // this client cannot tell.
              throw new StoreUnavailableException("the store answered without an outcome (a retry of an entry"
                  + " replayed after a restart?); the commit's outcome is unknown", null);
            }
            return CommitOutcome.of(r);
          } catch (InvalidProtocolBufferException ex) {
            throw new StoreUnavailableException("the store's reply cannot be decoded: " + ex.getMessage(), ex);
          }
        });
  }

  @Override
  public CompletableFuture<StartupState> startupState() {
    // Sealed data was opened when the answer was decoded (see decode()).
    return query(Query.newBuilder().setStartupState(GetStartupState.getDefaultInstance()), QueryReply::getStartupState)
        .thenApply(ManagerChunker::assemble);
  }

  /**
   * The startup state for the writer that was just granted {@code epoch}, read from this process's
   * own replica once it has applied the grant: no ReadIndex round, which right after an election
   * (no lease yet, one replica dead) cost 100-300 ms of every failover on a loaded machine. Exact
   * for that writer: everything committed before the grant is applied, and any later entry either
   * carries this writer's epoch (it has committed nothing yet) or fences it at its first commit.
   * Without a local replica, a linearizable read.
   */
  public CompletableFuture<StartupState> startupStateFor(WriterEpoch epoch) {
    return localStartupState(epoch.getAcquiredAtIndex());
  }

  /**
   * This process's replica's own startup state as applied so far (not linearizable), opened and
   * assembled as a leader would read it: a standby uses it to check that its seed opens the
   * cluster's state and to keep that code path warm for a takeover. Without a local replica, a
   * linearizable read.
   */
  public CompletableFuture<StartupState> localStartupState() {
    return localStartupState(0);
  }

  private CompletableFuture<StartupState> localStartupState(long minIndex) {
    Message m = message(Query.newBuilder().setStartupState(GetStartupState.getDefaultInstance()));
    CompletableFuture<RaftClientReply> sent = local == null ? null : local.tryStaleRead(m, minIndex);
    if (sent == null) return startupState();
    // decode() opens sealed data.
    return decode(sent, QueryReply::getStartupState).thenApply(ManagerChunker::assemble);
  }

  @Override
  public byte[] managerChunkId(byte[] chunk) {
    Optional<StateSealer> s = sealer;
    return s.isPresent() ? s.get().chunkId(chunk) : ManagerChunker.plainChunkId(chunk);
  }

  @Override
  public CompletableFuture<KvResult> kv(String key) {
    CompletableFuture<KvResult> stored = query(Query.newBuilder().setGetKv(GetKv.newBuilder().setKey(key)), QueryReply::getKv);
    Optional<StateSealer> s = sealer;
    if (s.isEmpty()) return stored;
    // The answer does not name its key, so kv values are opened here rather than in decode().
    return stored.thenApply(r -> {
      Sealing.OpenedKv o = Sealing.openKv(s.get(), key, r);
      if (o.legacyPlain() && legacyKvWarned.add(key)) {
        LOG.warn("kv '{}' holds a value stored unsealed (written before kv values were sealed, or by a client"
            + " without the seed); it is used as stored and sealed the next time it is written", key);
      }
      return o.result();
    });
  }

  @Override
  public CompletableFuture<EventsResult> events(long afterSeq, int limit) {
    return query(Query.newBuilder().setGetEvents(GetEvents.newBuilder().setAfterSeq(afterSeq).setLimit(limit)),
        QueryReply::getEvents);
  }

  @Override
  public CompletableFuture<WriterEpoch> writer() {
    return query(Query.newBuilder().setGetWriter(GetWriter.getDefaultInstance()), QueryReply::getWriter);
  }

  @Override
  public CompletableFuture<DigestResult> digest() {
    return query(Query.newBuilder().setGetDigest(GetDigest.getDefaultInstance()), QueryReply::getDigest);
  }

  /**
   * Linearizable query answered by the leader: in-process when this process's replica is the
   * ready leader (no round trip, and no first attempt at a dead leader the RPC client still
   * remembers right after a failover), else over RPC.
   */
  public <T> CompletableFuture<T> query(Query.Builder q, Function<QueryReply, T> pick) {
    Message m = message(q);
    CompletableFuture<RaftClientReply> sent = local == null ? null : local.trySubmit(m, false);
    return decode(sent != null ? sent : overRpc(c -> c.async().sendReadOnly(m)), pick);
  }

  /**
   * Query answered by one given replica from its own applied state (not linearizable): for
   * status views and tests that compare replicas.
   */
  public <T> CompletableFuture<T> queryLocal(RaftPeerId replica, Query.Builder q, Function<QueryReply, T> pick) {
    Message m = message(q);
    return decode(overRpc(c -> c.async().sendStaleRead(m, 0, replica)), pick);
  }

  /**
   * A read over the Ratis client. Like a write, a read that runs out of retries closes the
   * client's ordered window for good (every later request: AlreadyClosedException), so the client
   * is replaced after such a failure too (seen in DataCorruptionTest: one stale read timing out
   * while a replica restarted left the test's client unusable for the rest of the run).
   */
  private CompletableFuture<RaftClientReply> overRpc(Function<RaftClient, CompletableFuture<RaftClientReply>> call) {
    RaftClient used = client;
    CompletableFuture<RaftClientReply> f = call.apply(used);
    f.whenComplete((r, err) -> afterFailure(used, err));
    return f;
  }

  private static Message message(Query.Builder q) {
    return Message.valueOf(ByteString.copyFrom(q.setFormatVersion(CommandValidator.FORMAT_VERSION).build().toByteArray()));
  }

  private <T> CompletableFuture<T> decode(CompletableFuture<RaftClientReply> f, Function<QueryReply, T> pick) {
    return bounded(f, "read").thenApply(reply -> {
      if (!reply.isSuccess()) throw unavailable("read", reply.getException());
      QueryReply qr;
      try {
        qr = QueryReply.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
      } catch (InvalidProtocolBufferException ex) {
        throw new StoreUnavailableException("the store's reply cannot be decoded: " + ex.getMessage(), ex);
      }
      if (qr.getStatus() != Status.OK) throw new IllegalArgumentException(qr.getStatus() + ": " + qr.getMessage());
      Optional<StateSealer> s = sealer;
      return pick.apply(s.isPresent() ? Sealing.open(s.get(), qr) : qr);
    });
  }

  /** Whether commits currently go straight into this process's replica (it is the ready leader). */
  public boolean submitsLocally() {
    return local != null && local.leaderReady();
  }

  /**
   * In-process submission into the local Raft server, as a remote client's request would arrive
   * there: same validation, retry cache and reply (after the entry is fsynced on a majority and
   * applied on this leader). Used only while the local replica is the ready leader; a request it
   * refuses after all (leadership lost in between) fails with an unknown outcome, like a deadline:
   * it may have been appended, so it is not re-sent under another call id.
   */
  private static final class LocalSubmitter {
    private final RaftServer server;
    private final org.apache.ratis.protocol.RaftGroupId groupId;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Appends happen in the order callers submit (the store's ordering contract). */
    private final Object appendOrder = new Object();

    LocalSubmitter(RaftServer server, org.apache.ratis.protocol.RaftGroupId groupId) {
      this.server = server;
      this.groupId = groupId;
    }

    boolean leaderReady() {
      try {
        return server.getDivision(groupId).getInfo().isLeaderReady();
      } catch (IOException e) {
        return false;
      }
    }

    /** A read of this replica's applied state once it reached {@code minIndex}; null without a division. */
    CompletableFuture<RaftClientReply> tryStaleRead(Message message, long minIndex) {
      RaftServer.Division division;
      try {
        division = server.getDivision(groupId);
      } catch (IOException e) {
        return null;
      }
      RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(server.getId())
          .setGroupId(groupId).setCallId(callIds.incrementAndGet()).setMessage(message)
          .setType(RaftClientRequest.staleReadRequestType(minIndex)).build();
      try {
        return division instanceof RaftClientAsynchronousProtocol p ? p.submitClientRequestAsync(request)
            : server.submitClientRequestAsync(request);
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    /**
     * The reply future, or null when the local replica is not the ready leader (use RPC). A read
     * is linearizable as over RPC (the leader's lease or a ReadIndex round, then its applied state).
     */
    CompletableFuture<RaftClientReply> trySubmit(Message message, boolean write) {
      RaftServer.Division division;
      try {
        division = server.getDivision(groupId);
      } catch (IOException e) {
        return null; // not (yet) a member: the RPC client finds the leader
      }
      if (!division.getInfo().isLeaderReady()) return null;
      synchronized (appendOrder) {
        RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(server.getId())
            .setGroupId(groupId).setCallId(callIds.incrementAndGet()).setMessage(message)
            .setType(write ? RaftClientRequest.writeRequestType() : RaftClientRequest.readRequestType()).build();
        try {
          // The division itself runs the request on this thread (RaftServer's own entry point
          // first hops to a thread pool and waits for it).
          return division instanceof RaftClientAsynchronousProtocol p ? p.submitClientRequestAsync(request)
              : server.submitClientRequestAsync(request);
        } catch (IOException e) {
          return CompletableFuture.failedFuture(e);
        }
      }
    }
  }

  private <T> CompletableFuture<T> bounded(CompletableFuture<T> f, String what) {
    return f.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  private StoreUnavailableException unavailable(String what, Throwable cause) {
    if (cause instanceof TimeoutException) {
      return new StoreUnavailableException(what + " not answered within " + deadline.toMillis()
          + " ms (no leader reachable?); its outcome is unknown", cause);
    }
    return new StoreUnavailableException(what + " failed: " + cause, cause);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public void close() {
    closed = true;
    try {
      client.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
