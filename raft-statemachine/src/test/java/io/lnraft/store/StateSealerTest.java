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
}
