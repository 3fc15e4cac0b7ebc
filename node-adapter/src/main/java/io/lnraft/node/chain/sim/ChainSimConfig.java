package io.lnraft.node.chain.sim;

import io.lnraft.node.chain.RpcAuth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.bitcoinj.base.Coin;

/**
 * How to run a {@link ChainSimulator}: the loopback port (0 = any free port), the RPC auth it
 * demands (for a cookie, the simulator writes a fresh cookie to that path and deletes it on
 * close), where to keep its state (empty = in memory), whether to mine a block on a timer, how
 * many blocks to mine to its wallet on a fresh start (101 makes one coinbase spendable), and the
 * fee rate estimatesmartfee reports and fundrawtransaction uses by default.
 */
public record ChainSimConfig(
    int rpcPort,
    RpcAuth auth,
    Optional<Path> dataDir,
    Optional<Duration> blockInterval,
    int initialBlocks,
    Coin feeRatePerKvB) {

  public static final int DEFAULT_INITIAL_BLOCKS = 101;
  /** 5 sat/vB. */
  public static final Coin DEFAULT_FEE_RATE_PER_KVB = Coin.valueOf(5_000);

  public ChainSimConfig {
    if (rpcPort < 0 || rpcPort > 65535) {
      throw new IllegalArgumentException("rpcPort out of range: " + rpcPort);
    }
    if (initialBlocks < 0) {
      throw new IllegalArgumentException("initialBlocks must be >= 0");
    }
    if (!feeRatePerKvB.isPositive()) {
      throw new IllegalArgumentException("feeRatePerKvB must be positive");
    }
    blockInterval.ifPresent(d -> {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("blockInterval must be positive");
      }
    });
  }

  /** In memory, any free port, no timer, 101 initial blocks, 5 sat/vB. */
  public static ChainSimConfig inMemory(RpcAuth auth) {
    return new ChainSimConfig(
        0, auth, Optional.empty(), Optional.empty(), DEFAULT_INITIAL_BLOCKS, DEFAULT_FEE_RATE_PER_KVB);
  }

  public ChainSimConfig withDataDir(Path dir) {
    return new ChainSimConfig(rpcPort, auth, Optional.of(dir), blockInterval, initialBlocks, feeRatePerKvB);
  }

  public ChainSimConfig withBlockInterval(Duration interval) {
    return new ChainSimConfig(rpcPort, auth, dataDir, Optional.of(interval), initialBlocks, feeRatePerKvB);
  }

  public ChainSimConfig withInitialBlocks(int blocks) {
    return new ChainSimConfig(rpcPort, auth, dataDir, blockInterval, blocks, feeRatePerKvB);
  }

  public ChainSimConfig withFeeRate(Coin perKvB) {
    return new ChainSimConfig(rpcPort, auth, dataDir, blockInterval, initialBlocks, perKvB);
  }

  public ChainSimConfig withRpcPort(int port) {
    return new ChainSimConfig(port, auth, dataDir, blockInterval, initialBlocks, feeRatePerKvB);
  }
}
