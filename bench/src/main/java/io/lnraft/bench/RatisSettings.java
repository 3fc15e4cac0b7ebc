package io.lnraft.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;

/**
 * The effective values (explicit or Ratis 3.3.0 default, as Ratis' own getters resolve them) of
 * the properties that matter for commit latency; see shared/docs/RATIS-3.3.md.
 */
final class RatisSettings {
  private RatisSettings() {}

  static Map<String, String> effective(RaftProperties p) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(RaftConfigKeys.Rpc.TYPE_KEY, String.valueOf(RaftConfigKeys.Rpc.type(p, s -> {})));
    m.put(RaftServerConfigKeys.Rpc.TIMEOUT_MIN_KEY, String.valueOf(RaftServerConfigKeys.Rpc.timeoutMin(p)));
    m.put(RaftServerConfigKeys.Rpc.TIMEOUT_MAX_KEY, String.valueOf(RaftServerConfigKeys.Rpc.timeoutMax(p)));
    m.put(RaftServerConfigKeys.Rpc.FIRST_ELECTION_TIMEOUT_MIN_KEY,
        String.valueOf(RaftServerConfigKeys.Rpc.firstElectionTimeoutMin(p)));
    m.put(RaftServerConfigKeys.Rpc.FIRST_ELECTION_TIMEOUT_MAX_KEY,
        String.valueOf(RaftServerConfigKeys.Rpc.firstElectionTimeoutMax(p)));
    m.put(RaftServerConfigKeys.LeaderElection.LEADER_STEP_DOWN_WAIT_TIME_KEY,
        String.valueOf(RaftServerConfigKeys.LeaderElection.leaderStepDownWaitTime(p)));
    m.put(RaftServerConfigKeys.Log.FORCE_SYNC_NUM_KEY, String.valueOf(RaftServerConfigKeys.Log.forceSyncNum(p)));
    m.put(RaftServerConfigKeys.Log.UNSAFE_FLUSH_ENABLED_KEY, String.valueOf(RaftServerConfigKeys.Log.unsafeFlushEnabled(p)));
    m.put(RaftServerConfigKeys.Log.ASYNC_FLUSH_ENABLED_KEY, String.valueOf(RaftServerConfigKeys.Log.asyncFlushEnabled(p)));
    m.put(RaftServerConfigKeys.Log.LOG_METADATA_ENABLED_KEY, String.valueOf(RaftServerConfigKeys.Log.logMetadataEnabled(p)));
    m.put(RaftServerConfigKeys.Log.APPEND_ENTRIES_COMPOSE_ENABLED_KEY,
        String.valueOf(RaftServerConfigKeys.Log.appendEntriesComposeEnabled(p)));
    m.put(RaftServerConfigKeys.Log.WRITE_BUFFER_SIZE_KEY, String.valueOf(RaftServerConfigKeys.Log.writeBufferSize(p)));
    m.put(RaftServerConfigKeys.Log.SEGMENT_SIZE_MAX_KEY, String.valueOf(RaftServerConfigKeys.Log.segmentSizeMax(p)));
    m.put(RaftServerConfigKeys.Log.PREALLOCATED_SIZE_KEY, String.valueOf(RaftServerConfigKeys.Log.preallocatedSize(p)));
    m.put(RaftServerConfigKeys.Log.Appender.WAIT_TIME_MIN_KEY,
        String.valueOf(RaftServerConfigKeys.Log.Appender.waitTimeMin(p)));
    m.put(RaftServerConfigKeys.Log.Appender.BUFFER_BYTE_LIMIT_KEY,
        String.valueOf(RaftServerConfigKeys.Log.Appender.bufferByteLimit(p)));
    m.put(RaftServerConfigKeys.Log.Appender.BUFFER_ELEMENT_LIMIT_KEY,
        String.valueOf(RaftServerConfigKeys.Log.Appender.bufferElementLimit(p)));
    m.put(RaftServerConfigKeys.Write.ELEMENT_LIMIT_KEY, String.valueOf(RaftServerConfigKeys.Write.elementLimit(p)));
    m.put(RaftServerConfigKeys.Write.BYTE_LIMIT_KEY, String.valueOf(RaftServerConfigKeys.Write.byteLimit(p)));
    m.put(GrpcConfigKeys.Server.LEADER_OUTSTANDING_APPENDS_MAX_KEY,
        String.valueOf(GrpcConfigKeys.Server.leaderOutstandingAppendsMax(p)));
    m.put(RaftServerConfigKeys.Read.OPTION_KEY, String.valueOf(RaftServerConfigKeys.Read.option(p)));
    m.put(RaftServerConfigKeys.Read.LEADER_LEASE_ENABLED_KEY, String.valueOf(RaftServerConfigKeys.Read.leaderLeaseEnabled(p)));
    m.put(RaftServerConfigKeys.Read.LEADER_LEASE_TIMEOUT_RATIO_KEY,
        String.valueOf(RaftServerConfigKeys.Read.leaderLeaseTimeoutRatio(p)));
    m.put(RaftServerConfigKeys.Snapshot.AUTO_TRIGGER_ENABLED_KEY,
        String.valueOf(RaftServerConfigKeys.Snapshot.autoTriggerEnabled(p)));
    m.put(RaftServerConfigKeys.Snapshot.AUTO_TRIGGER_THRESHOLD_KEY,
        String.valueOf(RaftServerConfigKeys.Snapshot.autoTriggerThreshold(p)));
    m.put(RaftClientConfigKeys.Async.OUTSTANDING_REQUESTS_MAX_KEY,
        String.valueOf(RaftClientConfigKeys.Async.outstandingRequestsMax(p)));
    m.put(RaftClientConfigKeys.Rpc.REQUEST_TIMEOUT_KEY, String.valueOf(RaftClientConfigKeys.Rpc.requestTimeout(p)));
    return m;
  }
}
