package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Garbage, unknown versions and oversized entries against real servers: refused, nothing changes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputTest {
  @TempDir Path dir;

  @Test
  void badCommandsGetClearErrorsAndTheClusterKeepsServing() throws Exception {
    try (TestCluster c = TestCluster.start(dir)) {
      RaftStoreClient client = c.client();
      WriterEpoch e = c.acquireOnLeader(client);
      int leader = c.lastWriter;
      CommitOutcome.Committed first = (CommitOutcome.Committed) client.commit(e.getEpoch(),
          List.of(Ops.putManager(new byte[] {1}))).get();
      c.awaitApplied(first.logIndex());
      byte[] before = c.localDigest(leader);
      long appliedBefore = c.servers[leader].stateMachine().appliedIndex();

      assertThat(client.submit(new byte[] {(byte) 0xff, (byte) 0xff, 0x01}).get(15, TimeUnit.SECONDS))
          .isInstanceOfSatisfying(CommitOutcome.Invalid.class, i -> assertThat(i.message()).contains("undecodable"));
      byte[] truncated = Envelope.newBuilder().setFormatVersion(1).setCommit(Commit.newBuilder().setEpoch(e.getEpoch())
          .addOps(Ops.putManager(new byte[100]))).build().toByteArray();
      assertThat(client.submit(java.util.Arrays.copyOf(truncated, truncated.length - 7)).get(15, TimeUnit.SECONDS))
          .isInstanceOf(CommitOutcome.Invalid.class);
      byte[] future = Envelope.newBuilder().setFormatVersion(7).setCommit(Commit.newBuilder().setEpoch(e.getEpoch())
          .addOps(Ops.putManager(new byte[] {2}))).build().toByteArray();
      assertThat(client.submit(future).get(15, TimeUnit.SECONDS))
          .isInstanceOfSatisfying(CommitOutcome.Invalid.class, i -> assertThat(i.message()).contains("version 7"));
      long max = c.configs.get(0).raft().maxEntryBytes();
      assertThat(client.commit(e.getEpoch(), List.of(Ops.putManager(new byte[(int) max + 1]))).get(30, TimeUnit.SECONDS))
          .isInstanceOfSatisfying(CommitOutcome.Invalid.class, i -> assertThat(i.message()).contains("max-entry-bytes"));
      assertThat(client.commit(e.getEpoch(), List.of()).get(15, TimeUnit.SECONDS))
          .isInstanceOfSatisfying(CommitOutcome.Invalid.class, i -> assertThat(i.message()).contains("no ops"));

      // None of it reached the log; state unchanged; the cluster still commits.
      assertThat(c.servers[leader].stateMachine().appliedIndex()).isEqualTo(appliedBefore);
      assertThat(c.localDigest(leader)).isEqualTo(before);
      assertThat(c.metrics.rejectedCount(io.lnraft.store.proto.Status.INVALID)).isGreaterThanOrEqualTo(5);
      assertThat(client.commit(e.getEpoch(), List.of(Ops.putManager(new byte[] {3}))).get(15, TimeUnit.SECONDS))
          .isInstanceOf(CommitOutcome.Committed.class);
    }
  }
}
