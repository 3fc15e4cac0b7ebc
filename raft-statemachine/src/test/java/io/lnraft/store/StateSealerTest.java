package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StateSealerTest {
  private static byte[] seed(int b) {
    byte[] s = new byte[64];
    Arrays.fill(s, (byte) b);
    return s;
  }

  private final StateSealer sealer = StateSealer.fromSeed(seed(7));
  private final byte[] plain = "a channel monitor".getBytes(StandardCharsets.US_ASCII);
  private final byte[] aad = StateSealer.updateAad(ReplicatedStoreTest.channel(1), 5);

  @Test
  void roundTripWithFreshNonces() {
    byte[] a = sealer.seal(plain, aad);
    byte[] b = sealer.seal(plain, aad);
    assertThat(a).isNotEqualTo(b).hasSize(plain.length + 29);
    assertThat(new String(a, StandardCharsets.ISO_8859_1)).doesNotContain("channel monitor");
    assertThat(sealer.open(a, aad, "x")).isEqualTo(plain);
    // The same seed on another replica opens it (the key depends on the seed only).
    assertThat(StateSealer.fromSeed(seed(7)).open(b, aad, "x")).isEqualTo(plain);
  }

  @Test
  void anotherSeedAlteredBytesOrAnotherRecordDoNotOpen() {
    byte[] sealed = sealer.seal(plain, aad);
    assertThatThrownBy(() -> StateSealer.fromSeed(seed(8)).open(sealed, aad, "monitor update 5"))
        .isInstanceOf(StateSealer.SealedDataException.class)
        .hasMessageStartingWith("monitor update 5 does not open with this node's key")
        .hasMessageContaining("same seed file");
    byte[] flipped = sealed.clone();
    flipped[20] ^= 1;
    assertThatThrownBy(() -> sealer.open(flipped, aad, "x")).isInstanceOf(StateSealer.SealedDataException.class);
    // The same bytes presented as another update id, another channel, or as a base monitor.
    assertThatThrownBy(() -> sealer.open(sealed, StateSealer.updateAad(ReplicatedStoreTest.channel(1), 6), "x"))
        .isInstanceOf(StateSealer.SealedDataException.class);
    assertThatThrownBy(() -> sealer.open(sealed, StateSealer.updateAad(ReplicatedStoreTest.channel(2), 5), "x"))
        .isInstanceOf(StateSealer.SealedDataException.class);
    assertThatThrownBy(() -> sealer.open(sealed, StateSealer.monitorAad(ReplicatedStoreTest.channel(1), 5), "x"))
        .isInstanceOf(StateSealer.SealedDataException.class);
  }

  @Test
  void unsealedOrTruncatedBytesAreRefusedWithAClearError() {
    assertThatThrownBy(() -> sealer.open(plain, aad, "the stored manager"))
        .isInstanceOf(StateSealer.SealedDataException.class)
        .hasMessageContaining("the stored manager is not sealed channel state of a known format");
    byte[] sealed = sealer.seal(plain, aad);
    assertThatThrownBy(() -> sealer.open(Arrays.copyOf(sealed, 20), aad, "x"))
        .isInstanceOf(StateSealer.SealedDataException.class);
    assertThatThrownBy(() -> StateSealer.fromSeed(new byte[8])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aKvValueOpensUnderItsOwnKeyOnly() {
    byte[] value = "02ab 10.0.0.7:9735\n".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = sealer.seal(value, StateSealer.kvAad("peers/index"));
    assertThat(sealer.open(sealed, StateSealer.kvAad("peers/index"), "x")).isEqualTo(value);
    assertThat(StateSealer.startsSealed(com.google.protobuf.ByteString.copyFrom(sealed))).isTrue();
    for (byte[] other : java.util.List.of(StateSealer.kvAad("peers/other"), StateSealer.kvAad("peers/index2"),
        StateSealer.kvAad(""), StateSealer.managerAad())) {
      assertThatThrownBy(() -> sealer.open(sealed, other, "x")).isInstanceOf(StateSealer.SealedDataException.class);
    }
  }

  private static io.lnraft.store.proto.KvResult stored(byte[] value) {
    return io.lnraft.store.proto.KvResult.newBuilder().setFound(true).setRecord(io.lnraft.store.proto.KvRecord
        .newBuilder().setVersion(3).setValue(com.google.protobuf.ByteString.copyFrom(value))).build();
  }

  @Test
  void kvValuesAreSealedOnPutAndOpenedOnRead() {
    byte[] value = "02ab 10.0.0.7:9735\n".getBytes(StandardCharsets.UTF_8);
    var put = Sealing.seal(sealer, java.util.List.of(Ops.putKv("peers/index", value, java.util.OptionalLong.of(2)),
        Ops.deleteKv("peers/old", java.util.OptionalLong.empty())));
    byte[] onDisk = put.get(0).getPutKv().getValue().toByteArray();
    assertThat(put.get(0).getPutKv().getKey()).as("keys stay plaintext").isEqualTo("peers/index");
    assertThat(put.get(0).getPutKv().getExpectedVersion()).isEqualTo(2);
    assertThat(onDisk).hasSize(StateSealer.sealedSize(value.length));
    assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).doesNotContain("10.0.0.7");
    assertThat(put.get(1)).as("a delete carries no value").isEqualTo(Ops.deleteKv("peers/old", java.util.OptionalLong.empty()));

    Sealing.OpenedKv read = Sealing.openKv(sealer, "peers/index", stored(onDisk));
    assertThat(read.legacyPlain()).isFalse();
    assertThat(read.result().getRecord().getValue().toByteArray()).isEqualTo(value);
    assertThat(read.result().getRecord().getVersion()).isEqualTo(3);
    // An empty value is sealed too (29 bytes) and opens as empty.
    byte[] empty = Sealing.seal(sealer, java.util.List.of(Ops.putKv("k", new byte[0], java.util.OptionalLong.empty())))
        .get(0).getPutKv().getValue().toByteArray();
    assertThat(empty).hasSize(StateSealer.sealedSize(0));
    assertThat(Sealing.openKv(sealer, "k", stored(empty)).result().getRecord().getValue().isEmpty()).isTrue();
    // Absent keys pass through.
    var absent = io.lnraft.store.proto.KvResult.newBuilder().setFound(false).build();
    assertThat(Sealing.openKv(sealer, "k", absent).result()).isEqualTo(absent);
  }

  @Test
  void aMovedOrForeignKvValueIsAClearErrorAndAnOldPlainValueIsReturnedFlagged() {
    byte[] onDisk = sealer.seal("02ab 10.0.0.7:9735\n".getBytes(StandardCharsets.UTF_8), StateSealer.kvAad("peers/index"));
    assertThatThrownBy(() -> Sealing.openKv(sealer, "peers/other", stored(onDisk)))
        .isInstanceOf(StateSealer.SealedDataException.class)
        .hasMessageStartingWith("the value of kv 'peers/other' does not open with this node's key");
    assertThatThrownBy(() -> Sealing.openKv(StateSealer.fromSeed(seed(8)), "peers/index", stored(onDisk)))
        .isInstanceOf(StateSealer.SealedDataException.class).hasMessageContaining("same seed file");
    // Starts like a sealed value but is not one (too short): refused, not returned as garbage.
    assertThatThrownBy(() -> Sealing.openKv(sealer, "peers/index", stored(new byte[] {1, 2, 3})))
        .isInstanceOf(StateSealer.SealedDataException.class)
        .hasMessageContaining("the value of kv 'peers/index' is not sealed");
    // Written by a build from before kv sealing (text): returned as stored, flagged.
    byte[] legacy = "02ab 10.0.0.7:9735\n".getBytes(StandardCharsets.UTF_8);
    Sealing.OpenedKv old = Sealing.openKv(sealer, "peers/index", stored(legacy));
    assertThat(old.legacyPlain()).isTrue();
    assertThat(old.result().getRecord().getValue().toByteArray()).isEqualTo(legacy);
  }
}
