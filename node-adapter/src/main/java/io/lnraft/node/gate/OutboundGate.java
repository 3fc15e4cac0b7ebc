package io.lnraft.node.gate;

/**
 * Holds outbound peer bytes until the state they depend on is committed (invariant 1, persist
 * before send). Contract: {@link #hold} is called from LDK's {@code send_data} (under the read
 * side of the gate), copies nothing (the caller passes a fresh array), keeps per-channel order,
 * and returns at once; {@link #wakeCommitter} asks for a commit cycle soon (e.g. after
 * {@code process_events}). Implementations: the gated committer (production) and, for transport
 * tests only, an immediate pass-through.
 */
public interface OutboundGate {
  void hold(PeerChannel channel, byte[] data);

  void wakeCommitter();

  /** Runs an LDK call under the read side of the gate (peer bytes in, process_events, ticks). */
  <T> T underGate(java.util.function.Supplier<T> ldkCall);

  /** The pass-through gate for tests of the transport alone: bytes go out immediately. */
  static OutboundGate immediate() {
    return new OutboundGate() {
      private final Object lock = new Object();

      @Override
      public void hold(PeerChannel channel, byte[] data) {
        channel.release(data);
      }

      @Override
      public void wakeCommitter() {}

      @Override
      public <T> T underGate(java.util.function.Supplier<T> ldkCall) {
        synchronized (lock) {
          return ldkCall.get();
        }
      }
    };
  }
}
