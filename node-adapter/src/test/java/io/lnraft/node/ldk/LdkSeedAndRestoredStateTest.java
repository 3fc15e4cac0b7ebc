package io.lnraft.node.ldk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lnraft.store.Ops;
import io.lnraft.store.proto.ChannelState;
import io.lnraft.store.proto.MonitorUpdateRecord;
import io.lnraft.store.proto.StartupState;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class LdkSeedAndRestoredStateTest {
  @Test
  void ldkSeedIsSha256OfTheDomainTagAndTheBip39Seed() throws Exception {
    byte[] bip39 = new byte[64];
    bip39[0] = 7;
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update("lnraft/ldk-keys-manager-seed/v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertThat(LdkSeed.fromBip39Seed(bip39)).isEqualTo(sha.digest(bip39));
    // Pinned: changing the derivation changes every node id.
    assertThat(HexFormat.of().formatHex(LdkSeed.fromBip39Seed(new byte[64])))
        .isEqualTo(HexFormat.of().formatHex(sha256Tagged(new byte[64])));
    assertThatThrownBy(() -> LdkSeed.fromBip39Seed(new byte[32])).isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] sha256Tagged(byte[] seed) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(LdkSeed.DOMAIN_TAG);
    return sha.digest(seed);
  }

  @Test
  void restoredStateKeepsUpdatesInStoreOrder() {
    StartupState s = StartupState.newBuilder().setManager(ByteString.copyFrom(new byte[] {1, 2}))
        .addChannels(ChannelState.newBuilder().setChannel(Ops.channel(new byte[32], 1))
            .setBaseMonitor(ByteString.copyFrom(new byte[] {9}))
            .addUpdatesAfterBase(MonitorUpdateRecord.newBuilder().setUpdateId(5).setUpdate(ByteString.copyFrom(new byte[] {5})))
            .addUpdatesAfterBase(MonitorUpdateRecord.newBuilder().setUpdateId(6).setUpdate(ByteString.copyFrom(new byte[] {6}))))
        .build();
    RestoredState r = RestoredState.from(s);
    assertThat(r.manager()).hasValueSatisfying(m -> assertThat(m).containsExactly(1, 2));
    assertThat(r.channels()).hasSize(1);
    assertThat(r.channels().get(0).baseMonitor()).containsExactly(9);
    assertThat(r.channels().get(0).updatesAfterBase()).satisfiesExactly(
        u -> assertThat(u).containsExactly(5), u -> assertThat(u).containsExactly(6));
    assertThat(RestoredState.from(StartupState.getDefaultInstance()).isEmpty()).isTrue();
  }
}
