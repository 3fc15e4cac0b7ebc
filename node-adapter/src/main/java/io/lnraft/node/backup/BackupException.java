package io.lnraft.node.backup;

/**
 * A backup could not be made, read or restored. The message says what was wrong and what to do;
 * it never holds key material. Whatever raised it changed nothing (no file, no store write).
 */
public final class BackupException extends Exception {
  private static final long serialVersionUID = 1L;

  public BackupException(String message) {
    super(message);
  }

  public BackupException(String message, Throwable cause) {
    super(message, cause);
  }
}
