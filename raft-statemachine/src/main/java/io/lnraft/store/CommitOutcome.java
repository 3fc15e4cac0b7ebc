package io.lnraft.store;

import io.lnraft.store.proto.Reply;
import io.lnraft.store.proto.WriterEpoch;
import java.util.List;

/**
 * The answer to a commit that reached the state machine (or was refused before the log). A
 * commit that could not be decided at all (no leader before the deadline) completes its future
 * exceptionally with {@link StoreUnavailableException} instead: its fate is then unknown and the
 * writer must stop (DESIGN.md, leader lifecycle).
 */
public sealed interface CommitOutcome {
  /** Applied on a majority; {@code logIndex} is its Raft log index. */
  record Committed(long logIndex, List<Long> eventSeqs, WriterEpoch writer) implements CommitOutcome {}

  /** The epoch is not current: another writer took over. Nothing was applied. */
  record Fenced(WriterEpoch current, String message) implements CommitOutcome {}

  /** An update id, a version or the identity does not match. Nothing was applied. */
  record Conflict(int failedOp, String message, long expectedUpdateId, long currentVersion) implements CommitOutcome {}

  /** Malformed, of an unknown version, or too large. Nothing was applied. */
  record Invalid(String message) implements CommitOutcome {}

  static CommitOutcome of(Reply r) {
    return switch (r.getStatus()) {
      case OK -> new Committed(r.getLogIndex(), List.copyOf(r.getEventSeqsList()), r.getWriter());
      case FENCED -> new Fenced(r.getWriter(), r.getMessage());
      case CONFLICT -> new Conflict(r.getFailedOpIndex(), r.getMessage(), r.getExpectedUpdateId(), r.getCurrentVersion());
      case INVALID -> new Invalid(r.getMessage());
      default -> new Invalid("unrecognized reply status " + r.getStatusValue() + ": " + r.getMessage());
    };
  }
}
