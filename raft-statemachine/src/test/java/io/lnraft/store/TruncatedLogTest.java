package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.config.RpcType;
import io.lnraft.config.SnapshotSettings;
import io.lnraft.store.proto.WriterEpoch;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower's Raft log cut short while it is stopped (entries it had fsynced and applied are
 * gone; Ratis alone takes the cut for a torn last write and starts): the start-up check refuses
 * it, naming the log, because voting with that log could elect a leader without those entries.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TruncatedLogTest {
  @TempDir Path dir;

  @Test
  void aLogThatEndsBelowTheAppliedIndexIsRefusedAtStart() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, RpcType.GRPC, new SnapshotSettings(false, 10_000, 2), Map.of())) {
      RaftStoreClient client = c.client();
      WriterEpoch e = c.acquireOnLeader(client);
      client.commit(e.getEpoch(), List.of(Ops.putBaseMonitor(ReplicatedStoreTest.channel(1), 0, new byte[4096]))).get();
      long idx = RecoveryTest.writeSome(client, e.getEpoch(), 1, 1, 30);
      c.awaitApplied(idx);
      int victim = (c.lastWriter + 1) % 3;
      long applied = c.servers[victim].stateMachine().appliedIndex();
      c.stop(victim);

      Path segment;
      try (Stream<Path> s = Files.walk(c.configs.get(victim).dataDir().resolve("raft"))) {
        segment = s.filter(p -> p.getFileName().toString().startsWith("log_inprogress_")).findFirst().orElseThrow();
      }
      try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
        f.setLength(dataEnd(segment) / 2); // cuts about half of the entries
      }

      assertThatThrownBy(() -> c.start(victim)).isInstanceOf(DamagedStorageException.class)
          .hasMessageContaining("REFUSES TO START").hasMessageContaining("has applied index " + applied)
          .hasMessageContaining(segment.getFileName().toString());
      assertThat(c.servers[victim]).isNull();
      // The other two go on committing.
      assertThat(RecoveryTest.writeSome(client, e.getEpoch(), 1, 31, 3)).isGreaterThan(idx);
    }
  }

  /** Offset one past the last non-zero byte (Ratis preallocates segments with zeros). */
  static long dataEnd(Path f) throws java.io.IOException {
    byte[] all = Files.readAllBytes(f);
    int end = all.length;
    while (end > 0 && all[end - 1] == 0) end--;
    return end;
  }
}
