package io.lnraft.node.peer;

import io.lnraft.node.gate.OutboundGate;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.ldk.structs.PeerManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LDK's {@link PeerManager} driven by Netty: TCP in, LDK's decrypted handling under the gate, and
 * every outbound byte handed to the {@link OutboundGate} (which writes it only after the state it
 * depends on is committed).
 *
 * <p>One event-loop thread does all socket I/O and makes the PeerManager calls for socket events;
 * the only blocking it does is the gate's read side. {@link #closeAll} is the leader's stop: no
 * listener, no socket, nothing more written.
 */
public final class NettyPeerTransport implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NettyPeerTransport.class);
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  /**
   * Transport limits.
   *
   * @param maxConnections open plus dialing connections, inbound and outbound together; beyond it
   *     inbound sockets are closed at accept and {@link #connect} fails at once
   * @param connectTimeout bound on TCP connect + BOLT 8 handshake + init for {@link #connect}
   * @param timerTickInterval how often {@code timer_tick_occurred} runs (LDK: about 10 s; it sends
   *     pings and drops peers that did not answer the last ping or finish the handshake)
   */
  public record Config(int maxConnections, Duration connectTimeout, Duration timerTickInterval) {
    public Config {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be >= 1: " + maxConnections);
      }
      if (connectTimeout.isNegative() || connectTimeout.isZero()) {
        throw new IllegalArgumentException("connectTimeout must be positive: " + connectTimeout);
      }
      if (timerTickInterval.isNegative() || timerTickInterval.isZero()) {
        throw new IllegalArgumentException("timerTickInterval must be positive: " + timerTickInterval);
      }
    }

    public static Config defaults() {
      return new Config(64, Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    public Config withMaxConnections(int max) {
      return new Config(max, connectTimeout, timerTickInterval);
    }

    public Config withConnectTimeout(Duration timeout) {
      return new Config(maxConnections, timeout, timerTickInterval);
    }
  }

  private final PeerManager peerManager;
  private final OutboundGate gate;
  private final Config config;
  private final EventLoopGroup loop;
  /** Every peer socket, dialing or connected (not the listener). */
  private final ChannelGroup sockets;
  /** Strong references to each live connection, and so to its LDK SocketDescriptor. */
  private final Map<Long, PeerConnection> connections = new ConcurrentHashMap<>();
  private final AtomicInteger slotsInUse = new AtomicInteger();
  private final AtomicLong nextConnectionId = new AtomicLong(1);
  private final ScheduledFuture<?> ticker;
  private volatile Channel listener;
  private volatile boolean closed;

  public NettyPeerTransport(PeerManager peerManager, OutboundGate gate, Config config) {
    this.peerManager = peerManager;
    this.gate = gate;
    this.config = config;
    // One thread: the machine has two cores and LDK serializes peer handling anyway.
    this.loop = new NioEventLoopGroup(1, new DefaultThreadFactory("lnraft-peer", true));
    this.sockets = new DefaultChannelGroup("lnraft-peers", loop.next());
    long tickMillis = config.timerTickInterval().toMillis();
    this.ticker =
        loop.scheduleAtFixedRate(this::scheduledTick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
  }

  /** Starts the inbound listener; port 0 picks a free port. Completes with the bound address. */
  public CompletableFuture<InetSocketAddress> bind(String host, int port) {
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    if (closed) {
      bound.completeExceptionally(new IllegalStateException("transport closed"));
      return bound;
    }
    if (listener != null) {
      bound.completeExceptionally(new IllegalStateException("already listening on " + listener.localAddress()));
      return bound;
    }
    ServerBootstrap server =
        new ServerBootstrap()
            .group(loop)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true) // many small messages: no Nagle
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    acceptInbound(ch);
                  }
                });
    // Resolved on the caller's thread: the event loop must not block on DNS.
    ChannelFuture bindFuture = server.bind(new InetSocketAddress(host, port));
    bindFuture.addListener(
        f -> {
          if (f.isSuccess()) {
            listener = bindFuture.channel();
            InetSocketAddress local = (InetSocketAddress) bindFuture.channel().localAddress();
            log.info("peer listener bound on {}", local);
            bound.complete(local);
          } else {
            bound.completeExceptionally(f.cause());
          }
        });
    return bound;
  }

  /**
   * Dials a peer. The first handshake bytes go through the gate like every other byte. Completes
   * when LDK lists {@code theirNodeId33} as a connected peer (BOLT 8 handshake and init done);
   * fails on refusal, connection limit, closure, or after {@link Config#connectTimeout}, closing
   * the socket. The host is resolved on the calling thread.
   */
  public CompletableFuture<Void> connect(byte[] theirNodeId33, String host, int port) {
    io.lnraft.node.gate.NodeIds.requireValid(theirNodeId33); // an invalid key panics inside the binding
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("transport closed"));
      return done;
    }
    InetSocketAddress remote = new InetSocketAddress(host, port);
    if (remote.isUnresolved()) {
      done.completeExceptionally(new IOException("cannot resolve " + host));
      return done;
    }
    if (!reserveSlot()) {
      log.warn("not dialing {}: {} connections open (max {}, lnraft.node.max-peer-connections)", remote,
          slotsInUse.get(), config.maxConnections());
      done.completeExceptionally(new IOException("connection limit reached (" + config.maxConnections()
          + " peer connections open or dialing): close one, or raise lnraft.node.max-peer-connections"));
      return done;
    }
    Runnable freeSlot = oneShot(slotsInUse::decrementAndGet);
    byte[] nodeId = theirNodeId33.clone();
    Bootstrap dial =
        new Bootstrap()
            .group(loop)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    track(ch, Optional.of(nodeId), done, freeSlot);
                  }
                });
    ChannelFuture connectFuture = dial.connect(remote);
    Channel channel = connectFuture.channel();
    connectFuture.addListener(
        f -> {
          if (!f.isSuccess()) {
            freeSlot.run();
            done.completeExceptionally(f.cause());
          }
        });
    ScheduledFuture<?> timeout =
        loop.schedule(
            () -> {
              done.completeExceptionally(
                  new TimeoutException(
                      "no handshake with " + remote + " within " + config.connectTimeout()));
            },
            config.connectTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
    done.whenComplete(
        (ok, failure) -> {
          timeout.cancel(false);
          if (failure != null) {
            channel.close(); // timeout or caller gave up: no half-open peer left behind
          }
        });
    return done;
  }

  /** Node ids (33 bytes) of peers whose handshake and init are done, as LDK reports them. */
  public List<byte[]> connectedPeers() {
    return List.of(gate.underGate(peerManager::get_peer_node_ids));
  }

  /** Asks LDK to drop a peer; LDK then tells us to close its socket. */
  public void disconnect(byte[] nodeId33) {
    io.lnraft.node.gate.NodeIds.requireValid(nodeId33);
    gate.underGate(
        () -> {
          peerManager.disconnect_by_node_id(nodeId33, false);
          return null;
        });
  }

  /** Stops accepting; existing connections stay. Waits (bounded) for the port to be released. */
  public void closeListener() {
    Channel current = listener;
    listener = null;
    if (current != null) {
      awaitUnlessOnLoop(current.close());
    }
  }

  /**
   * Closes the listener and every socket at once. Nothing more is written: bytes the gate still
   * holds are the gate owner's to drop, and bytes released after this are discarded. LDK hears
   * {@code socket_disconnected} for each peer it still knew.
   */
  public void closeAll() {
    closeListener();
    connections.values().forEach(PeerConnection::close);
    awaitUnlessOnLoop(sockets.close()); // also sockets still dialing
  }

  /** LDK's timer: pings, ping timeouts, handshake timeouts. Runs every {@link Config#timerTickInterval}. */
  public void timerTick() {
    gate.underGate(
        () -> {
          peerManager.timer_tick_occurred();
          return null;
        });
    gate.wakeCommitter(); // pings are outbound bytes too
  }

  /** Number of connections counted against {@link Config#maxConnections} (open or dialing). */
  public int connectionCount() {
    return slotsInUse.get();
  }

  /** {@link #closeAll} and stops the event loop. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ticker.cancel(false);
    closeAll();
    // quietPeriod 0: run the queued socket_disconnected calls, then stop.
    loop.shutdownGracefully(0, CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)
        .awaitUninterruptibly(CLOSE_WAIT_MILLIS);
  }

  private void acceptInbound(SocketChannel ch) {
    if (closed || !reserveSlot()) {
      log.warn(
          "refusing inbound peer {}: {} connections open (max {}, lnraft.node.max-peer-connections)",
          ch.remoteAddress(), slotsInUse.get(), config.maxConnections());
      ch.close();
      return;
    }
    track(ch, Optional.empty(), new CompletableFuture<>(), oneShot(slotsInUse::decrementAndGet));
  }

  private void track(
      SocketChannel ch, Optional<byte[]> theirNodeId, CompletableFuture<Void> handshakeDone, Runnable freeSlot) {
    PeerConnection connection =
        new PeerConnection(
            nextConnectionId.getAndIncrement(), ch, peerManager, gate, theirNodeId, handshakeDone);
    connections.put(connection.id(), connection);
    sockets.add(ch);
    // The close future completes before channelInactive runs; that call keeps the connection
    // (and its descriptor) reachable from its own stack until socket_disconnected returned.
    ch.closeFuture()
        .addListener(
            f -> {
              connections.remove(connection.id());
              freeSlot.run();
            });
    ch.pipeline().addLast(connection);
  }

  private boolean reserveSlot() {
    while (true) {
      int used = slotsInUse.get();
      if (used >= config.maxConnections()) {
        return false;
      }
      if (slotsInUse.compareAndSet(used, used + 1)) {
        return true;
      }
    }
  }

  private void scheduledTick() {
    try {
      timerTick();
    } catch (RuntimeException e) {
      log.error("timer_tick_occurred failed", e); // keep ticking: a lost tick only delays pings
    }
  }

  private void awaitUnlessOnLoop(io.netty.util.concurrent.Future<?> future) {
    if (!loop.next().inEventLoop()) {
      future.awaitUninterruptibly(CLOSE_WAIT_MILLIS);
    }
  }

  private static Runnable oneShot(Runnable action) {
    AtomicBoolean ran = new AtomicBoolean();
    return () -> {
      if (ran.compareAndSet(false, true)) {
        action.run();
      }
    };
  }
}
