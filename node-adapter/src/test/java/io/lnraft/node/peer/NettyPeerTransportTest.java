package io.lnraft.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lnraft.node.gate.OutboundGate;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real LDK PeerManagers talking BOLT 8 over loopback TCP through the transport. */
@Timeout(20)
class NettyPeerTransportTest {
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final NettyPeerTransport.Config CONFIG =
      NettyPeerTransport.Config.defaults().withConnectTimeout(Duration.ofSeconds(5));

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private LdkPeerNode node(int seed, OutboundGate gate, NettyPeerTransport.Config config) {
    LdkPeerNode node = new LdkPeerNode(seed, gate, config);
    toClose.add(node);
    return node;
  }

  private static int bind(LdkPeerNode node) throws Exception {
    return node.transport.bind(LOOPBACK, 0).get(5, TimeUnit.SECONDS).getPort();
  }

  @Test
  void outboundAndInboundSeeEachOther() throws Exception {
    LdkPeerNode alice = node(1, OutboundGate.immediate(), CONFIG);
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG);
    int port = bind(bob);

    alice.transport.connect(bob.nodeId, LOOPBACK, port).get(5, TimeUnit.SECONDS);

    assertThat(alice.sees(bob.nodeId)).isTrue(); // the future completes only once LDK lists bob
    await().atMost(WAIT).until(() -> bob.sees(alice.nodeId));
    assertThat(alice.transport.connectedPeers()).hasSize(1);
    assertThat(bob.transport.connectedPeers()).hasSize(1);
  }

  @Test
  void closeAllDropsEverySocketAndTheOtherSideNotices() throws Exception {
    LdkPeerNode alice = node(1, OutboundGate.immediate(), CONFIG);
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG);
    int port = bind(bob);
    alice.transport.connect(bob.nodeId, LOOPBACK, port).get(5, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> bob.sees(alice.nodeId));

    bob.transport.closeAll();

    await().atMost(WAIT).until(() -> alice.transport.connectedPeers().isEmpty());
    await().atMost(WAIT).until(() -> bob.transport.connectedPeers().isEmpty()); // socket_disconnected ran
    assertThat(bob.transport.connectionCount()).isZero();
    try (Socket probe = new Socket()) { // the listener is gone too
      assertThatThrownBy(() -> probe.connect(new InetSocketAddress(LOOPBACK, port), 1000))
          .isInstanceOf(SocketException.class);
    }
  }

  @Test
  void ldkInitiatedDisconnectAfterGcClosesTheSocket() throws Exception {
    LdkPeerNode alice = node(1, OutboundGate.immediate(), CONFIG);
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG);
    int port = bind(bob);
    alice.transport.connect(bob.nodeId, LOOPBACK, port).get(5, TimeUnit.SECONDS);
    for (int i = 0; i < 3; i++) {
      System.gc(); // descriptors must survive: LDK calls back into them below
    }
    alice.transport.timerTick(); // pings go through send_data of both descriptors

    alice.transport.disconnect(bob.nodeId); // LDK calls disconnect_socket

    await().atMost(WAIT).until(() -> alice.transport.connectionCount() == 0);
    await().atMost(WAIT).until(() -> bob.transport.connectedPeers().isEmpty());
    assertThat(alice.transport.connectedPeers()).isEmpty();
  }

  @Test
  void garbageIsRefusedAndTheListenerKeepsServing() throws Exception {
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG);
    int port = bind(bob);

    try (Socket raw = new Socket(LOOPBACK, port)) {
      byte[] garbage = new byte[64]; // act one is 50 bytes; version byte 0xff is invalid
      Arrays.fill(garbage, (byte) 0xff);
      raw.getOutputStream().write(garbage);
      raw.getOutputStream().flush();
      raw.setSoTimeout(5000);
      assertThat(readOrReset(raw.getInputStream())).isEqualTo(-1); // bob closed it, sent nothing
    }
    await().atMost(WAIT).until(() -> bob.transport.connectionCount() == 0);

    LdkPeerNode alice = node(1, OutboundGate.immediate(), CONFIG);
    alice.transport.connect(bob.nodeId, LOOPBACK, port).get(5, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> bob.sees(alice.nodeId));
  }

  @Test
  void nothingReachesTheWireBeforeTheGateReleasesIt() throws Exception {
    HoldingGate gate = new HoldingGate();
    LdkPeerNode alice = node(1, gate, CONFIG);
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG);
    try (ServerSocket wire = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      alice.transport.connect(bob.nodeId, LOOPBACK, wire.getLocalPort());
      try (Socket accepted = wire.accept()) {
        accepted.setSoTimeout(300);
        InputStream in = accepted.getInputStream();
        await().atMost(WAIT).until(() -> gate.heldCount() == 1); // act one, held
        assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);

        gate.releaseHeld();

        accepted.setSoTimeout(5000);
        byte[] actOne = in.readNBytes(50);
        assertThat(actOne).hasSize(50);
        assertThat(actOne[0]).isZero(); // BOLT 8 version 0
      }
    }
  }

  @Test
  void handshakeWaitsForTheGate() throws Exception {
    HoldingGate gate = new HoldingGate();
    LdkPeerNode alice = node(1, gate, CONFIG);
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG);
    int port = bind(bob);

    var connected = alice.transport.connect(bob.nodeId, LOOPBACK, port);
    await().atMost(WAIT).until(() -> gate.heldCount() == 1);
    Thread.sleep(300); // time enough for a handshake on loopback, were the bytes sent
    assertThat(connected).isNotDone();
    assertThat(bob.transport.connectedPeers()).isEmpty();
    assertThat(bob.transport.connectionCount()).isEqualTo(1); // TCP is up, BOLT 8 is not

    gate.open();

    connected.get(5, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> bob.sees(alice.nodeId));
    assertThat(gate.wakeups()).isPositive();
  }

  @Test
  void connectionLimitRefusesInboundAndOutbound() throws Exception {
    LdkPeerNode bob = node(2, OutboundGate.immediate(), CONFIG.withMaxConnections(1));
    int bobPort = bind(bob);
    LdkPeerNode alice = node(1, OutboundGate.immediate(), CONFIG.withMaxConnections(1));
    LdkPeerNode carol = node(3, OutboundGate.immediate(), CONFIG);
    int carolPort = bind(carol);
    alice.transport.connect(bob.nodeId, LOOPBACK, bobPort).get(5, TimeUnit.SECONDS);

    // Inbound beyond the limit: bob closes the socket at accept.
    var refused = carol.transport.connect(bob.nodeId, LOOPBACK, bobPort);
    assertThatThrownBy(() -> refused.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    assertThat(bob.transport.connectedPeers()).hasSize(1);

    // Outbound beyond the limit: alice does not dial.
    var notDialed = alice.transport.connect(carol.nodeId, LOOPBACK, carolPort);
    assertThatThrownBy(() -> notDialed.get(1, TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.io.IOException.class)
        .hasMessageContaining("connection limit")
        .hasMessageContaining("lnraft.node.max-peer-connections");
    assertThat(carol.transport.connectionCount()).isEqualTo(0);
  }

  @Test
  void connectTimesOutWhenThePeerNeverAnswers() throws Exception {
    LdkPeerNode alice =
        node(1, OutboundGate.immediate(), CONFIG.withConnectTimeout(Duration.ofMillis(500)));
    byte[] someNodeId = node(9, OutboundGate.immediate(), CONFIG).nodeId;
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      var connected = alice.transport.connect(someNodeId, LOOPBACK, silent.getLocalPort());
      try (Socket accepted = silent.accept()) {
        assertThatThrownBy(() -> connected.get(5, TimeUnit.SECONDS))
            .hasCauseInstanceOf(TimeoutException.class);
        accepted.setSoTimeout(5000);
        accepted.getInputStream().readNBytes(50); // act one
        assertThat(readOrReset(accepted.getInputStream())).isEqualTo(-1); // alice closed the socket
      }
    }
    await().atMost(WAIT).until(() -> alice.transport.connectionCount() == 0);
  }

  private static int readOrReset(InputStream in) throws Exception {
    try {
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }
}
