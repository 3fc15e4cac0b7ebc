package io.lnraft.node.backup;

import static io.lnraft.node.backup.BackupFormatTest.NODE;
import static io.lnraft.node.backup.BackupFormatTest.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lnraft.backup.proto.BackupPayload;
import io.lnraft.store.CommitOutcome;
import io.lnraft.store.InMemoryReplicatedStore;
import io.lnraft.store.Ops;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.DigestResult;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.StartupState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Export from one store and restore into another, through the store's transition (the in-memory
 * store runs the same StoreTransition as the replicated one): the restored store reads back the
 * same channels, updates, manager, identity and peers; every refusal leaves the target unchanged.
 */
class StaticChannelBackupTest {
  static final Duration T = Duration.ofSeconds(5);
  static final StaticChannelBackup.LeaderLocator R1 = () -> new StaticChannelBackup.Leader("r1", 1);
  private final InMemoryReplicatedStore source = new InMemoryReplicatedStore();
  private final InMemoryReplicatedStore target = new InMemoryReplicatedStore();

  @AfterEach
  void close() {
    source.close();
    target.close();
  }

  /** A source store as a node leaves it: identity, two channels (one with updates after a compaction), manager, peers. */
  private void fillSource() throws Exception {
    long epoch = source.acquireEpoch("r2", 3).get().getEpoch();
    Random r = new Random(5);
    ChannelKey a = Ops.channel(bytes(r, 32), 0);
    ChannelKey b = Ops.channel(bytes(r, 32), 1);
    List<Op> ops = new ArrayList<>();
    ops.add(Ops.bindIdentity("org.bitcoin.regtest", NODE));
    ops.add(Ops.putBaseMonitor(a, 0, bytes(r, 4500)));
    ops.add(Ops.putBaseMonitor(b, 0, bytes(r, 4500)));
    ops.add(Ops.putManager(bytes(r, 3900)));
    ops.add(Ops.putKv("peers/index", "02ab 127.0.0.1:9735\n".getBytes(StandardCharsets.UTF_8), OptionalLong.empty()));
    commit(source, epoch, ops);
    for (long u = 1; u <= 64; u++) {
      commit(source, epoch, List.of(Ops.appendMonitorUpdate(a, u, bytes(r, 380)), Ops.putManager(bytes(r, 3900))));
    }
    commit(source, epoch, List.of(Ops.putBaseMonitor(a, 64, bytes(r, 5000)))); // compaction drops updates <= 64
    for (long u = 65; u <= 73; u++) commit(source, epoch, List.of(Ops.appendMonitorUpdate(a, u, bytes(r, 380))));
    commit(source, epoch, List.of(Ops.appendMonitorUpdate(b, 1, bytes(r, 380)), Ops.putManager(bytes(r, 3900))));
  }

  private static void commit(InMemoryReplicatedStore s, long epoch, List<Op> ops) throws Exception {
    assertThat(s.commit(epoch, ops).get()).isInstanceOf(CommitOutcome.Committed.class);
  }

  private static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private BackupFormat.Opened exportSource() throws Exception {
    BackupPayload p = StaticChannelBackup.read(source, T);
    byte[] file = BackupFormat.seal(StaticChannelBackup.header("c", "regtest", p, 1L), p, SEED);
    return BackupFormat.open(file, SEED, NODE);
  }

  @Test
  void exportThenRestoreReadsBackTheSameState() throws Exception {
    fillSource();
    BackupFormat.Opened o = exportSource();
    assertThat(o.payload().getChannelsCount()).isEqualTo(2);

    StaticChannelBackup.Restored r = StaticChannelBackup.restore(target, o, R1, false, 16 << 20, T);
    assertThat(r.channels()).isEqualTo(2);
    assertThat(r.monitorUpdates()).isEqualTo(9 + 1); // a: 65..73 after the base at 64; b: 1
    assertThat(r.kvKeys()).isEqualTo(1);

    StartupState from = source.startupState().get();
    StartupState to = target.startupState().get();
    assertThat(to.getManager()).isEqualTo(from.getManager());
    assertThat(to.getIdentity()).isEqualTo(from.getIdentity());
    assertThat(to.getChannelsList()).isEqualTo(from.getChannelsList());
    assertThat(to.getWriter().getEpoch()).as("a new epoch on the target").isEqualTo(r.epoch()).isEqualTo(1);
    assertThat(target.kv("peers/index").get().getRecord().getValue()).isEqualTo(source.kv("peers/index").get().getRecord().getValue());
    // The restored store continues like the original: the next update id is accepted.
    ChannelKey a = to.getChannels(0).getChannel();
    long next = to.getChannels(0).getRecord().getLatestUpdateId() + 1;
    long epoch = target.acquireEpoch("r1", 2).get().getEpoch();
    assertThat(target.commit(epoch, List.of(Ops.appendMonitorUpdate(a, next, new byte[] {1}))).get())
        .isInstanceOf(CommitOutcome.Committed.class);
  }

  @Test
  void aStoreWithStateIsRefusedAndUnchanged() throws Exception {
    fillSource();
    BackupFormat.Opened o = exportSource();
    StaticChannelBackup.restore(target, o, R1, false, 16 << 20, T);
    DigestResult before = target.digest().get();
    assertThatThrownBy(() -> StaticChannelBackup.restore(target, o, R1, false, 16 << 20, T))
        .isInstanceOf(BackupException.class).hasMessageContaining("the store is not fresh")
        .hasMessageContaining("2 channel(s)").hasMessageContaining("--force").hasMessageContaining("nothing was written");
    assertThat(target.digest().get()).as("nothing written").isEqualTo(before);
  }

  @Test
  void aStoreWithOnlyAManagerIsNotFreshEither() throws Exception {
    fillSource();
    BackupFormat.Opened o = exportSource();
    long e = target.acquireEpoch("r1", 1).get().getEpoch();
    commit(target, e, List.of(Ops.putManager(new byte[] {1, 2, 3})));
    DigestResult before = target.digest().get();
    assertThatThrownBy(() -> StaticChannelBackup.restore(target, o, R1, false, 16 << 20, T))
        .hasMessageContaining("0 channel(s) and a ChannelManager");
    assertThat(target.digest().get()).isEqualTo(before);
  }

  @Test
  void aStoreBoundToAnotherNodeIsRefusedEvenWithForce() throws Exception {
    fillSource();
    BackupFormat.Opened o = exportSource();
    long e = target.acquireEpoch("r1", 1).get().getEpoch();
    commit(target, e, List.of(Ops.bindIdentity("org.bitcoin.regtest", BackupFormatTest.node(9))));
    DigestResult before = target.digest().get();
    assertThatThrownBy(() -> StaticChannelBackup.restore(target, o, R1, true, 16 << 20, T))
        .hasMessageContaining("the store is bound to node " + BackupFormat.hex(BackupFormatTest.node(9)));
    assertThat(target.digest().get()).isEqualTo(before);
  }

  @Test
  void aRestoreLargerThanTheEntryLimitIsRefusedBeforeAnyWrite() throws Exception {
    fillSource();
    BackupFormat.Opened o = exportSource();
    DigestResult before = target.digest().get();
    assertThatThrownBy(() -> StaticChannelBackup.restore(target, o, R1, false, 4096, T))
        .hasMessageContaining("max-entry-bytes").hasMessageContaining("nothing was written");
    assertThat(target.digest().get()).isEqualTo(before);
  }

  @Test
  void anEmptyStoreHasNothingToExport() {
    assertThatThrownBy(() -> StaticChannelBackup.read(source, T)).isInstanceOf(BackupException.class)
        .hasMessageContaining("no ChannelManager");
  }

  @Test
  void withForceAnOlderMonitorIsStillRefusedByTheStoreWholesale() throws Exception {
    fillSource();
    BackupFormat.Opened o = exportSource();
    StaticChannelBackup.restore(target, o, R1, false, 16 << 20, T);
    // The target moves on past the backup; a forced restore of the backup would roll channel a back.
    StartupState s = target.startupState().get();
    long e = target.acquireEpoch("r1", 2).get().getEpoch();
    commit(target, e, List.of(Ops.putBaseMonitor(s.getChannels(0).getChannel(), 100, new byte[] {7})));
    DigestResult before = target.digest().get();
    assertThatThrownBy(() -> StaticChannelBackup.restore(target, o, () -> new StaticChannelBackup.Leader("r1", 3), true,
        16 << 20, T)).hasMessageContaining("refused the restore commit").hasMessageContaining("nothing of the backup");
    StartupState after = target.startupState().get();
    assertThat(after.getChannelsList()).isEqualTo(target.startupState().get().getChannelsList());
    assertThat(after.getChannels(0).getBaseMonitor()).isEqualTo(ByteString.copyFrom(new byte[] {7}));
    assertThat(target.digest().get().getRecords()).as("only the epoch record changed").isEqualTo(before.getRecords());
  }
}
