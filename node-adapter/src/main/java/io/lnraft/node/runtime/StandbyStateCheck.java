package io.lnraft.node.runtime;

import io.lnraft.store.StateSealer;
import java.util.Optional;

/**
 * What a standby's periodic probe of the channel state (read from its own replica and opened with
 * its seed) should tell the operator. Two failures look alike and are not: state that does not open
 * with this replica's seed (a wrong seed file: say so at once) and a replica that cannot serve the
 * state yet (just restarted, or behind after a partition: normal for a while, worth a WARN only if
 * it lasts). One instance per standby, called from one thread.
 */
final class StandbyStateCheck {
  /** What to log: nothing, a WARN or an INFO. */
  record Say(boolean warn, String message) {}

  private final String replicaId;
  private final int behindProbesBeforeWarn;
  private final long probeIntervalSeconds;
  private boolean warned;
  private int behindProbes;

  /**
   * @param behindProbesBeforeWarn probes in a row the replica may be unable to serve the state
   *     before a WARN (a cut-off replica can need a minute to catch up: grpc-java's reconnect backoff)
   */
  StandbyStateCheck(String replicaId, int behindProbesBeforeWarn, long probeIntervalSeconds) {
    this.replicaId = replicaId;
    this.behindProbesBeforeWarn = behindProbesBeforeWarn;
    this.probeIntervalSeconds = probeIntervalSeconds;
  }

  /** The state was read and opened. */
  Optional<Say> opened() {
    behindProbes = 0;
    if (!warned) return Optional.empty();
    warned = false;
    return Optional.of(new Say(false, "replica " + replicaId + ": the channel state opens again"));
  }

  /** The read or the opening failed with {@code e}. */
  Optional<Say> failed(Throwable e) {
    if (causedBy(e, StateSealer.SealedDataException.class)) {
      behindProbes = 0;
      if (warned) return Optional.empty();
      warned = true;
      return Optional.of(new Say(true, "replica " + replicaId + ": this standby cannot open the cluster's channel state"
          + " in its replica (" + NodeRuntime.rootMessage(e) + "): it could not run the node if it became leader;"
          + " check that its seed file is the cluster's"));
    }
    if (++behindProbes != behindProbesBeforeWarn) return Optional.empty();
    warned = true;
    return Optional.of(new Say(true, "replica " + replicaId + ": for " + behindProbes * probeIntervalSeconds + " s this"
        + " standby's replica could not serve the cluster's channel state (" + NodeRuntime.rootMessage(e) + "): it is"
        + " behind the group or cut off from it, and could not take over now; check that it reaches the other"
        + " replicas (lnraft status)"));
  }

  static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
    return false;
  }
}
