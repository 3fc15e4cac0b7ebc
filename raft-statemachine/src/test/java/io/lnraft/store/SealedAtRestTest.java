package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.GetPayment;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.StartupState;
import io.lnraft.store.proto.WriterEpoch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channel state, the ledger's preimages and descriptions, and kv values committed by a sealing
 * client are ciphertext in every replica's Raft log, RocksDB files and snapshots; the same client reads them
 * back in plaintext. The control (bytes committed
 * without sealing are found by the same search) shows the search would see them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SealedAtRestTest {
  @TempDir Path dir;

  private static byte[] marked(String marker, int size) {
    byte[] b = new byte[size];
    byte[] m = marker.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + m.length <= size; i += m.length + 7) System.arraycopy(m, 0, b, i, m.length);
    return b;
  }

  /** Files under {@code root} whose bytes contain {@code needle}. */
  private static List<Path> filesContaining(Path root, String needle) throws IOException {
    byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
    List<Path> hits = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] content;
        try {
          content = Files.readAllBytes(f);
        } catch (IOException e) {
          continue; // a file removed meanwhile (RocksDB compaction)
        }
        if (indexOf(content, n) >= 0) hits.add(f);
      }
    }
    return hits;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  @Test
  void sealedChannelStateIsNowhereOnDiskInPlaintext() throws Exception {
    byte[] seed = new byte[64];
    Arrays.fill(seed, (byte) 42);
    try (TestCluster c = TestCluster.start(dir)) {
      RaftStoreClient sealed = c.client().sealingWith(StateSealer.fromSeed(seed));
      RaftStoreClient plain = c.client();
      WriterEpoch epoch = c.acquireOnLeader(sealed);
      long e = epoch.getEpoch();
      assertThat(sealed.commit(e, List.of(Ops.putBaseMonitor(ReplicatedStoreTest.channel(1), 0,
          marked("SECRET-MONITOR-BYTES", 4096))))
          .get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
      CommitOutcome last = sealed.commit(e, List.of(Ops.appendMonitorUpdate(ReplicatedStoreTest.channel(1), 1,
          marked("SECRET-UPDATE-BYTES", 400)), Ops.putManager(marked("SECRET-MANAGER-BYTES", 4096))))
          .get(30, TimeUnit.SECONDS);
      assertThat(last).isInstanceOf(CommitOutcome.Committed.class);
      // The ledger: an invoice with its description, then its settlement with the preimage.
      byte[] hash = new byte[32];
      Arrays.fill(hash, (byte) 0x5a);
      PaymentRecord.Builder inbound = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(hash))
          .setDirection(PaymentDirection.INBOUND).setAmountMsat(21_000);
      assertThat(sealed.commit(e, List.of(Ops.recordPayment(inbound.clone().setStatus(PaymentStatus.PENDING)
          .setDescription("SECRET-DESCRIPTION-TEXT").build()))).get(30, TimeUnit.SECONDS))
          .isInstanceOf(CommitOutcome.Committed.class);
      assertThat(sealed.commit(e, List.of(Ops.recordPayment(inbound.clone().setStatus(PaymentStatus.SUCCEEDED)
          .setPreimage(ByteString.copyFrom("SECRET-PREIMAGE-BYTES-0123456789".getBytes(StandardCharsets.US_ASCII)))
          .build()))).get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
      // The node's reads (event feed, payment record) open them.
      var feed = sealed.events(0, 0).get(30, TimeUnit.SECONDS);
      assertThat(feed.getEventsList()).hasSize(1);
      assertThat(feed.getEvents(0).getPayment().getPreimage().toStringUtf8()).isEqualTo("SECRET-PREIMAGE-BYTES-0123456789");
      assertThat(feed.getEvents(0).getPayment().getDescription()).isEqualTo("SECRET-DESCRIPTION-TEXT");
      var paid = sealed.query(Query.newBuilder().setGetPayment(GetPayment.newBuilder().setPaymentHash(ByteString.copyFrom(hash))
          .setDirection(PaymentDirection.INBOUND)), QueryReply::getPayment).get(30, TimeUnit.SECONDS);
      assertThat(paid.getPayment().getPreimage().toStringUtf8()).isEqualTo("SECRET-PREIMAGE-BYTES-0123456789");
      assertThat(plain.events(0, 0).get(30, TimeUnit.SECONDS).getEvents(0).getPayment().getPreimage().isEmpty()).isTrue();
      // The sealing client (the node) reads its state back in plaintext...
      StartupState opened = sealed.startupState().get(30, TimeUnit.SECONDS);
      assertThat(new String(opened.getManager().toByteArray(), StandardCharsets.US_ASCII)).contains("SECRET-MANAGER-BYTES");
      var ch1 = opened.getChannelsList().stream().filter(x -> x.getChannel().equals(ReplicatedStoreTest.channel(1)))
          .findFirst().orElseThrow();
      assertThat(new String(ch1.getBaseMonitor().toByteArray(), StandardCharsets.US_ASCII)).contains("SECRET-MONITOR");
      assertThat(new String(ch1.getUpdatesAfterBase(0).getUpdate().toByteArray(), StandardCharsets.US_ASCII))
          .contains("SECRET-UPDATE-BYTES");
      // ...a client without the key sees ciphertext only.
      StartupState raw = plain.startupState().get(30, TimeUnit.SECONDS);
      assertThat(new String(raw.getManager().toByteArray(), StandardCharsets.US_ASCII)).doesNotContain("SECRET");

      // The kv space: the peer list (node id and address) as LeaderNode keeps it.
      String peers = "02SECRET-PEER-NODE-ID SECRET-PEER-HOST.example:9735\n";
      assertThat(sealed.commit(e, List.of(Ops.putKv("peers/index", peers.getBytes(StandardCharsets.UTF_8),
          java.util.OptionalLong.of(0)))).get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
      var kv = sealed.kv("peers/index").get(30, TimeUnit.SECONDS);
      assertThat(kv.getRecord().getValue().toStringUtf8()).isEqualTo(peers);
      assertThat(kv.getRecord().getVersion()).isEqualTo(1);
      var rawKv = plain.kv("peers/index").get(30, TimeUnit.SECONDS);
      assertThat(rawKv.getRecord().getValue().size()).isEqualTo(StateSealer.sealedSize(peers.length()));
      assertThat(rawKv.getRecord().getValue().toStringUtf8()).doesNotContain("SECRET");
      // Compare-and-set still works on sealed values (versions are the store's, not sealed).
      assertThat(sealed.commit(e, List.of(Ops.putKv("peers/index", peers.getBytes(StandardCharsets.UTF_8),
          java.util.OptionalLong.of(0)))).get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Conflict.class);
      // A sealed value copied under another key (by a client without the seed) does not open there.
      assertThat(plain.commit(e, List.of(Ops.putKv("peers/moved", rawKv.getRecord().getValue().toByteArray(),
          java.util.OptionalLong.empty()))).get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sealed.kv("peers/moved").get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StateSealer.SealedDataException.class)
          .hasMessageContaining("the value of kv 'peers/moved' does not open");
      // A value stored unsealed (an older build, a client without the seed) is read as stored.
      assertThat(plain.commit(e, List.of(Ops.putKv("peers/legacy", "02ab 10.1.2.3:9735\n".getBytes(StandardCharsets.UTF_8),
          java.util.OptionalLong.empty()))).get(30, TimeUnit.SECONDS)).isInstanceOf(CommitOutcome.Committed.class);
      assertThat(sealed.kv("peers/legacy").get(30, TimeUnit.SECONDS).getRecord().getValue().toStringUtf8())
          .isEqualTo("02ab 10.1.2.3:9735\n");

      // Control: the same kind of record committed without sealing.
      CommitOutcome control = plain.commit(e, List.of(Ops.putBaseMonitor(ReplicatedStoreTest.channel(2), 0,
          marked("PLAIN-CONTROL-BYTES", 4096)), Ops.recordPayment(inbound.clone().setPaymentHash(ByteString.copyFrom(
              new byte[32])).setStatus(PaymentStatus.PENDING).setDescription("PLAIN-CONTROL-DESCRIPTION").build()),
          Ops.putKv("control/plain", "PLAIN-CONTROL-KV-VALUE".getBytes(StandardCharsets.US_ASCII),
              java.util.OptionalLong.empty())))
          .get(30, TimeUnit.SECONDS);
      assertThat(control).isInstanceOf(CommitOutcome.Committed.class);
      c.awaitApplied(((CommitOutcome.Committed) control).logIndex());
      for (ReplicaServer s : c.servers) s.takeSnapshot();

      assertThat(filesContaining(c.base, "PLAIN-CONTROL-BYTES")).as("the search sees unsealed bytes").isNotEmpty();
      assertThat(filesContaining(c.base, "PLAIN-CONTROL-DESCRIPTION")).as("the search sees an unsealed ledger record")
          .isNotEmpty();
      assertThat(filesContaining(c.base, "PLAIN-CONTROL-KV-VALUE")).as("the search sees an unsealed kv value")
          .isNotEmpty();
      assertThat(filesContaining(c.base, "peers/index")).as("kv keys stay plaintext (the search sees them)")
          .isNotEmpty();
      for (String secret : List.of("SECRET-MONITOR-BYTES", "SECRET-UPDATE-BYTES", "SECRET-MANAGER-BYTES",
          "SECRET-PREIMAGE-BYTES", "SECRET-DESCRIPTION-TEXT", "SECRET-PEER-NODE-ID", "SECRET-PEER-HOST")) {
        assertThat(filesContaining(c.base, secret)).as("files holding %s", secret).isEmpty();
      }


      // A sealing node refuses state it cannot open, with a message saying which record and why.
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sealed.startupState().get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StateSealer.SealedDataException.class)
          .hasMessageContaining("is not sealed channel state of a known format");
    }
  }
}
