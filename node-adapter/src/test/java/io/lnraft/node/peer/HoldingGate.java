package io.lnraft.node.peer;

import io.lnraft.node.gate.OutboundGate;
import io.lnraft.node.gate.PeerChannel;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** A gate that keeps every outbound byte until the test opens it, like a committer that waits. */
final class HoldingGate implements OutboundGate {
  private record Held(PeerChannel channel, byte[] data) {}

  private final Queue<Held> held = new ArrayDeque<>();
  private final AtomicInteger wakeups = new AtomicInteger();
  private boolean open;

  @Override
  public synchronized void hold(PeerChannel channel, byte[] data) {
    if (open) {
      channel.release(data);
    } else {
      held.add(new Held(channel, data));
    }
  }

  @Override
  public void wakeCommitter() {
    wakeups.incrementAndGet();
  }

  @Override
  public synchronized <T> T underGate(Supplier<T> ldkCall) {
    return ldkCall.get();
  }

  synchronized int heldCount() {
    return held.size();
  }

  int wakeups() {
    return wakeups.get();
  }

  /** Releases the backlog in order; later bytes are still held. */
  synchronized void releaseHeld() {
    Held next;
    while ((next = held.poll()) != null) {
      next.channel().release(next.data());
    }
  }

  /** Releases the backlog and lets every later byte through at once. */
  synchronized void open() {
    releaseHeld();
    open = true;
  }
}
