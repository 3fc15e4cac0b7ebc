package io.lnraft.store;

import com.google.protobuf.ByteString;
import io.lnraft.store.proto.AppendMonitorUpdate;
import io.lnraft.store.proto.BindIdentity;
import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.DeleteKv;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PutBaseMonitor;
import io.lnraft.store.proto.PutKv;
import io.lnraft.store.proto.PutManager;
import io.lnraft.store.proto.RecordChannelEvent;
import io.lnraft.store.proto.RecordPayment;
import java.util.OptionalLong;

/** Builders of the ops of a {@code Commit}. Byte arrays are copied. */
public final class Ops {
  private Ops() {}

  public static ChannelKey channel(byte[] fundingTxid, int outputIndex) {
    return ChannelKey.newBuilder().setFundingTxid(ByteString.copyFrom(fundingTxid)).setOutputIndex(outputIndex).build();
  }

  public static Op putBaseMonitor(ChannelKey channel, long updateId, byte[] monitor) {
    return Op.newBuilder().setPutBaseMonitor(PutBaseMonitor.newBuilder().setChannel(channel).setUpdateId(updateId)
        .setMonitor(ByteString.copyFrom(monitor))).build();
  }

  public static Op appendMonitorUpdate(ChannelKey channel, long updateId, byte[] update) {
    return Op.newBuilder().setAppendMonitorUpdate(AppendMonitorUpdate.newBuilder().setChannel(channel)
        .setUpdateId(updateId).setUpdate(ByteString.copyFrom(update))).build();
  }

  public static Op putManager(byte[] manager) {
    return Op.newBuilder().setPutManager(PutManager.newBuilder().setManager(ByteString.copyFrom(manager))).build();
  }

  public static Op recordPayment(PaymentRecord payment) {
    return Op.newBuilder().setRecordPayment(RecordPayment.newBuilder().setPayment(payment)).build();
  }

  public static Op recordChannelEvent(RecordChannelEvent event) {
    return Op.newBuilder().setRecordChannelEvent(event).build();
  }

  /** Compare-and-set when {@code expectedVersion} is present (0 = must be absent). */
  public static Op putKv(String key, byte[] value, OptionalLong expectedVersion) {
    PutKv.Builder b = PutKv.newBuilder().setKey(key).setValue(ByteString.copyFrom(value));
    expectedVersion.ifPresent(b::setExpectedVersion);
    return Op.newBuilder().setPutKv(b).build();
  }

  public static Op deleteKv(String key, OptionalLong expectedVersion) {
    DeleteKv.Builder b = DeleteKv.newBuilder().setKey(key);
    expectedVersion.ifPresent(b::setExpectedVersion);
    return Op.newBuilder().setDeleteKv(b).build();
  }

  public static Op bindIdentity(String network, byte[] nodePublicKey) {
    return Op.newBuilder().setBindIdentity(BindIdentity.newBuilder().setNetwork(network)
        .setNodePublicKey(ByteString.copyFrom(nodePublicKey))).build();
  }
}
