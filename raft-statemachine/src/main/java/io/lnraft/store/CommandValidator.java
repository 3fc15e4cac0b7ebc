package io.lnraft.store;

import io.lnraft.store.proto.ChannelKey;
import io.lnraft.store.proto.Commit;
import io.lnraft.store.proto.Envelope;
import io.lnraft.store.proto.Op;
import io.lnraft.store.proto.PaymentDirection;
import io.lnraft.store.proto.PaymentRecord;
import io.lnraft.store.proto.PaymentStatus;
import io.lnraft.store.proto.Query;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Stateless checks of a command: what can be decided from the bytes alone. Runs on the leader
 * before an entry is appended (so garbage never reaches the log) and again at apply (defence in
 * depth: an entry that fails is rejected as INVALID, never thrown).
 */
public final class CommandValidator {
  /** The only command format this code understands. */
  public static final int FORMAT_VERSION = 1;

  static final int MAX_KV_KEY_BYTES = 1024;

  private CommandValidator() {}

  /** Returns the reason the command is invalid, or empty if it is well-formed. */
  public static Optional<String> check(Envelope e) {
    if (e.getFormatVersion() != FORMAT_VERSION) {
      return Optional.of("unknown command format version " + e.getFormatVersion() + " (this replica understands "
          + FORMAT_VERSION + "); upgrade the replica before the writer");
    }
    switch (e.getCommandCase()) {
      case ACQUIRE_EPOCH -> {
        if (e.getAcquireEpoch().getReplicaId().isEmpty()) return Optional.of("AcquireEpoch.replica_id is empty");
        if (e.getAcquireEpoch().getTerm() == 0) return Optional.of("AcquireEpoch.term is 0");
        return Optional.empty();
      }
      case COMMIT -> {
        return checkCommit(e.getCommit());
      }
      default -> {
        return Optional.of("the command is empty (no AcquireEpoch or Commit)");
      }
    }
  }

  public static Optional<String> check(Query q) {
    if (q.getFormatVersion() != FORMAT_VERSION) {
      return Optional.of("unknown query format version " + q.getFormatVersion());
    }
    if (q.getQueryCase() == Query.QueryCase.QUERY_NOT_SET) return Optional.of("the query is empty");
    if (q.hasGetChannel()) return checkChannel(q.getGetChannel().getChannel(), "GetChannel.channel");
    if (q.hasGetPayment() && q.getGetPayment().getPaymentHash().size() != 32) {
      return Optional.of("GetPayment.payment_hash must be 32 bytes");
    }
    return Optional.empty();
  }

  private static Optional<String> checkCommit(Commit c) {
    if (c.getEpoch() == 0) return Optional.of("Commit.epoch is 0: acquire an epoch first");
    if (c.getOpsCount() == 0) return Optional.of("Commit has no ops");
    for (int i = 0; i < c.getOpsCount(); i++) {
      Optional<String> p = checkOp(c.getOps(i));
      if (p.isPresent()) return Optional.of("op " + i + ": " + p.get());
    }
    return Optional.empty();
  }

  private static Optional<String> checkOp(Op op) {
    return switch (op.getOpCase()) {
      case PUT_BASE_MONITOR -> op.getPutBaseMonitor().getMonitor().isEmpty()
          ? Optional.of("PutBaseMonitor.monitor is empty")
          : checkChannel(op.getPutBaseMonitor().getChannel(), "PutBaseMonitor.channel");
      case APPEND_MONITOR_UPDATE -> op.getAppendMonitorUpdate().getUpdate().isEmpty()
          ? Optional.of("AppendMonitorUpdate.update is empty")
          : checkChannel(op.getAppendMonitorUpdate().getChannel(), "AppendMonitorUpdate.channel");
      case PUT_MANAGER -> op.getPutManager().getManager().isEmpty()
          ? Optional.of("PutManager.manager is empty") : Optional.empty();
      case PUT_MANAGER_CHUNKS -> checkChunks(op.getPutManagerChunks());
      case RECORD_PAYMENT -> checkPayment(op.getRecordPayment().getPayment());
      case PUT_KV -> checkKvKey(op.getPutKv().getKey());
      case DELETE_KV -> checkKvKey(op.getDeleteKv().getKey());
      case BIND_IDENTITY -> {
        if (op.getBindIdentity().getNetwork().isEmpty()) yield Optional.of("BindIdentity.network is empty");
        if (op.getBindIdentity().getNodePublicKey().size() != 33) {
          yield Optional.of("BindIdentity.node_public_key must be 33 bytes, got " + op.getBindIdentity().getNodePublicKey().size());
        }
        yield Optional.empty();
      }
      case RECORD_CHANNEL_EVENT -> {
        if (op.getRecordChannelEvent().getKindValue() == 0 || op.getRecordChannelEvent().getKind() == io.lnraft.store.proto.ChannelEventKind.UNRECOGNIZED) {
          yield Optional.of("RecordChannelEvent.kind is not set");
        }
        yield checkChannel(op.getRecordChannelEvent().getChannel(), "RecordChannelEvent.channel");
      }
      case OP_NOT_SET -> Optional.of("the op is empty (unknown op type from a newer writer?)");
    };
  }

  private static Optional<String> checkChunks(io.lnraft.store.proto.PutManagerChunks p) {
    if (p.getPiecesCount() == 0) return Optional.of("PutManagerChunks has no pieces");
    for (int i = 0; i < p.getPiecesCount(); i++) {
      io.lnraft.store.proto.ManifestPiece piece = p.getPieces(i);
      switch (piece.getPieceCase()) {
        case REUSE -> {
          if (piece.getReuse().getCount() == 0) return Optional.of("PutManagerChunks piece " + i + " reuses 0 chunks");
        }
        case CHUNK_ID -> {
          if (piece.getChunkId().size() != ManagerChunker.ID_BYTES) {
            return Optional.of("PutManagerChunks piece " + i + ": a chunk id must be " + ManagerChunker.ID_BYTES
                + " bytes, got " + piece.getChunkId().size());
          }
        }
        case PIECE_NOT_SET -> {
          return Optional.of("PutManagerChunks piece " + i + " is empty");
        }
      }
    }
    java.util.Set<com.google.protobuf.ByteString> seen = new java.util.HashSet<>();
    for (io.lnraft.store.proto.ManagerChunk c : p.getNewChunksList()) {
      if (c.getId().size() != ManagerChunker.ID_BYTES) {
        return Optional.of("PutManagerChunks: a chunk id must be " + ManagerChunker.ID_BYTES + " bytes, got " + c.getId().size());
      }
      if (c.getData().isEmpty()) return Optional.of("PutManagerChunks: a new chunk is empty");
      if (!seen.add(c.getId())) return Optional.of("PutManagerChunks sends a chunk id twice");
    }
    return Optional.empty();
  }

  private static Optional<String> checkChannel(ChannelKey k, String field) {
    if (k.getFundingTxid().size() != 32) {
      return Optional.of(field + ".funding_txid must be 32 bytes, got " + k.getFundingTxid().size());
    }
    if (k.getOutputIndex() > 0xffff) return Optional.of(field + ".output_index " + k.getOutputIndex() + " exceeds 65535");
    return Optional.empty();
  }

  private static Optional<String> checkPayment(PaymentRecord p) {
    if (p.getPaymentHash().size() != 32) return Optional.of("RecordPayment.payment_hash must be 32 bytes");
    if (p.getDirection() == PaymentDirection.PAYMENT_DIRECTION_UNSPECIFIED || p.getDirection() == PaymentDirection.UNRECOGNIZED) {
      return Optional.of("RecordPayment.direction is not set");
    }
    if (p.getStatus() == PaymentStatus.PAYMENT_STATUS_UNSPECIFIED || p.getStatus() == PaymentStatus.UNRECOGNIZED) {
      return Optional.of("RecordPayment.status is not set");
    }
    if (!p.getPreimage().isEmpty() && p.getPreimage().size() != 32) {
      return Optional.of("RecordPayment.preimage must be empty or 32 bytes");
    }
    if (!p.getSealedPreimage().isEmpty() && !p.getPreimage().isEmpty()) {
      return Optional.of("RecordPayment carries the preimage both plain and sealed; send one");
    }
    if (!p.getSealedPreimage().isEmpty() && p.getSealedPreimage().size() != StateSealer.sealedSize(32)) {
      return Optional.of("RecordPayment.sealed_preimage must be " + StateSealer.sealedSize(32)
          + " bytes (a sealed 32-byte preimage), got " + p.getSealedPreimage().size());
    }
    if (!p.getSealedDescription().isEmpty() && !p.getDescription().isEmpty()) {
      return Optional.of("RecordPayment carries the description both plain and sealed; send one");
    }
    if (!p.getSealedDescription().isEmpty() && p.getSealedDescription().size() < StateSealer.sealedSize(0)) {
      return Optional.of("RecordPayment.sealed_description is shorter than any sealed value");
    }
    return Optional.empty();
  }

  private static Optional<String> checkKvKey(String key) {
    if (key.isEmpty()) return Optional.of("kv key is empty");
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KV_KEY_BYTES) {
      return Optional.of("kv key longer than " + MAX_KV_KEY_BYTES + " bytes");
    }
    return Optional.empty();
  }
}
