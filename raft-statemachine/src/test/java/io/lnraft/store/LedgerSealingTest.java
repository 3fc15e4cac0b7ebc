package io.lnraft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.AcquireEpoch;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.EventsResult;
import io.lnraft.store.proto.GetPayment;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.Query;
import io.lnraft.store.proto.QueryReply;
import io.lnraft.store.proto.Reply;
import io.lnraft.store.proto.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The payment ledger sealed at rest, driven through the pure transition: what the replicas store
 * holds no preimage or description in plaintext, the node's reads open them, and the ledger's
 * merge and deduplication work on the sealed bytes as they did on plain ones.
 */
class LedgerSealingTest {
  private static final byte[] HASH = StoreTransitionTest.filled(32, 0x44);
  private static final byte[] PREIMAGE = "PREIMAGE-SECRET-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final String DESCRIPTION = "SECRET-INVOICE-DESCRIPTION deposit #42";

  private final StateSealer sealer = StateSealer.fromSeed(StoreTransitionTest.filled(64, 3));
  private InMemoryRecords state;
  private long index;

  @BeforeEach
  void setUp() {
    state = new InMemoryRecords();
    index = 0;
    Reply r = run(Envelope.newBuilder().setFormatVersion(1)
        .setAcquireEpoch(AcquireEpoch.newBuilder().setReplicaId("r1").setTerm(1)).build());
    assertThat(r.getStatus()).isEqualTo(Status.OK);
  }

  private Reply run(Envelope e) {
    StoreTransition.Transition t = StoreTransition.apply(state, e, 1, ++index);
    state.apply(t.mutations());
    return t.reply();
  }

  /** Commits as the node's client does: sealed first. */
  private Reply commitSealed(Op... ops) {
    List<Op> sealed = Sealing.seal(sealer, List.of(ops));
    Envelope e = Envelope.newBuilder().setFormatVersion(1).setCommit(Commit.newBuilder().setEpoch(1).addAllOps(sealed)).build();
    // What the leader checks before the log, on the bytes that go to the log.
    assertThat(CommandValidator.check(e)).isEmpty();
    return run(e);
  }

  private static PaymentRecord.Builder inbound(PaymentStatus status) {
    return PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(HASH)).setDirection(PaymentDirection.INBOUND)
        .setStatus(status).setAmountMsat(50_000);
  }

  private List<byte[]> everyStoredValue() {
    List<byte[]> all = new ArrayList<>();
    for (Table t : Table.values()) state.scan(t, new byte[0], null, (k, v) -> all.add(v));
    return all;
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return true;
    }
    return false;
  }

  private PaymentRecord readPayment(boolean open) {
    QueryReply r = StoreQueries.answer(state, Query.newBuilder().setFormatVersion(1).setGetPayment(GetPayment.newBuilder()
        .setPaymentHash(ByteString.copyFrom(HASH)).setDirection(PaymentDirection.INBOUND)).build());
    return (open ? Sealing.open(sealer, r) : r).getPayment().getPayment();
  }

  @Test
  void preimageAndDescriptionAreStoredSealedAndReadBackOpen() {
    // The invoice is recorded with its description; the payment settles later with the preimage
    // and without the description (LDK reports only the hash then).
    assertThat(commitSealed(Ops.recordPayment(inbound(PaymentStatus.PENDING).setDescription(DESCRIPTION).build())).getStatus())
        .isEqualTo(Status.OK);
    Reply settled = commitSealed(Ops.recordPayment(inbound(PaymentStatus.SUCCEEDED)
        .setPreimage(ByteString.copyFrom(PREIMAGE)).build()));
    assertThat(settled.getStatus()).isEqualTo(Status.OK);
    assertThat(settled.getEventSeqsList()).containsExactly(1L);

    for (byte[] v : everyStoredValue()) {
      assertThat(contains(v, PREIMAGE)).as("a stored record holds the preimage in plaintext").isFalse();
      assertThat(contains(v, DESCRIPTION.getBytes(StandardCharsets.UTF_8))).as("a stored record holds the description").isFalse();
      assertThat(contains(v, "SECRET".getBytes(StandardCharsets.US_ASCII))).isFalse();
    }

    PaymentRecord raw = readPayment(false);
    assertThat(raw.getPreimage().isEmpty()).isTrue();
    assertThat(raw.getDescription()).isEmpty();
    assertThat(raw.getSealedPreimage().size()).isEqualTo(StateSealer.sealedSize(32));

    // The node's reads open them: the record (merged across the two commits) and the event feed.
    PaymentRecord opened = readPayment(true);
    assertThat(opened.getPreimage().toByteArray()).isEqualTo(PREIMAGE);
    assertThat(opened.getDescription()).isEqualTo(DESCRIPTION);
    assertThat(opened.getSealedPreimage().isEmpty()).isTrue();
    assertThat(opened.getAmountMsat()).isEqualTo(50_000);
    EventsResult events = Sealing.open(sealer, QueryReply.newBuilder().setStatus(Status.OK)
        .setEvents(StoreQueries.events(state, 0, 0)).build()).getEvents();
    assertThat(events.getEventsList()).hasSize(1);
    assertThat(events.getEvents(0).getPayment().getPreimage().toByteArray()).isEqualTo(PREIMAGE);
    assertThat(events.getEvents(0).getPayment().getDescription()).isEqualTo(DESCRIPTION);
  }

  @Test
  void reRecordingASealedOutcomeAppendsNoSecondEventAndKeepsTheFirstRecord() {
    commitSealed(Ops.recordPayment(inbound(PaymentStatus.SUCCEEDED).setPreimage(ByteString.copyFrom(PREIMAGE))
        .setDescription(DESCRIPTION).build()));
    byte[] before = StoreQueries.digest(state).getSha256().toByteArray();
    // Sealing again gives other bytes (random nonce): the dedup must not depend on them.
    Reply again = commitSealed(Ops.recordPayment(inbound(PaymentStatus.SUCCEEDED).setPreimage(ByteString.copyFrom(PREIMAGE))
        .setDescription(DESCRIPTION).build()));
    assertThat(again.getStatus()).isEqualTo(Status.OK);
    assertThat(again.getEventSeqsList()).isEmpty();
    assertThat(StoreQueries.digest(state).getSha256().toByteArray()).isEqualTo(before);
    Reply flip = commitSealed(Ops.recordPayment(inbound(PaymentStatus.FAILED).build()));
    assertThat(flip.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(StoreQueries.digest(state).getSha256().toByteArray()).isEqualTo(before);
  }

  @Test
  void aSealedPreimageOpensOnlyForItsOwnPaymentAndSeed() {
    PaymentRecord sealed = Sealing.seal(sealer, inbound(PaymentStatus.SUCCEEDED).setPreimage(ByteString.copyFrom(PREIMAGE)).build());
    byte[] other = HASH.clone();
    other[0] ^= 1;
    PaymentRecord moved = sealed.toBuilder().setPaymentHash(ByteString.copyFrom(other)).build();
    assertThatThrownBy(() -> Sealing.open(sealer, moved)).isInstanceOf(StateSealer.SealedDataException.class)
        .hasMessageContaining("the preimage of payment " + java.util.HexFormat.of().formatHex(other));
    PaymentRecord outbound = sealed.toBuilder().setDirection(PaymentDirection.OUTBOUND).build();
    assertThatThrownBy(() -> Sealing.open(sealer, outbound)).isInstanceOf(StateSealer.SealedDataException.class);
    assertThatThrownBy(() -> Sealing.open(StateSealer.fromSeed(StoreTransitionTest.filled(64, 4)), sealed))
        .isInstanceOf(StateSealer.SealedDataException.class).hasMessageContaining("same seed file");
    // Records written before the ledger was sealed still read as they are.
    PaymentRecord plain = inbound(PaymentStatus.SUCCEEDED).setPreimage(ByteString.copyFrom(PREIMAGE)).build();
    assertThat(Sealing.open(sealer, plain)).isEqualTo(plain);
  }

  @Test
  void aRecordWithBothPlainAndSealedValuesOrAMisSizedSealedPreimageIsInvalid() {
    PaymentRecord sealed = Sealing.seal(sealer, inbound(PaymentStatus.SUCCEEDED).setPreimage(ByteString.copyFrom(PREIMAGE))
        .setDescription(DESCRIPTION).build());
    byte[] before = StoreQueries.digest(state).getSha256().toByteArray();
    for (PaymentRecord bad : List.of(
        sealed.toBuilder().setPreimage(ByteString.copyFrom(PREIMAGE)).build(),
        sealed.toBuilder().setDescription("x").build(),
        sealed.toBuilder().setSealedPreimage(sealed.getSealedPreimage().substring(1)).build(),
        sealed.toBuilder().setSealedDescription(ByteString.copyFrom(new byte[5])).build())) {
      Reply r = run(Envelope.newBuilder().setFormatVersion(1).setCommit(Commit.newBuilder().setEpoch(1)
          .addOps(Ops.recordPayment(bad))).build());
      assertThat(r.getStatus()).as(bad.toString()).isEqualTo(Status.INVALID);
      assertThat(r.getMessage()).containsAnyOf("both plain and sealed", "sealed_preimage must be", "sealed_description");
    }
    assertThat(StoreQueries.digest(state).getSha256().toByteArray()).isEqualTo(before);
    assertThat(Arrays.equals(before, StoreQueries.digest(state).getSha256().toByteArray())).isTrue();
  }
}
