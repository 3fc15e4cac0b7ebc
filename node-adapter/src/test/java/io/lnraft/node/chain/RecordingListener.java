package io.lnraft.node.chain;

import java.util.ArrayList;
import java.util.List;
import org.bitcoinj.core.Block;

/** Records what a follower delivered, as "+height:hash" (connected) and "-height:hash" (disconnected). */
final class RecordingListener implements ChainListener {
  final List<String> events = new ArrayList<>();
  final List<Block> connected = new ArrayList<>();

  @Override
  public void onBlockConnected(Block block, int height) {
    events.add("+" + height + ":" + block.getHash());
    connected.add(block);
  }

  @Override
  public void onBlockDisconnected(Block block, int height) {
    events.add("-" + height + ":" + block.getHash());
  }

  static String plus(int height, Object hash) {
    return "+" + height + ":" + hash;
  }

  static String minus(int height, Object hash) {
    return "-" + height + ":" + hash;
  }
}
