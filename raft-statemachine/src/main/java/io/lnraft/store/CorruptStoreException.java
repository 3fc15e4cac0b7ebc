package io.lnraft.store;

/**
 * The replica's own stored records cannot be read. Not a business rejection: the replica must
 * stop serving and be rebuilt (its directory replaced and refilled by snapshot install).
 */
public final class CorruptStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CorruptStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
