package io.lnraft.node.gate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving journal of one replica: an append-only text file recording every instant at which
 * this replica's node acted under a writer epoch, so that an operator (or a test) can show that
 * no two replicas ever acted at the same instant. Contract: {@link #begin} is written to the
 * file BEFORE the act it announces starts (if it cannot be written, it throws and the act must
 * not happen); {@link Act#end} is written AFTER the act is over (peer bytes handed to the
 * kernel, a broadcast answered, a commit answered or given up). An act without an end record
 * ended no later than the next {@code start} record (the next process on this data directory):
 * a process cannot act after it died. Records are written with one unbuffered write(2) each, so
 * they survive SIGKILL of the process (not a power loss: no fsync, an audit trail only).
 *
 * <p>Acts: {@code commit} = a Raft commit of node state (submit to answer; AcquireEpoch
 * included), {@code release} = peer bytes let out or transactions broadcast. Line format (one
 * record per line, space-separated key=value after the record type):
 * <pre>
 * start pid=4711 mono=123 wall=2026-11-27T15:30:00.123Z replica=r1
 * begin act=3 kind=commit epoch=7 mono=456 wall=...
 * end act=3 epoch=7 mono=789 wall=...
 * </pre>
 * {@code mono} is System.nanoTime() (CLOCK_MONOTONIC on Linux: comparable between processes of
 * one machine, not across machines or reboots); {@code wall} is for humans. {@code epoch=0} in a
 * begin means "not known yet" (AcquireEpoch in flight); its end record names the epoch won.
 * Cost: two short write(2) calls per act (a few microseconds each against milliseconds per
 * commit); nothing is written while the node is idle.
 *
 * <p>Rotation: once the file holds {@code maxFileBytes}, the next record first renames it to
 * {@code serving-journal.1} (the older ones to {@code .2} ... {@code .<keepFiles>}, the oldest
 * beyond that deleted) and opens a new file, which starts with a {@code rotated} record and the
 * begin records of the acts still in flight, restated ({@code restated=yes}, their original
 * {@code mono}), so that every end record finds its begin even after older files are deleted.
 * Read the files oldest first: {@code serving-journal.<keepFiles>} ... {@code .1}, then
 * {@code serving-journal}. A rotation is a few renames and an open on the acting thread, once per
 * {@code maxFileBytes}; no record is buffered and nothing is fsynced. If a rotation fails (the
 * directory not writable, say) the journal keeps appending to the file it has, says so once, and
 * tries again after another sixteenth of {@code maxFileBytes}.
 */
public final class ServingJournal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServingJournal.class);
  /** File name inside the replica's data directory. */
  public static final String FILE_NAME = "serving-journal";

  /** What an act did. */
  public enum Kind {
    COMMIT("commit"), RELEASE("release");

    final String word;

    Kind(String word) {
      this.word = word;
    }
  }

  /** Default size at which the file is rotated (as reference.conf's node.serving-journal-max-file-bytes). */
  public static final long DEFAULT_MAX_FILE_BYTES = 64L << 20;
  /** Default number of rotated files kept (as reference.conf's node.serving-journal-keep-files). */
  public static final int DEFAULT_KEEP_FILES = 15;

  private static final ServingJournal DISABLED = new ServingJournal(null, null, "", Long.MAX_VALUE, 1, 0);

  private final Path path;
  private final String replicaId;
  private final long maxFileBytes;
  private final int keepFiles;
  private final AtomicLong nextAct = new AtomicLong(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  // Guarded by this (every record is written under the lock):
  private FileChannel file; // null when disabled
  /** Bytes in the current file (its size at open plus what this process wrote). */
  private long written;
  /** Size of the current file at which the next record first rotates. */
  private long rotateAt;
  /** Begin records of the acts without an end yet, by act id: restated at the top of a new file. */
  private final java.util.Map<Long, String> inFlight = new java.util.LinkedHashMap<>();
  private boolean rotationFailureReported;

  private ServingJournal(FileChannel file, Path path, String replicaId, long maxFileBytes, int keepFiles, long written) {
    this.file = file;
    this.path = path;
    this.replicaId = replicaId;
    this.maxFileBytes = maxFileBytes;
    this.keepFiles = keepFiles;
    this.written = written;
    this.rotateAt = maxFileBytes;
  }

  /** A journal that records nothing (node.serving-journal = off, unit tests). */
  public static ServingJournal disabled() {
    return DISABLED;
  }

  /** {@link #open(Path, String, long, int)} with the default rotation (64 MiB, 15 rotated files kept). */
  public static ServingJournal open(Path dataDir, String replicaId) throws IOException {
    return open(dataDir, replicaId, DEFAULT_MAX_FILE_BYTES, DEFAULT_KEEP_FILES);
  }

  /**
   * Opens (creates) {@code <dataDir>/serving-journal} for appending and writes the {@code start}
   * record of this process (after a rotation, if the file is already {@code maxFileBytes} long).
   *
   * @param maxFileBytes size at which the file is rotated (at least 1)
   * @param keepFiles rotated files kept, {@code serving-journal.1} (newest) to {@code .<keepFiles>} (at least 1)
   */
  public static ServingJournal open(Path dataDir, String replicaId, long maxFileBytes, int keepFiles) throws IOException {
    if (maxFileBytes < 1 || keepFiles < 1) {
      throw new IllegalArgumentException("serving journal rotation needs a positive size and at least one kept file,"
          + " got " + maxFileBytes + " bytes and " + keepFiles + " files");
    }
    Files.createDirectories(dataDir);
    Path p = dataDir.resolve(FILE_NAME);
    FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    ServingJournal j;
    try {
      j = new ServingJournal(ch, p, replicaId, maxFileBytes, keepFiles, ch.size());
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    try {
      j.record("start pid=" + ProcessHandle.current().pid() + " mono=" + System.nanoTime() + " wall=" + Instant.now()
          + " replica=" + replicaId, 0, 0);
    } catch (UncheckedIOException e) {
      j.close();
      throw new IOException("cannot write the serving journal " + p + ": " + e.getCause().getMessage()
          + " — check that the data directory is writable and not full", e.getCause());
    }
    return j;
  }

  public boolean enabled() {
    return file != null;
  }

  /** The journal's file, if enabled. */
  public java.util.Optional<Path> path() {
    return java.util.Optional.ofNullable(path);
  }

  /**
   * Records that an act is about to start; call it before the act and {@link Act#end} after it.
   *
   * @param epoch the writer epoch acted under, 0 while it is not known yet (AcquireEpoch)
   * @throws UncheckedIOException if the record cannot be written: the act must not happen then
   */
  public Act begin(Kind kind, long epoch) {
    if (file == null) return Act.NONE;
    long id = nextAct.getAndIncrement();
    record("begin act=" + id + " kind=" + kind.word + " epoch=" + epoch + " mono=" + System.nanoTime() + " wall="
        + Instant.now(), id, 0);
    return new Act(this, id, epoch);
  }

  /** One act in progress; {@link #end} is idempotent and thread-safe. */
  public static final class Act {
    static final Act NONE = new Act(null, 0, 0);
    private final ServingJournal journal;
    private final long id;
    private final long epoch;
    private final AtomicBoolean ended = new AtomicBoolean();

    private Act(ServingJournal journal, long id, long epoch) {
      this.journal = journal;
      this.id = id;
      this.epoch = epoch;
    }

    /** Records that the act is over. */
    public void end() {
      endAs(epoch);
    }

    /** Records that the act is over, under {@code epoch} (the epoch an AcquireEpoch won, or 0 if none). */
    public void endAs(long epoch) {
      if (journal == null || !ended.compareAndSet(false, true)) return;
      try {
        journal.record("end act=" + id + " epoch=" + epoch + " mono=" + System.nanoTime() + " wall=" + Instant.now(), 0, id);
      } catch (UncheckedIOException e) {
        // The act is over but unrecorded: the journal stays conservative (the act counts as
        // lasting until this process ends), so this is only worth a warning.
        LOG.warn("could not record the end of act {} in the serving journal {}: {}", id, journal.path, e.getCause().toString());
      }
    }
  }

  /**
   * Appends one record with one write(2) under the lock (O_APPEND): records never interleave, and
   * a SIGKILL after write returns cannot lose the record (it is in the page cache). Rotates first
   * when the file is full. {@code begins}/{@code ends}: the act this record begins or ends (0: none).
   */
  private synchronized void record(String line, long begins, long ends) {
    if (closed.get()) throw new UncheckedIOException(new IOException("serving journal " + path + " is closed"));
    if (written >= rotateAt) rotate();
    append(line);
    if (begins != 0) inFlight.put(begins, line);
    if (ends != 0) inFlight.remove(ends);
  }

  private void append(String line) {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
    try {
      while (b.hasRemaining()) written += file.write(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Path of rotated file {@code k} (1 = newest). */
  public static Path rotatedFile(Path current, int k) {
    return current.resolveSibling(current.getFileName() + "." + k);
  }

  /**
   * Renames the full file to {@code .1} (shifting the older ones, dropping the oldest), opens a new
   * one and writes its {@code rotated} record and the restated begins. Under the lock. A failed
   * rename or open leaves the journal appending where it was; a failed write of the new file's
   * first records throws like any record write.
   */
  private void rotate() {
    FileChannel next;
    try {
      // No file at the path: an earlier rotation renamed it but could not open the new one (the
      // open file is .1 then), or it was removed by hand. Only open a new file: shifting again
      // would push .1 down and drop the oldest file at every retry.
      if (Files.exists(path)) {
        Files.deleteIfExists(rotatedFile(path, keepFiles));
        for (int k = keepFiles - 1; k >= 1; k--) {
          Path from = rotatedFile(path, k);
          if (Files.exists(from)) Files.move(from, rotatedFile(path, k + 1), StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(path, rotatedFile(path, 1), StandardCopyOption.ATOMIC_MOVE);
      }
      // If this open fails, the records go on into the open file, now named .1: still in order.
      next = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    } catch (IOException | RuntimeException e) {
      rotateAt = written + Math.max(maxFileBytes / 16, 1);
      if (!rotationFailureReported) {
        rotationFailureReported = true;
        LOG.warn("could not rotate the serving journal {} ({}); it keeps growing in the file it has — check that"
            + " the data directory is writable; rotation is tried again as it grows", path, e.toString());
      }
      return;
    }
    FileChannel old = file;
    file = next;
    written = 0;
    rotateAt = maxFileBytes;
    rotationFailureReported = false;
    try {
      old.close();
    } catch (IOException e) {
      LOG.debug("closing the rotated serving journal: {}", e.toString());
    }
    append("rotated pid=" + ProcessHandle.current().pid() + " mono=" + System.nanoTime() + " wall=" + Instant.now()
        + " replica=" + replicaId + " previous=" + rotatedFile(path, 1).getFileName());
    for (String begin : inFlight.values()) append(begin + " restated=yes");
  }

  @Override
  public void close() {
    if (file == null || !closed.compareAndSet(false, true)) return;
    try {
      synchronized (this) {
        file.close();
      }
    } catch (IOException e) {
      LOG.debug("closing the serving journal: {}", e.toString());
    }
  }
}
