package io.lnraft.store.cli;

import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.store.RaftStoreClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft snapshot --config FILE [--replica rN]}: asks replicas to take a snapshot now (a
 * RocksDB checkpoint; Ratis then purges the log behind it). Every replica by default.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Take a snapshot (RocksDB checkpoint) on every replica, or on one with --replica; the log behind it is purged.")
public final class SnapshotCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "any replica's config file")
  Path config;

  @Option(names = "--replica", description = "only this replica id")
  String only;

  @Option(names = "--timeout", defaultValue = "30s", converter = StatusCommand.DurationConverter.class,
      description = "deadline per replica (default ${DEFAULT-VALUE})")
  Duration timeout;

  @Override
  public Integer call() {
    Optional<ReplicaConfig> loaded = AdminClients.load(config);
    if (loaded.isEmpty()) return 2;
    ReplicaConfig cfg = loaded.get();
    if (only != null && cfg.replicas().stream().noneMatch(r -> r.id().equals(only))) {
      System.err.println("no replica '" + only + "' in " + config + "; replicas: "
          + cfg.replicas().stream().map(ReplicaEndpoint::id).toList());
      return 2;
    }
    int failed = 0;
    try (RaftStoreClient client = AdminClients.client(cfg, timeout)) {
      for (ReplicaEndpoint r : cfg.replicas()) {
        if (only != null && !r.id().equals(only)) continue;
        try {
          // creation gap 1: an operator's request is honoured even right after the previous snapshot
          RaftClientReply reply = client.raftClient().getSnapshotManagementApi(RaftPeerId.valueOf(r.id()))
              .create(1, timeout.toMillis());
          if (reply.isSuccess()) {
            System.out.println(r.id() + ": snapshot at log index " + reply.getLogIndex());
          } else {
            failed++;
            System.out.println(r.id() + ": failed: " + reply.getException());
          }
        } catch (Exception e) {
          failed++;
          System.out.println(r.id() + ": unreachable (" + e.getClass().getSimpleName() + ")");
        }
      }
    }
    return failed == 0 ? 0 : 1;
  }
}
