package io.lnraft.store;

import io.lnraft.config.HostPort;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.RpcType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of the store: a Ratis server with a {@link ChannelStateMachine} over RocksDB.
 * Layout of the data directory: {@code raft/} (Ratis log, metadata, snapshots) and
 * {@code state/} (the live RocksDB).
 */
public final class ReplicaServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaServer.class);

  private final ReplicaConfig config;
  private final RaftGroup group;
  private final RaftServer server;
  private final ChannelStateMachine stateMachine;
  private final RaftProperties properties;

  private ReplicaServer(ReplicaConfig config, StoreMetrics metrics, Map<String, String> overrides) throws IOException {
    this.config = config;
    this.group = RaftGroups.group(config);
    Path data = config.dataDir();
    Files.createDirectories(data);
    this.properties = RaftTuning.properties(config.raft(), config.snapshot(), overrides);
    RaftServerConfigKeys.setStorageDir(properties, List.of(data.resolve("raft").toFile()));
    HostPort raft = config.self().raft();
    if (config.raft().rpcType() == RpcType.NETTY) {
      NettyConfigKeys.Server.setHost(properties, raft.host());
      NettyConfigKeys.Server.setPort(properties, raft.port());
    } else {
      GrpcConfigKeys.Server.setHost(properties, raft.host());
      GrpcConfigKeys.Server.setPort(properties, raft.port());
    }
    this.stateMachine = new ChannelStateMachine(data.resolve("state"), config.raft().maxEntryBytes(), metrics);
    boolean fresh = !Files.exists(data.resolve("raft"));
    this.server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(config.replicaId()))
        .setGroup(group)
        .setProperties(properties)
        .setParameters(RaftTuning.parameters(properties))
        .setStateMachine(stateMachine)
        .setOption(fresh ? RaftStorage.StartupOption.FORMAT : RaftStorage.StartupOption.RECOVER)
        .build();
  }

  /** Builds and starts a replica; it joins (or, with the others, elects) the group's leader. */
  public static ReplicaServer start(ReplicaConfig config, StoreMetrics metrics) throws IOException {
    return start(config, metrics, Map.of());
  }

  /** As {@link #start(ReplicaConfig, StoreMetrics)} with raw Ratis properties layered on top. */
  public static ReplicaServer start(ReplicaConfig config, StoreMetrics metrics, Map<String, String> ratisOverrides)
      throws IOException {
    ReplicaServer r = new ReplicaServer(config, metrics, ratisOverrides);
    r.server.start();
    LOG.info("replica {} of cluster {} started: raft {} ({}, {})", config.replicaId(), config.clusterId(),
        config.self().raft(), config.raft().rpcType(), config.raft().tls().isPresent() ? "mutual TLS" : "PLAINTEXT");
    return r;
  }

  public ReplicaConfig config() {
    return config;
  }

  public RaftGroup group() {
    return group;
  }

  public RaftServer raftServer() {
    return server;
  }

  public RaftProperties properties() {
    return properties;
  }

  public ChannelStateMachine stateMachine() {
    return stateMachine;
  }

  public void addLeadershipListener(LeadershipListener l) {
    stateMachine.addLeadershipListener(l);
  }

  /** Whether this replica is the leader and has applied its first entry of the term. */
  public boolean isReadyLeader() {
    try {
      return server.getDivision(group.getGroupId()).getInfo().isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  public long currentTerm() {
    try {
      return server.getDivision(group.getGroupId()).getInfo().getCurrentTerm();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Asks Ratis to take a snapshot now (it also purges the log behind it). */
  public long takeSnapshot() throws IOException {
    org.apache.ratis.protocol.RaftClientReply reply = server.snapshotManagement(
        org.apache.ratis.protocol.SnapshotManagementRequest.newCreate(org.apache.ratis.protocol.ClientId.randomId(),
            server.getId(), group.getGroupId(), 0, 30_000, 1));
    if (!reply.isSuccess()) {
      throw new IOException("snapshot on " + config.replicaId() + " failed: " + reply.getException());
    }
    return reply.getLogIndex();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
