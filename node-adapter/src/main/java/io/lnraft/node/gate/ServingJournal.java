package io.lnraft.node.gate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

  private static final ServingJournal DISABLED = new ServingJournal(null, null);

  private final FileChannel file; // null when disabled
  private final Path path;
  private final AtomicLong nextAct = new AtomicLong(1);
  private final AtomicBoolean closed = new AtomicBoolean();

  private ServingJournal(FileChannel file, Path path) {
    this.file = file;
    this.path = path;
  }

  /** A journal that records nothing (node.serving-journal = off, unit tests). */
  public static ServingJournal disabled() {
    return DISABLED;
  }

  /**
   * Opens (creates) {@code <dataDir>/serving-journal} for appending and writes the {@code start}
   * record of this process.
   */
  public static ServingJournal open(Path dataDir, String replicaId) throws IOException {
    Files.createDirectories(dataDir);
    Path p = dataDir.resolve(FILE_NAME);
    FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    ServingJournal j = new ServingJournal(ch, p);
    try {
      j.write("start pid=" + ProcessHandle.current().pid() + " mono=" + System.nanoTime() + " wall=" + Instant.now()
          + " replica=" + replicaId);
    } catch (UncheckedIOException e) {
      ch.close();
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
    write("begin act=" + id + " kind=" + kind.word + " epoch=" + epoch + " mono=" + System.nanoTime() + " wall="
        + Instant.now());
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
        journal.write("end act=" + id + " epoch=" + epoch + " mono=" + System.nanoTime() + " wall=" + Instant.now());
      } catch (UncheckedIOException e) {
        // The act is over but unrecorded: the journal stays conservative (the act counts as
        // lasting until this process ends), so this is only worth a warning.
        LOG.warn("could not record the end of act {} in the serving journal {}: {}", id, journal.path, e.getCause().toString());
      }
    }
  }

  private void write(String line) {
    if (closed.get()) throw new UncheckedIOException(new IOException("serving journal " + path + " is closed"));
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
    try {
      // One write(2) per record under the lock (O_APPEND): records never interleave, and a
      // SIGKILL after write returns cannot lose the record (it is in the page cache).
      synchronized (this) {
        while (b.hasRemaining()) file.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (file == null || !closed.compareAndSet(false, true)) return;
    try {
      file.close();
    } catch (IOException e) {
      LOG.debug("closing the serving journal: {}", e.toString());
    }
  }
}
