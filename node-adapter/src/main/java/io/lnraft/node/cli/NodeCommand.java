package io.lnraft.node.cli;

import io.lnraft.config.ApiToken;
import io.lnraft.config.BitcoindSettings;
import io.lnraft.config.ConfigException;
import io.lnraft.config.ConfigLoader;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.SeedFile;
import io.lnraft.node.chain.BitcoindRpcConfig;
import io.lnraft.node.chain.RpcAuth;
import io.lnraft.node.gate.FaultInjection;
import io.lnraft.node.runtime.NodeRuntime;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft node --config FILE}: one replica with its Lightning node. The node runs only while
 * this replica is the ready Raft leader; otherwise the replica applies the log (warm standby) and
 * its API answers 503 with the leader's address. A counterparty for tests and demos is the same
 * command on a single-replica group (allow-unsafe-group-size = true) with its own seed.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one replica with its Lightning node (acts only while it is the ready Raft leader).")
public final class NodeCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "this replica's HOCON config file")
  Path config;

  @Option(names = "--bitcoind-url", description = "bitcoind JSON-RPC URL (overrides lnraft.bitcoind.rpc-url)")
  URI bitcoindUrl;

  @Option(names = "--bitcoind-cookie-file", description = "bitcoind's .cookie file (overrides the config)")
  Path cookieFile;

  @Option(names = "--bitcoind-user", description = "RPC user, with --bitcoind-password-file (overrides the config)")
  String user;

  @Option(names = "--bitcoind-password-file", description = "file holding the RPC password, mode 0600 (overrides the config)")
  Path passwordFile;

  @Option(names = "--join", description = "a NEW replica joining a running group: with an empty data directory it"
      + " waits, without voting, until lnraft add-replica/replace-replica adds it, then catches up by snapshot")
  boolean join;

  @Override
  public Integer call() throws Exception {
    ReplicaConfig cfg;
    byte[] seed;
    String token;
    BitcoindRpcConfig bitcoind;
    try {
      cfg = ConfigLoader.load(config);
      seed = SeedFile.read(cfg.seedFile());
      token = ApiToken.read(cfg.apiTokenFile());
      bitcoind = bitcoind(cfg);
    } catch (ConfigException | IllegalArgumentException | IllegalStateException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    try {
      // Parsed now, so a malformed value stops the start instead of failing in the first commit cycle.
      FaultInjection.armed().ifPresent(spec -> System.out.println("fault injection armed (TEST HOOK, "
          + FaultInjection.CRASH_PROPERTY + "): halt at " + spec.value()));
    } catch (ExceptionInInitializerError e) {
      System.err.println(e.getCause().getMessage());
      return 2;
    }
    NodeRuntime runtime;
    io.lnraft.store.StorageFailure.exitProcessOnFailure();
    try {
      runtime = new NodeRuntime(cfg, new NodeRuntime.Options(bitcoind, seed, token, Duration.ofSeconds(5),
          cfg.node().reconnectInterval(), cfg.node().maxPeerConnections()), join);
    } catch (io.lnraft.store.MembershipException | io.lnraft.store.DamagedStorageException e) {
      System.err.println(e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      runtime.close();
      stopped.countDown();
    }, "lnraft-node-shutdown"));
    System.out.println("node " + cfg.replicaId() + " started api=" + runtime.apiAddress().getHostString() + ":"
        + runtime.apiAddress().getPort() + " node_id=" + runtime.info().nodeId());
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** The bitcoind backend: command-line flags first, then lnraft.bitcoind of the config. */
  private BitcoindRpcConfig bitcoind(ReplicaConfig cfg) throws java.io.IOException {
    if (bitcoindUrl != null || cookieFile != null || user != null || passwordFile != null) {
      if (bitcoindUrl == null) throw new IllegalArgumentException("--bitcoind-url is required with the other --bitcoind-* flags");
      if (cookieFile != null) return BitcoindRpcConfig.of(bitcoindUrl, RpcAuth.cookieFile(cookieFile));
      if (user != null && passwordFile != null) {
        BitcoindSettings s = BitcoindSettings.password(bitcoindUrl, user, passwordFile);
        return BitcoindRpcConfig.of(bitcoindUrl, RpcAuth.userPassword(user, s.readPassword()));
      }
      throw new IllegalArgumentException("give bitcoind credentials: --bitcoind-cookie-file FILE, or --bitcoind-user U"
          + " --bitcoind-password-file F");
    }
    BitcoindSettings s = cfg.requireBitcoind();
    RpcAuth auth = s.cookieFile().isPresent() ? RpcAuth.cookieFile(s.cookieFile().get())
        : RpcAuth.userPassword(s.user().orElseThrow(), s.readPassword());
    return BitcoindRpcConfig.of(s.rpcUrl(), auth);
  }
}
