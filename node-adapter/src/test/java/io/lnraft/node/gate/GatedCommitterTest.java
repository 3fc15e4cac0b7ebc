package io.lnraft.node.gate;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.node.testing.StoreCluster;
import io.lnraft.store.Ops;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gated commit against a real three-replica store: persist before send, fencing stops sending. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatedCommitterTest {
  @TempDir Path dir;

  static final ChannelKey CH = Ops.channel(new byte[32], 0);

  /** A peer connection that records what reaches its "socket", and what the store held at that instant. */
  static final class RecordingChannel implements PeerChannel {
    final List<String> released = new CopyOnWriteArrayList<>();
    final List<Long> latestUpdateAtRelease = new CopyOnWriteArrayList<>();
    final RaftStoreClient reader;

    RecordingChannel(RaftStoreClient reader) {
      this.reader = reader;
    }

    @Override
    public void release(byte[] data) {
      released.add(new String(data));
      try {
        StartupState s = reader.startupState().get(10, TimeUnit.SECONDS);
        latestUpdateAtRelease.add(s.getChannelsCount() == 0 ? -1 : s.getChannels(0).getRecord().getLatestUpdateId());
      } catch (Exception e) {
        latestUpdateAtRelease.add(-2L);
      }
    }

    @Override
    public void close() {}

    @Override
    public String describe() {
      return "recording";
    }
  }

  @Test
  void bytesLeaveOnlyAfterTheStateTheyDependOnIsCommitted() throws Exception {
    try (StoreCluster c = new StoreCluster(dir)) {
      RaftStoreClient client = c.client();
      WriterEpoch e = c.acquire(client);
      AtomicInteger managerVersion = new AtomicInteger();
      AtomicReference<String> failure = new AtomicReference<>();
      try (GatedCommitter g = new GatedCommitter(client, e.getEpoch(),
          () -> ("manager-" + managerVersion.get()).getBytes(), tx -> {}, Duration.ofSeconds(10), Duration.ofMillis(250),
          failure::set).start()) {
        RecordingChannel peer = new RecordingChannel(c.client());
        g.runUnderGate(() -> {
          g.stage(Ops.putBaseMonitor(CH, 0, new byte[] {1}));
          g.hold(peer, "open".getBytes());
        });
        for (long u = 1; u <= 20; u++) {
          long id = u;
          g.runUnderGate(() -> {
            managerVersion.incrementAndGet();
            g.stage(Ops.appendMonitorUpdate(CH, id, new byte[] {(byte) id}));
            g.hold(peer, ("msg-" + id).getBytes());
          });
        }
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> peer.released.size() == 21);
        assertThat(failure.get()).isNull();
        // Order kept, and each message went out only once its update was in the replicated store.
        assertThat(peer.released.get(0)).isEqualTo("open");
        for (int i = 1; i <= 20; i++) {
          assertThat(peer.released.get(i)).isEqualTo("msg-" + i);
          assertThat(peer.latestUpdateAtRelease.get(i)).isGreaterThanOrEqualTo(i);
        }
        // Group commit: 21 staged changes took fewer commits than changes.
        assertThat(g.stats().commits()).isBetween(1L, 21L);
        StartupState s = client.startupState().get(10, TimeUnit.SECONDS);
        assertThat(new String(s.getManager().toByteArray())).isEqualTo("manager-20");
      }
    }
  }

  /**
   * A ChannelManager the size LDK's has with 100 channels (385 KB), changed a little per cycle:
   * each commit carries only the changed chunks (sealed), and another sealed client reads back
   * exactly the last manager. Whole, the ten commits would have carried 3.85 MB.
   */
  @Test
  void aLargeManagerIsReplicatedAsItsChangedChunksOnly() throws Exception {
    try (StoreCluster c = new StoreCluster(dir)) {
      byte[] seed = new byte[64];
      java.util.Arrays.fill(seed, (byte) 7);
      RaftStoreClient client = c.client().sealingWith(io.lnraft.store.StateSealer.fromSeed(seed));
      WriterEpoch e = c.acquire(client);
      java.util.Random r = new java.util.Random(5);
      byte[][] manager = {new byte[385_000]};
      r.nextBytes(manager[0]);
      AtomicReference<String> failure = new AtomicReference<>();
      try (GatedCommitter g = new GatedCommitter(client, e.getEpoch(), () -> manager[0].clone(), tx -> {},
          Duration.ofSeconds(10), Duration.ofMillis(250), failure::set).start()) {
        RecordingChannel peer = new RecordingChannel(c.client());
        g.runUnderGate(() -> {
          g.stage(Ops.putBaseMonitor(CH, 0, new byte[] {1}));
          g.hold(peer, "open".getBytes());
        });
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> peer.released.size() == 1);
        long firstBytes = g.stats().bytesCommitted();
        assertThat(firstBytes).isGreaterThan(385_000); // the first commit sends every chunk
        for (int u = 1; u <= 10; u++) {
          int id = u;
          g.runUnderGate(() -> {
            int at = r.nextInt(manager[0].length - 100); // one channel's balances and commitment number
            for (int i = 0; i < 60; i++) manager[0][at + i] ^= (byte) 0x5a;
            g.stage(Ops.appendMonitorUpdate(CH, id, new byte[] {(byte) id}));
            g.hold(peer, ("msg-" + id).getBytes());
          });
          Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> peer.released.size() == 1 + id);
        }
        assertThat(failure.get()).isNull();
        long later = g.stats().bytesCommitted() - firstBytes;
        assertThat(later).as("bytes of ten commits after the first").isLessThan(10 * 8_000L);
        RaftStoreClient reader = c.client().sealingWith(io.lnraft.store.StateSealer.fromSeed(seed));
        assertThat(reader.startupState().get(10, TimeUnit.SECONDS).getManager().toByteArray()).isEqualTo(manager[0]);
      }
    }
  }

  @Test
  void aFencedWriterStopsAndSendsNothing() throws Exception {
    try (StoreCluster c = new StoreCluster(dir)) {
      RaftStoreClient client = c.client();
      WriterEpoch old = c.acquire(client);
      AtomicReference<String> failure = new AtomicReference<>();
      try (GatedCommitter g = new GatedCommitter(client, old.getEpoch(), () -> new byte[] {1}, tx -> {
        throw new AssertionError("a fenced writer broadcast");
      }, Duration.ofSeconds(10), Duration.ofMillis(250), failure::set).start()) {
        RecordingChannel peer = new RecordingChannel(c.client());
        g.runUnderGate(() -> g.stage(Ops.putBaseMonitor(CH, 0, new byte[] {1})));
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> g.stats().commits() == 1);

        // Another writer takes over (a new leader's node would); the old one does not know yet.
        WriterEpoch next = c.acquire(c.client());
        assertThat(next.getEpoch()).isGreaterThan(old.getEpoch());
        g.runUnderGate(() -> {
          g.stage(Ops.appendMonitorUpdate(CH, 1, new byte[] {1}));
          g.hold(peer, "revoke_and_ack".getBytes());
          g.stageBroadcast(new byte[] {9});
        });
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> failure.get() != null);
        assertThat(failure.get()).contains("FENCED").doesNotContain("seed");
        assertThat(peer.released).isEmpty();
        // Later bytes are dropped too.
        g.runUnderGate(() -> g.hold(peer, "late".getBytes()));
        Thread.sleep(300);
        assertThat(peer.released).isEmpty();
        StartupState s = client.startupState().get(10, TimeUnit.SECONDS);
        assertThat(s.getChannels(0).getRecord().getLatestUpdateId()).isZero();
      }
    }
  }

  @Test
  void bytesWithNoStateChangeStillNeedAConfirmedLease() throws Exception {
    try (StoreCluster c = new StoreCluster(dir)) {
      RaftStoreClient client = c.client();
      WriterEpoch old = c.acquire(client);
      AtomicReference<String> failure = new AtomicReference<>();
      try (GatedCommitter g = new GatedCommitter(client, old.getEpoch(), () -> new byte[] {1}, tx -> {},
          Duration.ofSeconds(10), Duration.ofMillis(100), failure::set).start()) {
        RecordingChannel peer = new RecordingChannel(c.client());
        g.runUnderGate(() -> g.hold(peer, "ping".getBytes()));
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> peer.released.size() == 1);
        c.acquire(c.client()); // deposed without knowing it
        Thread.sleep(200); // past the lease
        g.runUnderGate(() -> g.hold(peer, "pong".getBytes())); // manager unchanged: no commit, only a lease check
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> failure.get() != null);
        assertThat(failure.get()).contains("another replica took over");
        assertThat(peer.released).containsExactly("ping");
      }
    }
  }
}
