package io.lnraft.store;

import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * Read access to the stored records. Implementations: {@link RocksRecords} (the replica's
 * RocksDB) and {@link InMemoryRecords} (pure tests, in-memory stores). A view used by one
 * transition or one query is a consistent point-in-time state.
 */
public interface StateView {
  Optional<byte[]> get(Table table, byte[] key);

  /**
   * Visits keys {@code from <= k < toExclusive} in unsigned byte order until the visitor returns
   * false.
   */
  void scan(Table table, byte[] from, byte[] toExclusive, BiPredicate<byte[], byte[]> visitor);
}
