package io.lnraft.node.chain;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows bitcoind's best chain from a known tip and tells a {@link ChainListener} which blocks
 * were connected and disconnected, in chain order (see the listener's contract).
 *
 * <p>Contract: {@link #poll()} brings the listener from the current tip to bitcoind's best block.
 * If the current tip is no longer on the best chain (a reorg), it first disconnects blocks from
 * the tip down to the fork point (the highest block still on the best chain), then connects the
 * new branch. If the chain changes while it runs, it notices (each block must extend the current
 * tip) and starts over from the fork point. To resume after a restart, construct the follower
 * with the last {@link ChainTip} the owner persisted; bitcoind must still have the blocks of a
 * stale branch (it keeps them unless pruned) to disconnect them. {@link #start} polls on a timer
 * in a background thread, logging and retrying failed polls; {@link #poll} and the timer are
 * mutually exclusive.
 */
public final class BlockFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockFollower.class);

  private final BitcoindRpcClient rpc;
  private final ChainListener listener;
  private volatile ChainTip tip;
  private ScheduledExecutorService timer;

  public BlockFollower(BitcoindRpcClient rpc, ChainTip from, ChainListener listener) {
    this.rpc = rpc;
    this.tip = from;
    this.listener = listener;
  }

  /** The last block the listener has been told about (connected, or the parent of a disconnect). */
  public ChainTip tip() {
    return tip;
  }

  /**
   * Delivers every change between the current tip and bitcoind's best block; returns the new tip.
   * Throws {@link BitcoindRpcException} (RPC failures) or whatever the listener throws; the tip
   * then stays at the last block whose callback returned.
   */
  public synchronized ChainTip poll() {
    while (true) {
      int best = rpc.getBlockCount();
      while (!onBestChain(tip)) {
        if (tip.height() == 0) {
          throw new IllegalStateException("genesis " + tip.hash() + " is not on bitcoind's chain: wrong network?");
        }
        Block stale = rpc.getBlock(tip.hash());
        listener.onBlockDisconnected(stale, tip.height());
        tip = new ChainTip(stale.getPrevBlockHash(), tip.height() - 1);
        log.info("disconnected block {}; tip now {}", stale.getHash(), tip);
      }
      boolean raced = false;
      while (tip.height() < best) {
        Block next;
        try {
          next = rpc.getBlock(rpc.getBlockHash(tip.height() + 1));
        } catch (BitcoindRpcException.RpcError e) {
          if (e.code() != BitcoindErrorCode.INVALID_PARAMETER) {
            throw e;
          }
          raced = true; // the chain got shorter since getblockcount
          break;
        }
        if (!next.getPrevBlockHash().equals(tip.hash())) {
          raced = true; // a reorg happened between our checks
          break;
        }
        listener.onBlockConnected(next, tip.height() + 1);
        tip = new ChainTip(next.getHash(), tip.height() + 1);
        log.debug("connected block {}", tip);
      }
      if (!raced) {
        return tip;
      }
    }
  }

  private boolean onBestChain(ChainTip t) {
    try {
      Sha256Hash atHeight = rpc.getBlockHash(t.height());
      return atHeight.equals(t.hash());
    } catch (BitcoindRpcException.RpcError e) {
      if (e.code() == BitcoindErrorCode.INVALID_PARAMETER) {
        return false; // height above bitcoind's tip: the chain got shorter
      }
      throw e;
    }
  }

  /** Polls every {@code interval} in a daemon thread until {@link #close()}. */
  public synchronized void start(Duration interval) {
    if (timer != null) {
      throw new IllegalStateException("already started");
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "block-follower");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::pollLogged, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void pollLogged() {
    try {
      poll();
    } catch (RuntimeException e) {
      log.warn("chain poll failed at tip {}: {}", tip, e.toString());
    }
  }

  /** Stops the timer (if started) and waits briefly for a running poll to finish. */
  @Override
  public void close() {
    ScheduledExecutorService t;
    synchronized (this) {
      t = timer;
    }
    if (t != null) {
      t.shutdownNow();
      try {
        t.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
