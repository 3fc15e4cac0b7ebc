package io.lnraft.store;

import io.lnraft.config.HostPort;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.RpcType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  private final boolean joining;
  private final boolean fresh;

  private ReplicaServer(ReplicaConfig config, StoreMetrics metrics, Map<String, String> overrides, boolean join)
      throws IOException {
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

    // A joining replica starts with the group id and NO members: Ratis then starts it
    // "initializing" (no election timer), so it can never elect itself or form a group of its own;
    // it only accepts the current leader's snapshot and entries once add-replica made it a member.
    // On a restart, a configuration in its log or installed snapshot takes precedence, as always.
    this.joining = join;
    this.fresh = fresh;
    this.server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(config.replicaId()))
        .setGroup(joining ? RaftGroup.valueOf(group.getGroupId()) : group)
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
    return start(config, metrics, ratisOverrides, false);
  }

  /**
   * As {@link #start(ReplicaConfig, StoreMetrics, Map)}; with {@code join}, a replica whose data
   * directory is empty starts as a NEW member of a running group: it waits, without taking part in
   * elections, until {@code lnraft add-replica} (or replace-replica) adds it, then catches up by
   * snapshot install. Once it has a configuration in its log, {@code join} changes nothing.
   *
   * @throws MembershipException if the group's leader reports a configuration without this
   *     replica (it was removed): it is stopped again, nothing in its directory changed
   */
  public static ReplicaServer start(ReplicaConfig config, StoreMetrics metrics, Map<String, String> ratisOverrides,
      boolean join) throws IOException {
    ReplicaServer r = new ReplicaServer(config, metrics, ratisOverrides, join);
    try {
      r.server.start();
      r.requireGroupLoaded();
    } catch (IOException | RuntimeException e) {
      try {
        r.server.close();
      } catch (IOException | RuntimeException ignored) {
        // already failing
      }
      if (r.fresh) throw e;
      Optional<DamagedStorageException> found = damagedCause(e);
      String problem = found.map(Throwable::getMessage).orElseGet(() -> causes(e));
      String repair = found.isPresent() ? "Repair:" : "If a file of that directory is damaged (a Raft log segment under"
          + " raft/, a RocksDB file under state/):";
      throw new DamagedStorageException("replica " + config.replicaId() + " REFUSES TO START from its data directory "
          + config.dataDir() + ": " + problem + ". It has not voted or served. " + repair + " stop it, move the data"
          + " directory away (keep it for analysis) and start the replica again with an EMPTY data directory (same config,"
          + " no --join), then move leadership once (lnraft transfer-leader --to <another healthy replica>): it is"
          + " refilled from the other replicas by snapshot install (OPERATIONS.md, \"A damaged data directory\").", e);
    }
    if (r.joining) {
      if (r.waitingToJoin()) {
        LOG.info("replica {} of cluster {} started to JOIN, waiting to be added: raft {} ({}); run lnraft add-replica"
            + " --id {} --raft {} (or replace-replica) against the running group", config.replicaId(), config.clusterId(),
            config.self().raft(), config.raft().rpcType(), config.replicaId(), config.self().raft());
      } else {
        LOG.info("replica {} of cluster {} started (--join: already a member): raft {} ({})", config.replicaId(),
            config.clusterId(), config.self().raft(), config.raft().rpcType());
      }
      return r;
    }
    try {
      MembershipCheck.onStart(r);
    } catch (MembershipException e) {
      r.close();
      if (r.fresh) {
        // This start created the storage; remove it so that a start with --join finds it empty.
        CheckpointSnapshotStorage.deleteTree(config.dataDir().resolve("raft"));
        CheckpointSnapshotStorage.deleteTree(config.dataDir().resolve("state"));
      }
      throw e;
    }
    LOG.info("replica {} of cluster {} started: raft {} ({}, {})", config.replicaId(), config.clusterId(),
        config.self().raft(), config.raft().rpcType(), config.raft().tls().isPresent() ? "mutual TLS" : "PLAINTEXT");
    return r;
  }

  /** Ratis may log a division that failed to load and carry on without it: that is a failed start here. */
  private void requireGroupLoaded() throws IOException {
    server.getDivision(group.getGroupId());
  }

  private static Optional<DamagedStorageException> damagedCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DamagedStorageException d) return Optional.of(d);
    }
    return Optional.empty();
  }

  /** The messages of an exception and its causes, outermost first, without repeats. */
  static String causes(Throwable e) {
    java.util.LinkedHashSet<String> parts = new java.util.LinkedHashSet<>();
    for (Throwable t = e; t != null && parts.size() < 6; t = t.getCause()) {
      if (t.getMessage() != null) parts.add(t.getMessage());
      if (t.getCause() == t) break;
    }
    return String.join(" <- ", parts);
  }

  /** Whether this start created the replica's storage (its data directory had no Raft log). */
  boolean freshStart() {
    return fresh;
  }

  /** Whether this replica started with {@code join} and is not (yet) a member of the group's configuration. */
  public boolean waitingToJoin() {
    return joining && currentMembers().stream().noneMatch(p -> p.getId().toString().equals(config.replicaId()));
  }

  /**
   * The voting members of the group's configuration as this replica knows it (from its Raft log or
   * installed snapshot; the config file's list only seeds a fresh group). Empty while a joining
   * replica waits to be added.
   */
  public java.util.List<org.apache.ratis.protocol.RaftPeer> currentMembers() {
    try {
      return java.util.List.copyOf(server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers());
    } catch (IOException e) {
      return java.util.List.of();
    }
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
