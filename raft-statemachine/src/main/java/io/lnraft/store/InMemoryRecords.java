package io.lnraft.store;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * Records held in memory, with the same ordering and batch semantics as {@link RocksRecords}.
 * For tests of the pure transition and for a node run without replication (a baseline).
 * Not thread-safe: callers serialize access.
 */
public final class InMemoryRecords implements StateView {
  private final Map<Table, NavigableMap<byte[], byte[]>> tables = new EnumMap<>(Table.class);

  public InMemoryRecords() {
    for (Table t : Table.values()) tables.put(t, new TreeMap<>(Arrays::compareUnsigned));
  }

  @Override
  public Optional<byte[]> get(Table table, byte[] key) {
    return Optional.ofNullable(tables.get(table).get(key)).map(byte[]::clone);
  }

  @Override
  public void scan(Table table, byte[] from, byte[] toExclusive, BiPredicate<byte[], byte[]> visitor) {
    NavigableMap<byte[], byte[]> m = tables.get(table);
    NavigableMap<byte[], byte[]> range = toExclusive == null ? m.tailMap(from, true) : m.subMap(from, true, toExclusive, false);
    for (Map.Entry<byte[], byte[]> e : range.entrySet()) {
      if (!visitor.test(e.getKey().clone(), e.getValue().clone())) return;
    }
  }

  /** Applies mutations in order. */
  public void apply(Iterable<Mutation> mutations) {
    for (Mutation m : mutations) {
      NavigableMap<byte[], byte[]> t = tables.get(m.table());
      if (m instanceof Mutation.Put p) {
        t.put(p.key().clone(), p.value().clone());
      } else if (m instanceof Mutation.Delete d) {
        t.remove(d.key());
      } else if (m instanceof Mutation.DeleteRange r) {
        t.subMap(r.from(), true, r.toExclusive(), false).clear();
      }
    }
  }
}
