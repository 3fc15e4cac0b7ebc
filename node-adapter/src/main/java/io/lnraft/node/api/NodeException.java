package io.lnraft.node.api;

import java.util.Objects;

/**
 * How the node says no. The {@link Kind} decides the HTTP status; the message goes to the caller
 * as is, so it must say what to do and must never contain a secret (seed, key, preimage, token).
 * Anything else a node method throws is a bug and becomes a 500 with a generic message.
 */
public final class NodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the node refused. */
  public enum Kind {
    /** The id names nothing the node knows (404). */
    NOT_FOUND,
    /** The request is well-formed but the node rejects it, e.g. an undecodable invoice (400). */
    BAD_REQUEST,
    /** It clashes with the current state, e.g. paying an invoice already paid (409). */
    CONFLICT,
    /** This replica is not (or no longer) the ready leader; nothing was done (503). */
    NOT_LEADER,
    /** The node cannot serve it now, e.g. still syncing; retry later (503). */
    UNAVAILABLE
  }

  private final Kind kind;

  public NodeException(Kind kind, String message) {
    super(Objects.requireNonNull(message, "message"));
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
