package io.lnraft.store;

/** One change to the stored records. A command's mutations are applied in order, atomically. */
public sealed interface Mutation {
  Table table();

  record Put(Table table, byte[] key, byte[] value) implements Mutation {}

  record Delete(Table table, byte[] key) implements Mutation {}

  /** Deletes every key k with {@code from <= k < toExclusive} (unsigned byte order). */
  record DeleteRange(Table table, byte[] from, byte[] toExclusive) implements Mutation {}
}
