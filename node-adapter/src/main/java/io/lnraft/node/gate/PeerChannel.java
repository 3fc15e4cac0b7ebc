package io.lnraft.node.gate;

/**
 * One peer connection as the gate sees it (implemented by the peer transport). Contract:
 * {@link #release} writes bytes that the committer has cleared (their state is committed) in the
 * order given; {@link #close} drops the connection at once without writing anything more.
 */
public interface PeerChannel {
  void release(byte[] data);

  /**
   * {@link #release}, then {@code done} once the bytes are out of this process (handed to the
   * kernel) or dropped for good (the connection closed first). The serving journal ends its
   * release act there, so the act covers the real write, which happens later on another thread.
   * The default suits channels that write synchronously.
   */
  default void release(byte[] data, Runnable done) {
    try {
      release(data);
    } finally {
      done.run();
    }
  }

  void close();

  /** For logs: remote address, never keys. */
  String describe();
}
