package io.lnraft.node.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.bitcoinj.crypto.ECKey;
import org.junit.jupiter.api.Test;

class NodeIdsTest {
  @Test
  void acceptsRealKeysAndRefusesWhatWouldPanicInsideLdk() {
    assertThat(NodeIds.isValid(new ECKey().getPubKey())).isTrue();
    byte[] offCurve = HexFormat.of().parseHex("02" + "11".repeat(32)); // the value that aborted a node
    assertThat(NodeIds.isValid(offCurve)).isFalse();
    assertThat(NodeIds.isValid(new byte[32])).isFalse();
    assertThat(NodeIds.isValid(HexFormat.of().parseHex("04" + "11".repeat(32)))).isFalse();
    assertThatThrownBy(() -> NodeIds.requireValid(offCurve)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("secp256k1");
  }
}
