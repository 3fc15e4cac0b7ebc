package io.lnraft.store.cli;

import io.lnraft.config.ConfigException;
import io.lnraft.config.ConfigLoader;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.RaftTuning;
import io.lnraft.store.StoreMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** What the admin commands (here and in node-adapter) share: loading a replica's config, and a bounded client of its group. */
public final class AdminClients {
  private AdminClients() {}

  /** The config, or empty after printing every problem in it to stderr (the command then exits 2). */
  public static Optional<ReplicaConfig> load(Path config) {
    try {
      return Optional.of(ConfigLoader.load(config));
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return Optional.empty();
    }
  }

  /** A store client of the config's group; every call bounded by {@code deadline}. */
  public static RaftStoreClient client(ReplicaConfig cfg, Duration deadline) {
    return new RaftStoreClient(RaftGroups.group(cfg), RaftTuning.properties(cfg.raft(), cfg.snapshot(), Map.of()),
        deadline, StoreMetrics.inMemory());
  }
}
