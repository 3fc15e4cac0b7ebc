package io.lnraft.store;

import java.io.IOException;
import java.util.Optional;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;

/** Asks replicas over Ratis' admin API who leads and in which term (tools, tests, the demo). */
public final class GroupProbe {
  private GroupProbe() {}

  /** A leader as one replica reports itself. */
  public record Leader(String replicaId, long term) {}

  /**
   * The replica's own view, if it is a leader whose leader state is set up (a replica reports the
   * LEADER role a moment before its term is known; that moment counts as not yet leader).
   */
  public static Optional<Leader> leaderSelfReport(RaftStoreClient client, RaftGroup group, String replicaId) {
    try {
      GroupInfoReply info = client.raftClient().getGroupManagementApi(RaftPeerId.valueOf(replicaId)).info(group.getGroupId());
      RoleInfoProto role = info.getRoleInfoProto();
      if (role.getRole() == RaftPeerRole.LEADER && role.hasLeaderInfo() && role.getLeaderInfo().getTerm() > 0) {
        return Optional.of(new Leader(replicaId, role.getLeaderInfo().getTerm()));
      }
    } catch (IOException | RuntimeException e) {
      // unreachable or not started: not a leader we can use
    }
    return Optional.empty();
  }
}
