package io.lnraft.store;

import java.io.IOException;

/**
 * A replica refused to start because a file of its data directory failed verification (a Raft log
 * segment that does not read back, a RocksDB file with a bad checksum). The message names the
 * file and the repair; the replica has not voted or served.
 */
public final class DamagedStorageException extends IOException {
  private static final long serialVersionUID = 1L;

  public DamagedStorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
