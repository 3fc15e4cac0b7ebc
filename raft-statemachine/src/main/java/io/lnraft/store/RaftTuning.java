package io.lnraft.store;

import io.lnraft.config.RaftSettings;
import io.lnraft.config.RpcType;
import io.lnraft.config.SnapshotSettings;
import java.io.File;
import java.util.Map;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * Ratis properties derived from our settings, in one place. Anything not set here is Ratis'
 * default (see ../shared/docs/RATIS-3.3.md for the real values). Extra raw Ratis keys may be
 * layered on top (benchmarks compare settings this way).
 */
public final class RaftTuning {
  private RaftTuning() {}

  public static RaftProperties properties(RaftSettings raft, SnapshotSettings snapshot, Map<String, String> overrides) {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, raft.rpcType() == RpcType.NETTY ? SupportedRpcType.NETTY : SupportedRpcType.GRPC);
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(raft.electionTimeoutMin().toMillis()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(raft.electionTimeoutMax().toMillis()));
    // Reads for recovery must be linearizable (ReadIndex); the lease makes them local on a healthy leader.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, raft.leaderLease());
    RaftServerConfigKeys.Read.setLeaderLeaseTimeoutRatio(p, raft.leaderLeaseRatio());
    // Entries up to maxEntryBytes must fit the log writer and the appender buffers.
    SizeInBytes entryRoom = SizeInBytes.valueOf(raft.maxEntryBytes() + (1L << 20));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(entryRoom.getSize() + (64 << 10)));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, entryRoom);
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(Math.max(32L << 20, 4 * raft.maxEntryBytes())));
    // No METADATA log entries: with them on (Ratis' default) every commit index advance appends one
    // more entry that is replicated, fsynced on every replica and applied (a RocksDB write here):
    // two log entries, two rounds of appends and twice the fsyncs per commit. They only let a
    // restarted replica apply up to the old commit index before it hears from a leader; our state
    // machine keeps its own applied index in RocksDB, and the leader's commit index is learned on
    // the first append anyway (Apache Ozone runs with them off for the same reason). See bench/PROFILE.md.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    // Snapshots bound the log; without them one dead peer would pin it forever.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, snapshot.autoTrigger());
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, snapshot.everyEntries());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, snapshot.retain());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    // A snapshot stream to a follower that died mid-install is abandoned after 8 x this timeout
    // (3 s by default: 24 s during which the returning follower gets nothing). 4 MB chunks keep
    // each request well inside 2 s on a LAN.
    RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf("4MB"));
    org.apache.ratis.grpc.GrpcConfigKeys.Server.setInstallSnapshotRequestTimeout(p, ms(2000));
    // A client attempt gives up after this; the caller's deadline bounds all attempts.
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, ms(Math.min(raft.requestTimeout().toMillis(), 3000)));
    // TLS files travel with the properties (Ratis ignores keys it does not know), so every
    // server and client built from them gets the same mutual TLS through parameters(p).
    raft.tls().ifPresent(t -> {
      p.set(TLS_CA, t.caFile().toString());
      p.set(TLS_CERT, t.certFile().toString());
      p.set(TLS_KEY, t.keyFile().toString());
    });
    overrides.forEach(p::set);
    return p;
  }

  static final String TLS_CA = "lnraft.tls.ca-file";
  static final String TLS_CERT = "lnraft.tls.cert-file";
  static final String TLS_KEY = "lnraft.tls.key-file";

  /**
   * Ratis parameters for a server or client built from {@code p}: mutual TLS for every gRPC
   * channel (replica to replica, client to replica, admin) when {@code p} came from settings with
   * TLS; empty parameters otherwise.
   */
  public static Parameters parameters(RaftProperties p) {
    Parameters params = new Parameters();
    String ca = p.get(TLS_CA);
    if (ca != null) {
      GrpcTlsConfig tls = new GrpcTlsConfig(new File(p.get(TLS_KEY)), new File(p.get(TLS_CERT)), new File(ca), true);
      GrpcConfigKeys.TLS.setConf(params, tls);
    }
    return params;
  }

  /** Whether {@code p} enables mutual TLS. */
  public static boolean usesTls(RaftProperties p) {
    return p.get(TLS_CA) != null;
  }

  static TimeDuration ms(long millis) {
    return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
  }
}
