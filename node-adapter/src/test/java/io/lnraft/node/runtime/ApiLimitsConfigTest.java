package io.lnraft.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.ApiTlsSettings;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.NodeSettings;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.node.api.ApiServerConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lnraft.node.api-max-body-bytes and lnraft.api.tls reach the API server. The body limit did not:
 * the node started its API with the built-in 64 KiB whatever the file said.
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
    assertThat(NodeRuntime.apiServerConfig(c).tls()).isEmpty();
    ApiTlsSettings tls = new ApiTlsSettings(dir.resolve("api.crt"), dir.resolve("api.key"));
    assertThat(NodeRuntime.apiServerConfig(c.withApiTls(tls)).tls()).contains(tls);
  }
}
