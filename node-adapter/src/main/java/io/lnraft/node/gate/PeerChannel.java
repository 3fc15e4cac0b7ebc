package io.lnraft.node.gate;

/**
 * One peer connection as the gate sees it (implemented by the peer transport). Contract:
 * {@link #release} writes bytes that the committer has cleared (their state is committed) in the
 * order given; {@link #close} drops the connection at once without writing anything more.
 */
public interface PeerChannel {
  void release(byte[] data);

  void close();

  /** For logs: remote address, never keys. */
  String describe();
}
