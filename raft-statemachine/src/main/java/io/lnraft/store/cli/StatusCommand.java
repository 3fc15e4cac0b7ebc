package io.lnraft.store.cli;

import io.lnraft.config.ReplicaConfig;
import io.lnraft.store.RaftGroups;
import io.lnraft.store.RaftStoreClient;
import io.lnraft.store.proto.WriterEpoch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.LogInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lnraft status --config FILE}: the group as every replica reports it — role, term,
 * applied/committed index, last snapshot — and the current writer epoch. Every call is bounded;
 * an unreachable replica is shown as such.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show the replica group: leader, terms, applied/commit indexes per replica, writer epoch.")
public final class StatusCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "any replica's HOCON config file")
  Path config;

  @Option(names = "--timeout", defaultValue = "5s", description = "deadline per request (default ${DEFAULT-VALUE})",
      converter = DurationConverter.class)
  Duration timeout;

  @Override
  public Integer call() {
    Optional<ReplicaConfig> loaded = AdminClients.load(config);
    if (loaded.isEmpty()) return 2;
    ReplicaConfig cfg = loaded.get();
    RaftGroup fileGroup = RaftGroups.group(cfg);
    // The members are what the group's leader reports; the file's list may be stale after a
    // membership change. Show both: members first, then file entries that are no longer members.
    java.util.Optional<io.lnraft.store.Membership.View> view = io.lnraft.store.Membership.current(fileGroup,
        io.lnraft.store.RaftTuning.properties(cfg.raft(), cfg.snapshot(), java.util.Map.of()), timeout);
    java.util.Map<String, org.apache.ratis.protocol.RaftPeer> rows = new java.util.LinkedHashMap<>();
    view.ifPresent(v -> v.voters().stream().sorted(java.util.Comparator.comparing(p -> p.getId().toString()))
        .forEach(p -> rows.put(p.getId().toString(), p)));
    for (org.apache.ratis.protocol.RaftPeer p : fileGroup.getPeers()) rows.putIfAbsent(p.getId().toString(), p);
    RaftGroup group = RaftGroup.valueOf(fileGroup.getGroupId(), rows.values());
    int members = view.map(v -> v.voters().size()).orElse(cfg.replicas().size());
    int reachable = 0;
    String leader = "none";
    try (RaftStoreClient client = new RaftStoreClient(group, io.lnraft.store.RaftTuning.properties(cfg.raft(),
        cfg.snapshot(), java.util.Map.of()), timeout, io.lnraft.store.StoreMetrics.inMemory())) {
      System.out.printf("cluster %s (group %s), %d members%s%n", cfg.clusterId(), group.getGroupId().getUuid(), members,
          view.map(v -> " (as the leader reports them)").orElse(" (from this config file: no leader answered)"));
      System.out.printf("%-6s %-22s %-10s %6s %10s %10s %10s%n", "id", "raft", "role", "term", "applied", "committed",
          "snapshot");
      for (org.apache.ratis.protocol.RaftPeer r : rows.values()) {
        String id = r.getId().toString();
        boolean member = view.isEmpty() || view.get().voter(id).isPresent();
        boolean inFile = cfg.replicas().stream().anyMatch(e -> e.id().equals(id));
        String note = !member ? "  (in this config file, NOT a member)" : !inFile ? "  (member, NOT in this config file)" : "";
        try {
          GroupInfoReply info = client.raftClient().getGroupManagementApi(RaftPeerId.valueOf(id)).info(group.getGroupId());
          RoleInfoProto role = info.getRoleInfoProto();
          LogInfoProto log = info.getLogInfoProto();
          long term = role.getRole() == RaftPeerRole.LEADER ? role.getLeaderInfo().getTerm() : log.getLastEntry().getTerm();
          if (role.getRole() == RaftPeerRole.LEADER) leader = id;
          System.out.printf("%-6s %-22s %-10s %6d %10d %10d %10d%s%n", id, r.getAddress(), role.getRole(), term,
              log.getApplied().getIndex(), log.getCommitted().getIndex(), log.getLastSnapshot().getIndex(), note);
          if (member) reachable++;
        } catch (Exception e) {
          System.out.printf("%-6s %-22s %-10s (%s)%s%n", id, r.getAddress(), "UNREACHABLE", e.getClass().getSimpleName(),
              note);
        }
      }
      if (rows.values().stream().anyMatch(p -> cfg.replicas().stream().noneMatch(e -> e.id().equals(p.getId().toString())))
          || (view.isPresent() && cfg.replicas().stream().anyMatch(e -> view.get().voter(e.id()).isEmpty()))) {
        System.out.println("this config file's replica list differs from the members: update `replicas` in every"
            + " replica's config file (see OPERATIONS.md, membership)");
      }
      System.out.println("leader: " + leader);
      try {
        WriterEpoch w = client.writer().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        System.out.println(w.getEpoch() == 0 ? "writer epoch: none acquired yet"
            : "writer epoch: " + w.getEpoch() + " held by " + w.getReplicaId() + " since log index " + w.getAcquiredAtIndex());
      } catch (Exception e) {
        System.out.println("writer epoch: unknown (no leader answered within " + timeout.toMillis() + " ms)");
      }
    }
    int majority = members / 2 + 1;
    if (reachable < majority) {
      System.err.println("only " + reachable + " of " + members
          + " replicas answered: the group has no majority and cannot commit. Start the stopped replicas.");
      return 1;
    }
    return 0;
  }

  /** Parses 5s, 500ms, 1m. */
  public static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
      String s = v.trim().toLowerCase(java.util.Locale.ROOT);
      if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      if (s.endsWith("s")) return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
      if (s.endsWith("m")) return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      throw new picocli.CommandLine.TypeConversionException("'" + v + "' is not a duration like 5s or 500ms");
    }
  }
}
