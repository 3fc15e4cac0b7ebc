package io.lnraft.node.e2e;

import io.lnraft.config.LocalClusterLayout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * Where the e2e fixture's processes live. {@link #LOOPBACK} (the default): everything on
 * 127.0.0.1 in this network namespace. Another placement (the fault suite's network namespaces)
 * gives each replica its own address and a command prefix to start it there, and makes the chain
 * simulator and the counterparty reachable from those replicas. Closed by the fixture after its
 * processes stopped; close must be idempotent and must not throw.
 */
public interface Placement extends AutoCloseable {
  Placement LOOPBACK = new Placement() {};

  /** Options of the cluster's generated layout. */
  default LocalClusterLayout.Options clusterOptions() {
    return LocalClusterLayout.Options.defaults();
  }

  /** The layout the replicas run with (e.g. the generated one with each replica's own address). */
  default LocalClusterLayout place(LocalClusterLayout generated) throws IOException {
    return generated;
  }

  /** Words before `java` when starting replica {@code index} (0-based). */
  default List<String> commandPrefix(int index) {
    return List.of();
  }

  /** Address the counterparty listens on (must be reachable from every replica). */
  default String counterpartyHost() {
    return "127.0.0.1";
  }

  /** The chain simulator's URL as the replicas reach it, if not its loopback URL. */
  default Optional<String> chainUrl(InetSocketAddress simulator) throws IOException {
    return Optional.empty();
  }

  @Override
  default void close() {}
}
