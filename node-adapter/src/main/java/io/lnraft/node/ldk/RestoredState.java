package io.lnraft.node.ldk;

import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.MonitorUpdateRecord;
import io.lnraft.store.proto.StartupState;
import java.util.List;
import java.util.Optional;

/**
 * The committed LDK state a node starts from: the serialized ChannelManager (empty for a node that
 * never committed one) and, per channel, the base ChannelMonitor and the monitor updates stored
 * after it, in apply order. A manager without monitors, or monitors without a manager, is refused
 * by {@link LdkNode#start}: the atomic commit never produces either.
 */
public record RestoredState(Optional<byte[]> manager, List<Channel> channels) {
  public RestoredState {
    channels = List.copyOf(channels);
  }

  /** One channel: its base monitor and the updates after it, in order. */
  public record Channel(byte[] baseMonitor, List<byte[]> updatesAfterBase) {
    public Channel {
      updatesAfterBase = List.copyOf(updatesAfterBase);
    }
  }

  /** A node that never committed anything. */
  public static RestoredState empty() {
    return new RestoredState(Optional.empty(), List.of());
  }

  public boolean isEmpty() {
    return manager.isEmpty() && channels.isEmpty();
  }

  /** From the store's linearizable startup read. */
  public static RestoredState from(StartupState s) {
    Optional<byte[]> manager = s.getManager().isEmpty() ? Optional.empty() : Optional.of(s.getManager().toByteArray());
    List<Channel> channels = s.getChannelsList().stream().map(RestoredState::channel).toList();
    return new RestoredState(manager, channels);
  }

  private static Channel channel(ChannelState c) {
    if (c.getBaseMonitor().isEmpty()) {
      throw new IllegalArgumentException("stored channel " + c.getChannel() + " has no base monitor");
    }
    return new Channel(c.getBaseMonitor().toByteArray(),
        c.getUpdatesAfterBaseList().stream().map(MonitorUpdateRecord::getUpdate).map(b -> b.toByteArray()).toList());
  }
}
