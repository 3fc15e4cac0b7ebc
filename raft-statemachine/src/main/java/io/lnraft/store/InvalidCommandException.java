package io.lnraft.store;

/** A command refused before it reached the log: malformed, unknown version, or too large. */
public final class InvalidCommandException extends java.io.IOException {
  private static final long serialVersionUID = 1L;

  public InvalidCommandException(String message) {
    super(message);
  }
}
