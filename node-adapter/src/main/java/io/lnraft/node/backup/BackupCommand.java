package io.lnraft.node.backup;

import io.lnraft.backup.proto.BackupHeader;
import io.lnraft.backup.proto.BackupPayload;
import io.lnraft.config.ConfigException;
import io.lnraft.config.ConfigLoader;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.config.SeedFile;
import io.lnraft.node.ldk.LdkNode;
import io.lnraft.node.ldk.LdkSeed;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.StateSealer;
import io.lnraft.store.cli.AdminClients;
import io.lnraft.store.cli.StatusCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft backup export|restore}: the static channel backup (see {@link StaticChannelBackup}
 * for what it holds, {@link BackupFormat} for the file). Exit codes: 0 done, 1 refused or failed
 * (the message says why; nothing was written), 2 usage or config error.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
    description = "Static channel backup: export it encrypted from a running cluster, restore it into a fresh one.",
    subcommands = {BackupCommand.Export.class, BackupCommand.Restore.class})
public final class BackupCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("say what to do: lnraft backup export ... | lnraft backup restore ... (--help)");
    return 2;
  }

  /** Config, seed and the node id of that seed, loaded once; never printed. */
  private record Loaded(ReplicaConfig cfg, byte[] bip39Seed, byte[] nodeId) {}

  private static Loaded load(Path config) {
    try {
      ReplicaConfig cfg = ConfigLoader.load(config);
      byte[] seed = SeedFile.read(cfg.seedFile());
      byte[] ldkSeed = LdkSeed.fromBip39Seed(seed);
      byte[] nodeId = LdkNode.nodeIdForSeed(ldkSeed);
      Arrays.fill(ldkSeed, (byte) 0);
      return new Loaded(cfg, seed, nodeId);
    } catch (ConfigException | IllegalArgumentException | IllegalStateException e) {
      System.err.println(e.getMessage());
      return null;
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Read the channel state (linearizable) and write it encrypted under a key derived from the seed, mode 0600.")
  public static final class Export implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "any replica's config file (its seed file is read)")
    Path config;

    @Option(names = "--out", required = true, description = "backup file to write (atomically, mode 0600)")
    Path out;

    @Option(names = "--force", description = "replace --out if it exists")
    boolean force;

    @Option(names = "--timeout", defaultValue = "30s", converter = StatusCommand.DurationConverter.class,
        description = "deadline of each store read (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() {
      Loaded l = load(config);
      if (l == null) return 2;
      // A sealing client, as the node's: the backup holds the channel state opened (the manager
      // whole, joined from its chunks) inside the file's own AES-GCM envelope, and a restore seals
      // it again for the new cluster's store.
      try (RaftStoreClient store = AdminClients.client(l.cfg(), timeout).sealingWith(StateSealer.fromSeed(l.bip39Seed()))) {
        BackupPayload p = StaticChannelBackup.read(store, timeout);
        if (!Arrays.equals(p.getIdentity().getNodePublicKey().toByteArray(), l.nodeId())) {
          throw new BackupException("the store is bound to node " + BackupFormat.hex(p.getIdentity().getNodePublicKey().toByteArray())
              + " but the seed of " + config + " is node " + BackupFormat.hex(l.nodeId())
              + ": export with the config of this cluster");
        }
        BackupHeader h = StaticChannelBackup.header(l.cfg().clusterId(), l.cfg().network(), p, System.currentTimeMillis());
        byte[] file = BackupFormat.seal(h, p, l.bip39Seed());
        StaticChannelBackup.writeAtomically(out, file, force);
        System.out.printf("backup written: %s (%d bytes, mode 0600): cluster %s, node %s, %d channel(s), %d monitor"
            + " update(s), applied index %d%n", out, file.length, l.cfg().clusterId(), BackupFormat.hex(l.nodeId()),
            p.getChannelsCount(), p.getChannelsList().stream().mapToInt(c -> c.getUpdatesAfterBaseCount()).sum(),
            p.getAppliedIndex());
        return 0;
      } catch (BackupException e) {
        System.err.println("backup export refused: " + e.getMessage());
        return 1;
      } finally {
        Arrays.fill(l.bip39Seed(), (byte) 0);
      }
    }
  }

  @Command(name = "restore", mixinStandardHelpOptions = true,
      description = "Restore a backup into a FRESH cluster (replicas running `lnraft replica`, empty data directories)"
          + " through one atomic Raft commit under a new writer epoch; then start the replicas with `lnraft node`.")
  public static final class Restore implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "any replica's config file of the new cluster (same seed)")
    Path config;

    @Option(names = "--in", required = true, description = "backup file written by `lnraft backup export`")
    Path in;

    @Option(names = "--force", description = "restore even if the store already holds a manager or channels (dangerous)")
    boolean force;

    @Option(names = "--allow-other-cluster-id",
        description = "accept a backup whose cluster id differs from this config's (same seed still required)")
    boolean allowOtherClusterId;

    @Option(names = "--timeout", defaultValue = "30s", converter = StatusCommand.DurationConverter.class,
        description = "deadline of each store call (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() {
      Loaded l = load(config);
      if (l == null) return 2;
      try {
        byte[] file;
        try {
          file = Files.readAllBytes(in);
        } catch (IOException e) {
          throw new BackupException("cannot read " + in + ": " + e.getMessage());
        }
        BackupHeader peek = BackupFormat.peekHeader(file);
        if (!peek.getClusterId().equals(l.cfg().clusterId()) && !allowOtherClusterId) {
          throw new BackupException("this backup is of cluster '" + peek.getClusterId() + "' but " + config
              + " is cluster '" + l.cfg().clusterId() + "': use that cluster's config, or pass --allow-other-cluster-id"
              + " if the cluster was renamed; nothing was written");
        }
        if (!peek.getNetwork().equals(l.cfg().network())) {
          throw new BackupException("this backup is of a " + peek.getNetwork() + " node but " + config + " is "
              + l.cfg().network() + "; nothing was written");
        }
        BackupFormat.Opened opened = BackupFormat.open(file, l.bip39Seed(), l.nodeId());
        try (RaftStoreClient store = AdminClients.client(l.cfg(), timeout).sealingWith(StateSealer.fromSeed(l.bip39Seed()))) {
          StaticChannelBackup.Restored r = StaticChannelBackup.restore(store, opened, () -> locateLeader(store, l.cfg()),
              force, l.cfg().raft().maxEntryBytes(), timeout);
          System.out.printf("restored backup of %s (made %s, applied index %d): %d channel(s), %d monitor update(s),"
              + " %d kv key(s), one commit of %d bytes at log index %d under writer epoch %d%n", in,
              Instant.ofEpochMilli(opened.header().getCreatedAtMs()), opened.header().getAppliedIndex(), r.channels(),
              r.monitorUpdates(), r.kvKeys(), r.commitBytes(), r.logIndex(), r.epoch());
          System.out.println("next: stop the `lnraft replica` processes and start `lnraft node` on each replica"
              + " (OPERATIONS.md, section Backup and restore: only if this backup is the LATEST state of the node)");
          return 0;
        }
      } catch (BackupException e) {
        System.err.println("backup restore refused: " + e.getMessage());
        return 1;
      } finally {
        Arrays.fill(l.bip39Seed(), (byte) 0);
      }
    }
  }

  /** The replica that reports itself Raft leader, with its term. */
  static StaticChannelBackup.Leader locateLeader(RaftStoreClient store, ReplicaConfig cfg) throws Exception {
    RaftGroup group = RaftGroups.group(cfg);
    for (ReplicaEndpoint r : cfg.replicas()) {
      try {
        RoleInfoProto role = store.raftClient().getGroupManagementApi(RaftPeerId.valueOf(r.id())).info(group.getGroupId())
            .getRoleInfoProto();
        if (role.getRole() == RaftPeerRole.LEADER) {
          return new StaticChannelBackup.Leader(r.id(), role.getLeaderInfo().getTerm());
        }
      } catch (IOException e) {
        // unreachable replica: ask the next
      }
    }
    throw new IllegalStateException("no replica reports itself Raft leader");
  }
}
