package io.lnraft.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.NodeSettings;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.api.ApiServerConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lnraft.node.api-max-body-bytes reaches the API server. It did not: the node started its API
 * with the built-in 64 KiB whatever the file said.
 */
class ApiLimitsConfigTest {
  @TempDir Path dir;

  @Test
  void theConfiguredBodyLimitAndAddressReachTheApiServer() throws Exception {
    ReplicaConfig c = LocalClusterLayout.generate(dir, 3).configs().get(0);
    NodeSettings n = c.node();
    ReplicaConfig small = c.withNode(new NodeSettings(n.alias(), n.reconnectInterval(), n.maxPeerConnections(), 2048));

    ApiServerConfig api = NodeRuntime.apiServerConfig(small);
    assertThat(api.maxBodyBytes()).isEqualTo(2048);
    assertThat(api.host()).isEqualTo(c.self().api().host());
    assertThat(api.port()).isEqualTo(c.self().api().port());
    assertThat(NodeRuntime.apiServerConfig(c).maxBodyBytes()).isEqualTo(n.apiMaxBodyBytes());
  }
}
