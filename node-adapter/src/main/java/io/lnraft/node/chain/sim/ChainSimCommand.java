package io.lnraft.node.chain.sim;

import io.lnraft.node.chain.RpcAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.bitcoinj.base.Coin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft chain-sim}: runs a {@link ChainSimulator} until the process is stopped. Prints
 * machine-readable lines on stdout once it serves: {@code chain-sim listening on 127.0.0.1:PORT}
 * and, with cookie auth, {@code chain-sim cookie-file PATH}. Without --rpc-user and without
 * --cookie-file, it writes a cookie to {@code DATA_DIR/.cookie} or, in memory, to a fresh
 * temporary directory.
 */
@Command(
    name = "chain-sim",
    mixinStandardHelpOptions = true,
    description = "Run a bitcoind-compatible regtest simulator (JSON-RPC on loopback) for tests and the demo.")
public final class ChainSimCommand implements Callable<Integer> {

  @Option(names = "--rpc-port", defaultValue = "18443", description = "Loopback port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int rpcPort;

  @Option(names = "--rpc-user", description = "RPC user (with --rpc-password).")
  Optional<String> rpcUser;

  @Option(names = "--rpc-password", description = "RPC password (with --rpc-user). Visible to other local users in the process list; prefer --cookie-file.")
  Optional<String> rpcPassword;

  @Option(names = "--cookie-file", description = "Write a fresh cookie (user:password) here and demand it.")
  Optional<Path> cookieFile;

  @Option(names = "--data-dir", description = "Keep the chain, mempool and wallet here so they survive a restart (default: in memory).")
  Optional<Path> dataDir;

  @Option(names = "--block-interval", converter = DurationConverter.class,
      description = "Also mine a block to the wallet every interval, e.g. 500ms, 10s, 1m (default: only on generatetoaddress).")
  Optional<Duration> blockInterval;

  @Option(names = "--initial-blocks", defaultValue = "" + ChainSimConfig.DEFAULT_INITIAL_BLOCKS,
      description = "Blocks mined to the wallet on a fresh start (default: ${DEFAULT-VALUE}, so one coinbase is spendable).")
  int initialBlocks;

  @Option(names = "--fee-rate", defaultValue = "5", description = "Fee rate in sat/vB reported by estimatesmartfee and used by fundrawtransaction (default: ${DEFAULT-VALUE}).")
  long feeRateSatPerVb;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The simulator configuration these options describe. */
  ChainSimConfig config() throws java.io.IOException {
    RpcAuth auth;
    if (rpcUser.isPresent() || rpcPassword.isPresent()) {
      if (rpcUser.isEmpty() || rpcPassword.isEmpty() || cookieFile.isPresent()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "give --rpc-user with --rpc-password, or --cookie-file, not both");
      }
      auth = RpcAuth.userPassword(rpcUser.get(), rpcPassword.get());
    } else if (cookieFile.isPresent()) {
      auth = RpcAuth.cookieFile(cookieFile.get());
    } else if (dataDir.isPresent()) {
      auth = RpcAuth.cookieFile(dataDir.get().resolve(".cookie"));
    } else {
      auth = RpcAuth.cookieFile(Files.createTempDirectory("chain-sim").resolve(".cookie"));
    }
    return new ChainSimConfig(rpcPort, auth, dataDir, blockInterval, initialBlocks,
        Coin.valueOf(Math.multiplyExact(feeRateSatPerVb, 1000)));
  }

  @Override
  public Integer call() throws Exception {
    ChainSimConfig config = config();
    ChainSimulator sim = ChainSimulator.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      sim.close();
      stopped.countDown();
    }, "chain-sim-shutdown"));
    System.out.println("chain-sim listening on 127.0.0.1:" + sim.address().getPort());
    if (config.auth() instanceof RpcAuth.CookieFile cookie) {
      System.out.println("chain-sim cookie-file " + cookie.path().toAbsolutePath());
    }
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** Parses 500ms, 10s, 2m, 1h or an ISO-8601 duration (PT10S). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      if (v.startsWith("pt")) {
        return Duration.parse(value);
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      switch (v.charAt(v.length() - 1)) {
        case 's': return Duration.ofSeconds(n);
        case 'm': return Duration.ofMinutes(n);
        case 'h': return Duration.ofHours(n);
        default: throw new CommandLine.TypeConversionException("not a duration: " + value + " (use 500ms, 10s, 2m, 1h)");
      }
    }
  }
}
