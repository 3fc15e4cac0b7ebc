package io.lnraft.store;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replica does when it can no longer write its Raft log or its channel-state database
 * (disk full, I/O error): it stops. Ratis 3.3 on its own only fails the log worker (every later
 * append fails, the division keeps running, a leader keeps leading on its followers' logs) or, for
 * an exception from apply, closes the division while the process lives on. Neither is what an
 * operator or a supervisor (systemd, Kubernetes) can see and act on.
 *
 * <p>Contract: {@link #stop} logs one ERROR line naming the failure and what to do, then stops the
 * replica once. In a replica or node process ({@link #exitProcessOnFailure} was called by the
 * command) the process exits with {@link #EXIT_CODE} after its shutdown hooks (which stop the
 * Lightning node at once); a halt follows if the hooks hang. Elsewhere (tests running several
 * replicas in one JVM) only the replica's Raft server is closed.
 */
public final class StorageFailure {
  private static final Logger LOG = LoggerFactory.getLogger(StorageFailure.class);

  /** EX_IOERR of sysexits.h: the supervisor sees an I/O failure, not a crash. */
  public static final int EXIT_CODE = 74;

  private static volatile boolean exitProcess;
  private final AtomicBoolean stopped = new AtomicBoolean();

  /** Called once by the {@code replica} and {@code node} commands: a storage failure ends the process. */
  public static void exitProcessOnFailure() {
    exitProcess = true;
  }

  /**
   * Reports a storage failure and stops the replica (once; later calls only log at ERROR).
   *
   * @param closeServer closes this replica's Raft server (used when the process must not exit)
   */
  void stop(String message, Throwable cause, Runnable closeServer) {
    if (!stopped.compareAndSet(false, true)) {
      LOG.error("{} (already stopping)", message);
      return;
    }
    LOG.error(message, cause);
    Thread t = new Thread(() -> {
      if (exitProcess) {
        Thread halt = new Thread(() -> {
          sleep(20_000);
          Runtime.getRuntime().halt(EXIT_CODE);
        }, "lnraft-storage-failure-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(EXIT_CODE);
      } else {
        closeServer.run();
      }
    }, "lnraft-storage-failure-stop");
    t.setDaemon(!exitProcess);
    t.start();
  }

  boolean hasStopped() {
    return stopped.get();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
