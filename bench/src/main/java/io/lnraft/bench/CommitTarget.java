package io.lnraft.bench;

import java.util.List;

/**
 * One system the commit-latency harness measures: our replicated store over one transport, or a
 * baseline (fdatasync, local RocksDB, PostgreSQL, etcd). Every target gets the same payment commit
 * (one monitor update + one manager value) from the same closed-loop writers.
 */
interface CommitTarget extends AutoCloseable {
  /** Short name used in tables, the plot and {@code --systems}. */
  String name();

  /** What one commit is on this system, for the report. */
  String describe();

  /**
   * Writer number {@code index} of a run (each writer its own channel). Called before the clock
   * starts; may do set-up commits (e.g. a base monitor) and open connections.
   */
  Writer writer(int index) throws Exception;

  /** Processes (besides the harness JVM and its children) whose CPU counts as the bench's. */
  default List<Long> pids() {
    return List.of();
  }

  @Override
  default void close() throws Exception {}

  /** One writer's connection/state; used by one thread only. */
  interface Writer extends AutoCloseable {
    /** Builds one commit of these payloads; not timed. */
    Attempt prepare(byte[] update, byte[] manager) throws Exception;

    @Override
    default void close() throws Exception {}
  }

  /** A prepared commit: {@link #run} is what the clock measures; returns normally only once durable. */
  @FunctionalInterface
  interface Attempt {
    void run() throws Exception;
  }
}
