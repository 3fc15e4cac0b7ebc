package io.lnraft.node.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's main job in a short mode: its JSON summary is the contract scripts rely on. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void shortDemoPaysThroughAKillWithoutForceCloses() throws Exception {
    Path json = dir.resolve("summary.json");
    Path png = dir.resolve("latency.png");
    int exit = new CommandLine(new DemoCommand()).execute("--duration", "20", "--kills", "1", "--dir",
        dir.resolve("work").toString(), "--json", json.toString(), "--png", png.toString());
    JsonNode s = ApiClient.JSON.readTree(json.toFile());
    assertThat(exit).as("demo exit code; summary %s", s).isZero();
    assertThat(s.get("payments_sent").asLong()).isPositive();
    assertThat(s.get("payments_after_last_kill").asLong()).isPositive();
    assertThat(s.get("force_closes").asInt()).isZero();
    assertThat(s.get("balances_agree").asBoolean()).isTrue();
    assertThat(s.get("failover_ms")).hasSize(1);
    assertThat(s.get("failover_ms").get(0).get("new_leader_ready").asLong()).isPositive();
    assertThat(s.get("failover_ms").get(0).get("peer_reconnected").asLong())
        .isGreaterThanOrEqualTo(s.get("failover_ms").get(0).get("new_leader_ready").asLong());
    assertThat(s.get("commit_latency_ms").get("p50").asDouble()).isPositive();
    Set<String> ids = new HashSet<>();
    s.get("node_id_per_leader").forEach(n -> ids.add(n.asText()));
    assertThat(s.get("node_id_per_leader")).hasSize(2);
    assertThat(ids).hasSize(1);
    assertThat(Files.size(png)).isPositive();
    // Everything it started is gone: no replica still answers on the cluster's ports.
    try (var files = Files.list(dir.resolve("work"))) {
      assertThat(files.filter(p -> p.toString().endsWith(".log")).count()).isEqualTo(4);
    }
  }
}
