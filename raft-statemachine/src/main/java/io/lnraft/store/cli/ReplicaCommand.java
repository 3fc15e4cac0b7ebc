package io.lnraft.store.cli;

import io.lnraft.config.ConfigException;
import io.lnraft.config.ConfigLoader;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.SeedFile;
import io.lnraft.store.LeadershipListener;
import io.lnraft.store.ReplicaServer;
import io.lnraft.store.StoreMetrics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft replica --config FILE}: runs one replica of the store (no Lightning node yet) until
 * SIGTERM/SIGINT. Prints {@code replica <id> started raft=<host:port>} once it serves.
 */
@Command(name = "replica", mixinStandardHelpOptions = true,
    description = "Run one replica of the replicated channel-state store (Ratis + RocksDB) until stopped.")
public final class ReplicaCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaCommand.class);

  /** Standalone entry point (tests and tools start a replica process with it). */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new ReplicaCommand()).execute(args));
  }

  @Option(names = "--config", required = true, description = "this replica's HOCON config file")
  Path config;

  @Option(names = "--join", description = "a NEW replica joining a running group: with an empty data directory it"
      + " waits, without voting, until lnraft add-replica/replace-replica adds it, then catches up by snapshot."
      + " No effect once it has a Raft log.")
  boolean join;

  @Option(names = "--ratis", hidden = true, description = "raw Ratis property KEY=VALUE layered on top of the config"
      + " (benchmarks and fault tests, e.g. small log segments); repeatable. Not for production use.")
  java.util.Map<String, String> ratisOverrides = new java.util.LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    ReplicaConfig cfg;
    try {
      cfg = ConfigLoader.load(config);
      SeedFile.readMnemonic(cfg.seedFile()); // the node will need it: refuse to start without a usable seed
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    ReplicaServer server;
    io.lnraft.store.StorageFailure.exitProcessOnFailure();
    try {
      server = ReplicaServer.start(cfg, StoreMetrics.inMemory(), ratisOverrides, join);
    } catch (io.lnraft.store.MembershipException | io.lnraft.store.DamagedStorageException e) {
      System.err.println(e.getMessage());
      return 1;
    }
    server.addLeadershipListener(new LeadershipListener() {
      @Override
      public void onReadyLeader(long term) {
        LOG.info("replica {} is the ready leader of term {}", cfg.replicaId(), term);
      }

      @Override
      public void onNotLeader(long term) {
        LOG.info("replica {} is no longer leader (term {})", cfg.replicaId(), term);
      }
    });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        LOG.warn("error while stopping replica {}: {}", cfg.replicaId(), e.toString());
      }
      stopped.countDown();
    }, "lnraft-replica-shutdown"));
    System.out.println("replica " + cfg.replicaId() + " started raft=" + cfg.self().raft() + " data=" + cfg.dataDir());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
