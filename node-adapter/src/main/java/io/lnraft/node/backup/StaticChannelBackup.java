package io.lnraft.node.backup;

import io.lnraft.backup.proto.BackupHeader;
import io.lnraft.backup.proto.BackupPayload;
import io.lnraft.backup.proto.KvEntry;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.Ops;
import io.lnraft.store.ReplicatedStore;
import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.KvResult;
import io.lnraft.store.proto.MonitorUpdateRecord;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a static channel backup holds, and how it is taken from and put back into the replicated
 * store. The file format is {@link BackupFormat}'s.
 *
 * <p>Held: the ChannelManager, every channel's base ChannelMonitor with the updates stored after
 * it, the store's bound identity, and the kv keys in {@link #KV_KEYS} (the peers to redial). Not
 * held: the payment ledger and its event feed (accounting, not fund recovery; re-recording it
 * would append its events again under new sequence numbers), the writer epoch (a restore takes a
 * new one), network graph and scorer (rebuilt from gossip).
 *
 * <p>Restore contract: every check (store empty, same identity and network, size) runs before the
 * first write; then the restore takes a new writer epoch through Raft (fencing any writer) and
 * commits the whole state as ONE atomic Commit through the normal path, so the store never holds
 * a manager without its monitors. A refusal before the epoch changes nothing; a Commit rejected
 * by the state machine leaves only the epoch bumped.
 */
public final class StaticChannelBackup {
  /** The replicated kv keys a node needs after a restore: the peers its leader redials (LeaderNode). */
  public static final List<String> KV_KEYS = List.of("peers/index");

  private StaticChannelBackup() {}

  /** The Raft leader a restore acquires its epoch through: the leader's replica id and its term. */
  public record Leader(String replicaId, long term) {}

  /** Finds the current Raft leader (bounded). */
  @FunctionalInterface
  public interface LeaderLocator {
    Leader locate() throws Exception;
  }

  /** What a restore did. */
  public record Restored(long epoch, long logIndex, int channels, int monitorUpdates, int kvKeys, int commitBytes) {}

  // ---- export ----

  /**
   * A linearizable read of everything in the backup: the startup state, then the kv keys (both
   * see every commit acknowledged before this call).
   *
   * @throws BackupException if the store holds no ChannelManager (nothing to back up) or does not answer
   */
  public static BackupPayload read(ReplicatedStore store, Duration timeout) throws BackupException {
    StartupState s = firstRead(store, timeout);
    if (s.getManager().isEmpty()) {
      throw new BackupException("the store holds no ChannelManager yet (no node has run on this cluster):"
          + " there is nothing to back up");
    }
    BackupPayload.Builder p = BackupPayload.newBuilder().setManager(s.getManager()).addAllChannels(s.getChannelsList())
        .setIdentity(s.getIdentity()).setAppliedIndex(s.getAppliedIndex());
    for (String key : KV_KEYS) {
      KvResult kv = get(store.kv(key), timeout, "the read of kv " + key);
      if (kv.getFound()) p.addKv(KvEntry.newBuilder().setKey(key).setValue(kv.getRecord().getValue()));
    }
    return p.build();
  }

  /** The descriptive header of a backup of {@code payload}. */
  public static BackupHeader header(String clusterId, String network, BackupPayload payload, long nowMs) {
    return BackupHeader.newBuilder().setClusterId(clusterId).setNetwork(network)
        .setNodeId(payload.getIdentity().getNodePublicKey()).setCreatedAtMs(nowMs)
        .setAppliedIndex(payload.getAppliedIndex()).build();
  }

  /**
   * Writes {@code bytes} to {@code out} atomically with mode 0600: a temporary file in the same
   * directory, created owner-only, fsynced, then renamed over (or, without {@code overwrite},
   * onto a path that must not exist). On any failure {@code out} is untouched and the temporary
   * file removed.
   */
  public static void writeAtomically(Path out, byte[] bytes, boolean overwrite) throws BackupException {
    Path target = out.toAbsolutePath().normalize();
    Path dir = target.getParent();
    if (!overwrite && Files.exists(target)) {
      throw new BackupException(target + " already exists: choose another --out, or pass --force to replace it");
    }
    if (dir == null || !Files.isDirectory(dir)) {
      throw new BackupException("directory " + dir + " does not exist: create it or choose another --out");
    }
    Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
        ch.force(true);
      }
      if (overwrite) {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        // A hard link fails if the target appeared meanwhile; rename(2) would silently replace it.
        Files.createLink(target, tmp);
        Files.delete(tmp);
      }
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true); // the rename itself survives a crash
      } catch (IOException ignored) {
        // some file systems cannot fsync a directory; the file's content is already durable
      }
    } catch (FileAlreadyExistsException e) {
      deleteQuietly(tmp);
      throw new BackupException(target + " already exists: choose another --out, or pass --force to replace it");
    } catch (AtomicMoveNotSupportedException e) {
      deleteQuietly(tmp);
      throw new BackupException("cannot replace " + target + " atomically on this file system: write to a new path");
    } catch (IOException | UnsupportedOperationException e) {
      deleteQuietly(tmp);
      throw new BackupException("cannot write " + target + ": " + e.getMessage()
          + " (a POSIX file system writable by this user is needed)", e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort
    }
  }

  // ---- restore ----

  /**
   * The ops of the single restore Commit: bind the identity, each channel's base monitor and its
   * updates in order, the manager, the kv keys. Without {@code force} the kv puts expect the key
   * to be absent.
   */
  public static List<Op> restoreOps(BackupPayload p, boolean force) {
    List<Op> ops = new ArrayList<>();
    ops.add(Ops.bindIdentity(p.getIdentity().getNetwork(), p.getIdentity().getNodePublicKey().toByteArray()));
    for (ChannelState c : p.getChannelsList()) {
      ops.add(Ops.putBaseMonitor(c.getChannel(), c.getRecord().getBaseUpdateId(), c.getBaseMonitor().toByteArray()));
      for (MonitorUpdateRecord u : c.getUpdatesAfterBaseList()) {
        ops.add(Ops.appendMonitorUpdate(c.getChannel(), u.getUpdateId(), u.getUpdate().toByteArray()));
      }
    }
    ops.add(Ops.putManager(p.getManager().toByteArray()));
    for (KvEntry kv : p.getKvList()) {
      ops.add(Ops.putKv(kv.getKey(), kv.getValue().toByteArray(), force ? OptionalLong.empty() : OptionalLong.of(0)));
    }
    return ops;
  }

  /**
   * Restores {@code opened} into {@code store}.
   *
   * @param force restore into a store that already holds a manager or channels (the state
   *     machine still refuses a monitor older than the stored one)
   * @param maxEntryBytes the cluster's largest accepted command (raft max-entry-bytes)
   */
  public static Restored restore(ReplicatedStore store, BackupFormat.Opened opened, LeaderLocator leader, boolean force,
      long maxEntryBytes, Duration timeout) throws BackupException {
    BackupPayload p = opened.payload();
    StartupState now = firstRead(store, timeout);
    if (!force && (now.getChannelsCount() > 0 || !now.getManager().isEmpty())) {
      throw new BackupException("the store is not fresh: it holds " + now.getChannelsCount() + " channel(s)"
          + (now.getManager().isEmpty() ? "" : " and a ChannelManager") + " (applied index " + now.getAppliedIndex()
          + "). A restore is meant for a new cluster with empty data directories, started with `lnraft replica`;"
          + " nothing was written. Pass --force only if you are sure this state must be replaced.");
    }
    if (now.hasIdentity() && !now.getIdentity().equals(p.getIdentity())) {
      throw new BackupException("the store is bound to node " + BackupFormat.hex(now.getIdentity().getNodePublicKey().toByteArray())
          + " on " + now.getIdentity().getNetwork() + ", the backup is of node "
          + BackupFormat.hex(p.getIdentity().getNodePublicKey().toByteArray()) + " on " + p.getIdentity().getNetwork()
          + ": restore into a cluster of the same seed; nothing was written");
    }
    List<Op> ops = restoreOps(p, force);
    int bytes = ops.stream().mapToInt(Op::getSerializedSize).sum() + 16;
    if (bytes > maxEntryBytes) {
      throw new BackupException("the restore is one atomic commit of " + bytes + " bytes but the cluster accepts at"
          + " most " + maxEntryBytes + " (lnraft.raft.max-entry-bytes): raise that key on every replica, restart them,"
          + " and run the restore again; nothing was written");
    }
    WriterEpoch epoch = acquire(store, leader, timeout);
    CommitOutcome o = get(store.commit(epoch.getEpoch(), ops), timeout, "the restore commit");
    if (!(o instanceof CommitOutcome.Committed c)) {
      throw new BackupException("the store refused the restore commit (" + o + "); nothing of the backup was"
          + " written (only the writer epoch moved to " + epoch.getEpoch() + ")");
    }
    int updates = p.getChannelsList().stream().mapToInt(ChannelState::getUpdatesAfterBaseCount).sum();
    return new Restored(epoch.getEpoch(), c.logIndex(), p.getChannelsCount(), updates, p.getKvCount(), bytes);
  }

  /** AcquireEpoch through the current leader; a leader change in between is retried (bounded). */
  private static WriterEpoch acquire(ReplicatedStore store, LeaderLocator locator, Duration timeout) throws BackupException {
    Exception last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        Leader l = locator.locate();
        return store.acquireEpoch(l.replicaId(), l.term()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackupException("interrupted while taking a writer epoch; nothing was written", e);
      } catch (Exception e) {
        last = e;
        try {
          Thread.sleep(500L * (attempt + 1));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new BackupException("interrupted while taking a writer epoch; nothing was written", ie);
        }
      }
    }
    throw new BackupException("could not take a writer epoch (no stable Raft leader): " + describe(last)
        + "; nothing was written — check `lnraft status` and retry", last);
  }

  /**
   * The startup state, retried until {@code timeout} while the group has no ready leader (a
   * cluster just started, or an election): the linearizable read needs one.
   */
  private static StartupState firstRead(ReplicatedStore store, Duration timeout) throws BackupException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000));
      try {
        return get(store.startupState(), left, "the startup-state read");
      } catch (BackupException e) {
        if (Thread.currentThread().isInterrupted() || System.nanoTime() + 250_000_000L >= deadline) throw e;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackupException("interrupted while waiting for a Raft leader", e);
      }
    }
  }

  private static <T> T get(java.util.concurrent.CompletableFuture<T> f, Duration timeout, String what) throws BackupException {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackupException("interrupted during " + what, e);
    } catch (ExecutionException e) {
      throw new BackupException(what + " failed: " + describe(e.getCause())
          + " — is a majority of the replicas running? (`lnraft status`)", e.getCause());
    } catch (TimeoutException e) {
      throw new BackupException(what + " did not answer within " + timeout.toMillis()
          + " ms — is a majority of the replicas running? (`lnraft status`)", e);
    }
  }

  private static String describe(Throwable t) {
    if (t == null) return "unknown";
    Throwable c = t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t;
    return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }

}
