package io.lnraft.store;

/**
 * The store could not answer before the deadline (no leader, network, shutdown). For a commit
 * this means its fate is unknown: it may still be applied later.
 */
public final class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
