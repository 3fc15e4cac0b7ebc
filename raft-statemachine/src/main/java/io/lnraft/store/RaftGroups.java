package io.lnraft.store;

import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/** Maps our configuration onto Ratis' group and peer identities. */
public final class RaftGroups {
  private RaftGroups() {}

  /** The Ratis group id of a cluster: a name-based UUID of the cluster id. */
  public static RaftGroupId groupId(String clusterId) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("lnraft-cluster:" + clusterId).getBytes(StandardCharsets.UTF_8)));
  }

  public static RaftPeer peer(ReplicaEndpoint e) {
    return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(e.id())).setAddress(e.raft().toString()).build();
  }

  public static RaftGroup group(String clusterId, List<ReplicaEndpoint> replicas) {
    return RaftGroup.valueOf(groupId(clusterId), replicas.stream().map(RaftGroups::peer).toList());
  }

  public static RaftGroup group(ReplicaConfig cfg) {
    return group(cfg.clusterId(), cfg.replicas());
  }
}
