package io.lnraft.node.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * The wire form of the values: snake_case fields, enums as lowercase names, instants as ISO-8601
 * UTC strings, absent optionals as absent fields (never null).
 */
final class JsonViews {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private JsonViews() {}

  static ObjectNode object() {
    return F.objectNode();
  }

  static String name(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  static ObjectNode info(NodeInfo i) {
    return object()
        .put("node_id", i.nodeId())
        .put("role", name(i.role()))
        .put("epoch", i.epoch())
        .put("raft_term", i.raftTerm())
        .put("block_height", i.blockHeight())
        .put("network", i.network())
        .put("peer_count", i.peerCount())
        .put("channel_count", i.channelCount())
        .set("commits", object()
            .put("count", i.commits().count())
            .put("latency_p50_us", i.commits().latencyP50Micros())
            .put("latency_p99_us", i.commits().latencyP99Micros())
            .put("bytes", i.commits().bytesCommitted()));
  }

  static ObjectNode invoice(Invoice i) {
    return object()
        .put("bolt11", i.bolt11())
        .put("payment_hash", i.paymentHash())
        .put("expires_at", i.expiresAt().toString());
  }

  static ObjectNode payment(PaymentView p) {
    ObjectNode o = object()
        .put("payment_hash", p.paymentHash())
        .put("direction", name(p.direction()))
        .put("status", name(p.status()))
        .put("amount_msat", p.amountMsat())
        .put("fee_msat", p.feeMsat())
        .put("created_at", p.createdAt().toString())
        .put("updated_at", p.updatedAt().toString());
    p.failureReason().ifPresent(r -> o.put("failure_reason", r));
    return o;
  }

  static ObjectNode channel(ChannelView c) {
    return object()
        .put("channel_id", c.channelId())
        .put("peer_node_id", c.peerNodeId())
        .put("capacity_sat", c.capacitySat())
        .put("local_balance_msat", c.localBalanceMsat())
        .put("remote_balance_msat", c.remoteBalanceMsat())
        .put("state", name(c.state()));
  }

  static ObjectNode peer(PeerView p) {
    ObjectNode o = object().put("node_id", p.nodeId()).put("connected", p.connected());
    p.address().ifPresent(a -> o.put("address", a));
    return o;
  }

  static ObjectNode event(NodeEvent e) {
    ObjectNode o = object().put("seq", e.seq()).put("type", name(e.type()));
    e.paymentHash().ifPresent(h -> o.put("payment_hash", h));
    e.channelId().ifPresent(c -> o.put("channel_id", c));
    return o.put("amount_msat", e.amountMsat()).put("at", e.at().toString());
  }

  static ObjectNode events(EventsPage page) {
    ObjectNode o = object();
    ArrayNode a = o.putArray("events");
    page.events().forEach(e -> a.add(event(e)));
    return o.put("next_after", page.nextAfter());
  }

  static ObjectNode channels(List<ChannelView> channels) {
    ObjectNode o = object();
    ArrayNode a = o.putArray("channels");
    channels.forEach(c -> a.add(channel(c)));
    return o;
  }

  static ObjectNode peers(List<PeerView> peers) {
    ObjectNode o = object();
    ArrayNode a = o.putArray("peers");
    peers.forEach(p -> a.add(peer(p)));
    return o;
  }

  static ObjectNode error(ApiError e) {
    ObjectNode o = object().put("error", e.code).put("message", e.getMessage());
    e.leaderApi.ifPresent(a -> o.put("leader_api", a));
    return o;
  }
}
