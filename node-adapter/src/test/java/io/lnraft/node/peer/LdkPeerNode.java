package io.lnraft.node.peer;

import io.lnraft.node.gate.OutboundGate;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.bitcoinj.crypto.ECKey;
import org.ldk.enums.Recipient;
import org.ldk.structs.ErroringMessageHandler;
import org.ldk.structs.IgnoringMessageHandler;
import org.ldk.structs.KeysManager;
import org.ldk.structs.Logger;
import org.ldk.structs.PeerManager;
import org.ldk.structs.Result_SecretKeyNoneZ;
import org.slf4j.LoggerFactory;

/**
 * A peer-only LDK node for transport tests: real keys and a real PeerManager, no channels
 * (ErroringMessageHandler answers channel messages, IgnoringMessageHandler drops gossip).
 * Holds every LDK object it creates so none is collected while native code points to it.
 */
final class LdkPeerNode implements AutoCloseable {
  private static final org.slf4j.Logger log = LoggerFactory.getLogger(LdkPeerNode.class);

  final byte[] nodeId;
  final PeerManager peerManager;
  final NettyPeerTransport transport;
  private final KeysManager keys;
  private final Logger ldkLogger;
  private final ErroringMessageHandler channelHandler;
  private final IgnoringMessageHandler ignoring;

  LdkPeerNode(int seedByte, OutboundGate gate, NettyPeerTransport.Config config) {
    byte[] seed = new byte[32];
    Arrays.fill(seed, (byte) seedByte);
    // KeysManager first: it loads the native library before any org.ldk.enums class is touched.
    keys = KeysManager.of(seed, System.currentTimeMillis() / 1000, (int) System.nanoTime());
    Result_SecretKeyNoneZ secret = keys.as_KeysInterface().get_node_secret(Recipient.LDKRecipient_Node);
    byte[] nodeSecret = ((Result_SecretKeyNoneZ.Result_SecretKeyNoneZ_OK) secret).res;
    nodeId = ECKey.fromPrivate(nodeSecret, true).getPubKey();
    ldkLogger = Logger.new_impl(record -> log.debug("ldk {}: {}", record.get_level(), record.get_args()));
    channelHandler = ErroringMessageHandler.of();
    ignoring = IgnoringMessageHandler.of();
    byte[] ephemeral = new byte[32];
    new SecureRandom().nextBytes(ephemeral);
    peerManager =
        PeerManager.of(
            channelHandler.as_ChannelMessageHandler(),
            ignoring.as_RoutingMessageHandler(),
            nodeSecret,
            ephemeral,
            ldkLogger,
            ignoring.as_CustomMessageHandler());
    transport = new NettyPeerTransport(peerManager, gate, config);
  }

  boolean sees(byte[] otherNodeId) {
    List<byte[]> peers = transport.connectedPeers();
    return peers.stream().anyMatch(id -> Arrays.equals(id, otherNodeId));
  }

  @Override
  public void close() {
    transport.close();
  }
}
