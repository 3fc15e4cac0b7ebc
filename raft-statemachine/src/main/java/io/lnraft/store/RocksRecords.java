package io.lnraft.store;

import io.lnraft.store.proto.AppliedIndex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The replica's records in RocksDB, one column family per {@link Table}.
 *
 * <p>Durability contract: {@link #write} applies a command's mutations and the applied index in
 * one atomic WriteBatch with the WAL on and {@code sync=false}. The Raft log, which Ratis fsyncs
 * before acknowledging, is the durable record: after a crash the applied index read back tells
 * Ratis where to resume, and entries at or below it are skipped.
 *
 * <p>Reads through this object see the latest write; {@link #snapshotView()} gives a consistent
 * point-in-time view for multi-key reads running beside the apply thread.
 */
public final class RocksRecords implements StateView, AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final Map<Table, ColumnFamilyHandle> tables = new EnumMap<>(Table.class);
  private final WriteOptions writeOptions = new WriteOptions().setSync(false).setDisableWAL(false);

  private RocksRecords(Path dir) throws IOException {
    this.dir = dir;
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setParanoidChecks(true).setKeepLogFileNum(3);
    this.cfOptions = new ColumnFamilyOptions();
    List<ColumnFamilyDescriptor> cfds = new ArrayList<>();
    cfds.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
    for (Table t : Table.values()) {
      cfds.add(new ColumnFamilyDescriptor(t.columnFamily().getBytes(StandardCharsets.US_ASCII), cfOptions));
    }
    try {
      Files.createDirectories(dir);
      this.db = RocksDB.open(dbOptions, dir.toString(), cfds, handles);
    } catch (RocksDBException e) {
      dbOptions.close();
      cfOptions.close();
      throw new IOException("cannot open the channel-state database in " + dir + ": " + e.getMessage()
          + ". If its files are damaged, move the replica's data directory away and restart it: it will be"
          + " refilled from the other replicas by snapshot install", e);
    }
    for (Table t : Table.values()) tables.put(t, handles.get(t.ordinal() + 1));
  }

  /** Opens (creating if needed) the database in {@code dir}. */
  public static RocksRecords open(Path dir) throws IOException {
    return new RocksRecords(dir);
  }

  public Path directory() {
    return dir;
  }

  @Override
  public Optional<byte[]> get(Table table, byte[] key) {
    try {
      return Optional.ofNullable(db.get(tables.get(table), key));
    } catch (RocksDBException e) {
      throw new CorruptStoreException("read of " + table + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void scan(Table table, byte[] from, byte[] toExclusive, BiPredicate<byte[], byte[]> visitor) {
    try (ReadOptions ro = new ReadOptions()) {
      scan(ro, table, from, toExclusive, visitor);
    }
  }

  private void scan(ReadOptions ro, Table table, byte[] from, byte[] toExclusive, BiPredicate<byte[], byte[]> visitor) {
    try (RocksIterator it = db.newIterator(tables.get(table), ro)) {
      for (it.seek(from); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (toExclusive != null && java.util.Arrays.compareUnsigned(k, toExclusive) >= 0) break;
        if (!visitor.test(k, it.value())) break;
      }
      try {
        it.status();
      } catch (RocksDBException e) {
        throw new CorruptStoreException("scan of " + table + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** Atomically applies mutations and records the applied term/index. */
  public void write(List<Mutation> mutations, long term, long index) throws IOException {
    try (WriteBatch batch = new WriteBatch()) {
      for (Mutation m : mutations) {
        ColumnFamilyHandle cf = tables.get(m.table());
        if (m instanceof Mutation.Put p) {
          batch.put(cf, p.key(), p.value());
        } else if (m instanceof Mutation.Delete d) {
          batch.delete(cf, d.key());
        } else if (m instanceof Mutation.DeleteRange r) {
          batch.deleteRange(cf, r.from(), r.toExclusive());
        }
      }
      batch.put(tables.get(Table.META), StoreKeys.META_APPLIED,
          AppliedIndex.newBuilder().setTerm(term).setIndex(index).build().toByteArray());
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new IOException("write of log entry " + index + " to RocksDB failed: " + e.getMessage(), e);
    }
  }

  /**
   * Reads every table file of the database and checks its block checksums (RocksDB
   * {@code VerifyChecksum}); the MANIFEST and WAL were already checked by the open (paranoid
   * checks). Cost: one sequential read of the SST files, which hold only the channel state.
   *
   * @throws IOException naming the damaged file as RocksDB reports it
   */
  public void verifyChecksums() throws IOException {
    try {
      db.verifyChecksum();
    } catch (RocksDBException e) {
      throw new IOException("the channel-state database in " + dir + " failed its checksum verification: "
          + e.getMessage(), e);
    }
  }

  /** A consistent point-in-time view; close it when done. */
  public SnapshotView snapshotView() {
    return new SnapshotView();
  }

  /** Writes a checkpoint (hard links where possible) into {@code target}, which must not exist. */
  public void checkpoint(Path target) throws IOException {
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true); Checkpoint cp = Checkpoint.create(db)) {
      db.flush(fo, handles);
      cp.createCheckpoint(target.toString());
    } catch (RocksDBException e) {
      throw new IOException("checkpoint into " + target + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    for (ColumnFamilyHandle h : handles) h.close();
    try {
      db.syncWal();
    } catch (RocksDBException ignored) {
      // closing anyway; the Raft log holds every applied entry
    }
    db.close();
    writeOptions.close();
    dbOptions.close();
    cfOptions.close();
  }

  /** A view pinned to one RocksDB snapshot. */
  public final class SnapshotView implements StateView, AutoCloseable {
    private final Snapshot snapshot = db.getSnapshot();
    private final ReadOptions ro = new ReadOptions().setSnapshot(snapshot);

    @Override
    public Optional<byte[]> get(Table table, byte[] key) {
      try {
        return Optional.ofNullable(db.get(tables.get(table), ro, key));
      } catch (RocksDBException e) {
        throw new CorruptStoreException("read of " + table + " failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void scan(Table table, byte[] from, byte[] toExclusive, BiPredicate<byte[], byte[]> visitor) {
      RocksRecords.this.scan(ro, table, from, toExclusive, visitor);
    }

    @Override
    public void close() {
      ro.close();
      db.releaseSnapshot(snapshot);
    }
  }
}
