package io.lnraft.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The baselines of the commit-latency comparison (issue 5): what operators use today and the
 * hardware limit, given the same payment commit as our store. Every writer gets its own channel,
 * i.e. its own monitor-update keys AND its own manager key: a baseline never waits on another
 * writer's row lock (one shared manager row would serialize PostgreSQL at one commit per flush),
 * so these are each system's best case.
 */
final class Baselines {
  private Baselines() {}

  private static final long TIMEOUT_S = 30;

  // ---------------------------------------------------------------- fdatasync

  /**
   * The disk's floor: each writer overwrites the next block of its own preallocated file (a ring of
   * {@link #RING_BYTES}) and calls fdatasync. Preallocated like a database's WAL (PostgreSQL's 16 MiB
   * segments, RocksDB's fallocate, Ratis' preallocated segments): an append that grows the file
   * would also make ext4 commit its journal for the new size on every flush, which is not the floor.
   */
  static final class Fsync implements CommitTarget {
    static final int RING_BYTES = 1 << 20;
    private final Path dir;
    private final int blockBytes;
    private final AtomicInteger next = new AtomicInteger();

    Fsync(Path dir, int blockBytes) throws IOException {
      if (blockBytes <= 0 || blockBytes > RING_BYTES) throw new IllegalArgumentException("block must be 1.." + RING_BYTES);
      this.dir = Files.createDirectories(dir);
      this.blockBytes = blockBytes;
    }

    @Override
    public String name() {
      return "fdatasync";
    }

    @Override
    public String describe() {
      return "overwrite " + blockBytes + " B in a preallocated 1 MiB file + FileChannel.force(false) (fdatasync),"
          + " one file per writer, no replication";
    }

    @Override
    public Writer writer(int index) throws IOException {
      Path f = dir.resolve("w" + next.getAndIncrement() + ".dat");
      FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try {
        ByteBuffer zeros = ByteBuffer.allocate(RING_BYTES);
        while (zeros.hasRemaining()) ch.write(zeros);
        ch.force(true);
      } catch (IOException e) {
        ch.close();
        throw e;
      }
      int blocks = RING_BYTES / blockBytes;
      byte[] block = new byte[blockBytes];
      ByteBuffer buf = ByteBuffer.wrap(block);
      long[] n = {0};
      return new Writer() {
        @Override
        public Attempt prepare(byte[] update, byte[] manager) {
          System.arraycopy(manager, 0, block, 0, Math.min(manager.length, block.length));
          long pos = (n[0]++ % blocks) * (long) blockBytes;
          return () -> {
            buf.clear();
            long p = pos;
            while (buf.hasRemaining()) p += ch.write(buf, p);
            ch.force(false);
          };
        }

        @Override
        public void close() throws IOException {
          ch.close();
          Files.deleteIfExists(f);
        }
      };
    }
  }

  // ---------------------------------------------------------------- local RocksDB

  /** One local RocksDB, {@code WriteOptions.setSync(true)}, both values in one WriteBatch. */
  static final class LocalRocksDb implements CommitTarget {
    private final RocksDB db;
    private final WriteOptions sync;
    private final AtomicInteger next = new AtomicInteger();

    LocalRocksDb(Path dir) throws IOException, RocksDBException {
      RocksDB.loadLibrary();
      sync = new WriteOptions().setSync(true);
      Files.createDirectories(dir);
      try (org.rocksdb.Options o = new org.rocksdb.Options().setCreateIfMissing(true)) {
        db = RocksDB.open(o, dir.toString());
      }
    }

    @Override
    public String name() {
      return "rocksdb-sync";
    }

    @Override
    public String describe() {
      return "local RocksDB " + RocksDB.rocksdbVersion() + ", WriteBatch{manager, monitor update}, WriteOptions.setSync(true),"
          + " default options, no replication";
    }

    @Override
    public Writer writer(int index) {
      int ch = next.getAndIncrement();
      byte[] managerKey = ("manager/" + ch).getBytes(StandardCharsets.UTF_8);
      long[] updateId = {0};
      return (update, manager) -> {
        byte[] updateKey = String.format(Locale.ROOT, "update/%d/%016x", ch, ++updateId[0]).getBytes(StandardCharsets.UTF_8);
        return () -> {
          try (WriteBatch b = new WriteBatch()) {
            b.put(managerKey, manager);
            b.put(updateKey, update);
            db.write(sync, b);
          }
        };
      };
    }

    @Override
    public void close() {
      sync.close();
      db.close();
    }
  }

  // ---------------------------------------------------------------- PostgreSQL

  /**
   * PostgreSQL through pgjdbc, one connection per writer (a connection is single-threaded), one
   * transaction per commit: upsert the writer's manager row + insert the monitor-update row.
   * {@code synchronousCommit} is set per session ({@code on}; with a synchronous standby {@code on}
   * waits for the standby's WAL flush, {@code remote_apply} also for its replay).
   */
  static final class Postgres implements CommitTarget {
    private final String name;
    private final String url;
    private final String synchronousCommit;
    private final String server;
    private final List<Long> pids;
    private final AtomicInteger next = new AtomicInteger();

    Postgres(String name, String url, String synchronousCommit, List<Long> pids) throws SQLException {
      this.name = name;
      this.url = url;
      this.synchronousCommit = synchronousCommit;
      this.pids = pids;
      try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS manager (channel int PRIMARY KEY, value bytea NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS monitor_update (channel int, update_id bigint, value bytea NOT NULL,"
            + " PRIMARY KEY (channel, update_id))");
        s.execute("TRUNCATE manager, monitor_update");
        var rs = s.executeQuery("SELECT version(), current_setting('synchronous_standby_names'),"
            + " current_setting('fsync'), current_setting('wal_sync_method'), current_setting('full_page_writes')");
        rs.next();
        String standbys = rs.getString(2);
        server = rs.getString(1).replaceAll(" on x86_64.*", "") + "; synchronous_standby_names='" + standbys
            + "', fsync=" + rs.getString(3) + ", wal_sync_method=" + rs.getString(4) + ", full_page_writes="
            + rs.getString(5);
        if (!"local".equals(synchronousCommit) && !standbys.isEmpty()) {
          var st = s.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'");
          st.next();
          if (st.getInt(1) < 1) {
            throw new IllegalStateException(url + " names synchronous standbys but none is streaming in sync state:"
                + " start the standby (bench/baselines/postgres.sh) and check its log");
          }
        }
      }
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String describe() {
      return server + "; synchronous_commit=" + synchronousCommit + "; per commit one transaction: "
          + "INSERT .. ON CONFLICT DO UPDATE manager row + INSERT monitor_update row";
    }

    @Override
    public List<Long> pids() {
      return pids;
    }

    @Override
    public Writer writer(int index) throws SQLException {
      int ch = next.getAndIncrement();
      Connection c = DriverManager.getConnection(url);
      try (Statement s = c.createStatement()) {
        s.execute("SET synchronous_commit = " + synchronousCommit);
      }
      c.setAutoCommit(false);
      PreparedStatement upsert = c.prepareStatement(
          "INSERT INTO manager (channel, value) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET value = excluded.value");
      PreparedStatement insert = c.prepareStatement("INSERT INTO monitor_update (channel, update_id, value) VALUES (?, ?, ?)");
      long[] updateId = {0};
      return new Writer() {
        @Override
        public Attempt prepare(byte[] update, byte[] manager) {
          long id = ++updateId[0];
          return () -> {
            try {
              upsert.setInt(1, ch);
              upsert.setBytes(2, manager);
              upsert.executeUpdate();
              insert.setInt(1, ch);
              insert.setLong(2, id);
              insert.setBytes(3, update);
              insert.executeUpdate();
              c.commit();
            } catch (SQLException e) {
              c.rollback();
              throw e;
            }
          };
        }

        @Override
        public void close() throws SQLException {
          c.close();
        }
      };
    }
  }

  // ---------------------------------------------------------------- etcd

  /**
   * An etcd cluster through jetcd: one client shared by the writers (as a node has one), one txn
   * putting the manager key and the monitor-update key. The client talks to the leader's endpoint
   * only (found through the maintenance API), so no commit pays a follower-to-leader forward.
   */
  static final class Etcd implements CommitTarget {
    private final Client client;
    private final KV kv;
    private final String endpoint;
    private final String version;
    private final int members;
    private final List<Long> pids;
    private final AtomicInteger next = new AtomicInteger();

    Etcd(List<String> endpoints, List<Long> pids) throws Exception {
      this.pids = pids;
      this.members = endpoints.size();
      String leaderEndpoint = null;
      String v = "?";
      try (Client probe = Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
        for (String e : endpoints) {
          StatusResponse st = probe.getMaintenanceClient().statusMember(e).get(TIMEOUT_S, TimeUnit.SECONDS);
          v = st.getVersion();
          if (st.getLeader() != 0 && st.getLeader() == st.getHeader().getMemberId()) leaderEndpoint = e;
        }
      }
      if (leaderEndpoint == null) {
        throw new IllegalStateException("no etcd member of " + endpoints + " says it is the leader: check the etcd logs"
            + " (bench/baselines/etcd.sh)");
      }
      this.endpoint = leaderEndpoint;
      this.version = v;
      this.client = Client.builder().endpoints(leaderEndpoint).build();
      this.kv = client.getKVClient();
      kv.put(bytes("bench/ping"), bytes("1")).get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Override
    public String name() {
      return "etcd";
    }

    @Override
    public String describe() {
      return "etcd " + version + ", " + members + " members on loopback, jetcd client on the leader " + endpoint
          + "; per commit one txn Then(put manager key, put monitor-update key)";
    }

    @Override
    public List<Long> pids() {
      return pids;
    }

    @Override
    public Writer writer(int index) {
      int ch = next.getAndIncrement();
      ByteSequence managerKey = bytes("manager/" + ch);
      long[] updateId = {0};
      return (update, manager) -> {
        ByteSequence updateKey = bytes(String.format(Locale.ROOT, "update/%d/%016x", ch, ++updateId[0]));
        ByteSequence m = ByteSequence.from(manager);
        ByteSequence u = ByteSequence.from(update);
        return () -> {
          TxnResponse r = kv.txn()
              .Then(Op.put(managerKey, m, PutOption.DEFAULT), Op.put(updateKey, u, PutOption.DEFAULT))
              .commit().get(TIMEOUT_S, TimeUnit.SECONDS);
          if (!r.isSucceeded()) throw new IllegalStateException("etcd txn not succeeded");
        };
      };
    }

    @Override
    public void close() {
      client.close();
    }

    private static ByteSequence bytes(String s) {
      return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
  }

  /** Pids listed in a file, one per line (as bench/baselines/*.sh write them); empty if absent. */
  static List<Long> readPids(Path file) throws IOException {
    List<Long> out = new ArrayList<>();
    if (!Files.exists(file)) return out;
    for (String l : Files.readAllLines(file)) {
      l = l.trim();
      if (!l.isEmpty()) out.add(Long.parseLong(l));
    }
    return out;
  }
}
