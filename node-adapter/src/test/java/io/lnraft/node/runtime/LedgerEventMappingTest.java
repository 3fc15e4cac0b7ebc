package io.lnraft.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.lnraft.node.api.NodeEvent;
import io.lnraft.store.proto.LedgerEvent;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import org.junit.jupiter.api.Test;

/**
 * The ledger appends one event per payment status change, PENDING included. The feed must not
 * call a started withdrawal "sent": a consumer crediting on payment_sent would count it twice
 * (pending, then succeeded), or count one that then fails.
 */
class LedgerEventMappingTest {
  private static NodeEvent.Type type(PaymentDirection d, PaymentStatus s) {
    PaymentRecord p = PaymentRecord.newBuilder().setPaymentHash(ByteString.copyFrom(new byte[32])).setDirection(d)
        .setStatus(s).setAmountMsat(1000).setUpdatedAtMs(1).build();
    return NodeRuntime.toEvent(LedgerEvent.newBuilder().setSeq(1).setPayment(p).build()).type();
  }

  @Test
  void onlyFinalStatusesAreSentReceivedOrFailed() {
    assertThat(type(PaymentDirection.OUTBOUND, PaymentStatus.PENDING)).isEqualTo(NodeEvent.Type.PAYMENT_PENDING);
    assertThat(type(PaymentDirection.OUTBOUND, PaymentStatus.SUCCEEDED)).isEqualTo(NodeEvent.Type.PAYMENT_SENT);
    assertThat(type(PaymentDirection.OUTBOUND, PaymentStatus.FAILED)).isEqualTo(NodeEvent.Type.PAYMENT_FAILED);
    assertThat(type(PaymentDirection.INBOUND, PaymentStatus.PENDING)).isEqualTo(NodeEvent.Type.PAYMENT_PENDING);
    assertThat(type(PaymentDirection.INBOUND, PaymentStatus.SUCCEEDED)).isEqualTo(NodeEvent.Type.PAYMENT_RECEIVED);
  }
}
