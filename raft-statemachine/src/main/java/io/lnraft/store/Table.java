package io.lnraft.store;

/** The RocksDB column families of the store (DESIGN.md, "Data model"). */
public enum Table {
  /** Applied term/index (same batch as the data), identity, event sequence, schema version. */
  META("meta"),
  /** The current writer epoch. */
  WRITER("writer"),
  /** Per channel: its record (update ids, status) and its latest base ChannelMonitor. */
  CHANNELS("channels"),
  /** Channel || update id -> ChannelMonitorUpdate bytes. */
  MONITOR_UPDATES("monitor_updates"),
  /** The serialized ChannelManager. */
  MANAGER("manager"),
  /** Payment ledger by direction and payment hash. */
  PAYMENTS("payments"),
  /** Event feed by sequence number. */
  EVENTS("events"),
  /** Small versioned key-value space. */
  KV("kv");

  private final String columnFamily;

  Table(String columnFamily) {
    this.columnFamily = columnFamily;
  }

  public String columnFamily() {
    return columnFamily;
  }
}
