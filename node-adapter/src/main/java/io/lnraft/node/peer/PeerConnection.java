package io.lnraft.node.peer;

import io.lnraft.node.gate.OutboundGate;
import io.lnraft.node.gate.PeerChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.ldk.structs.NetAddress;
import org.ldk.structs.Option_NetAddressZ;
import org.ldk.structs.PeerManager;
import org.ldk.structs.Result_CVec_u8ZPeerHandleErrorZ;
import org.ldk.structs.Result_NonePeerHandleErrorZ;
import org.ldk.structs.Result_boolPeerHandleErrorZ;
import org.ldk.structs.SocketDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection to a Lightning peer: the Netty handler of its channel, the LDK {@link
 * SocketDescriptor} of that connection, and the {@link PeerChannel} through which the gate
 * releases its bytes.
 *
 * <p>LDK lifecycle rules kept here: a descriptor LDK has forgotten (it returned an error, or it
 * asked us to disconnect) gets no further PeerManager call; one it still knows gets exactly one
 * {@code socket_disconnected} when Netty reports the channel closed. Every LDK call runs under
 * the gate. All handler methods run on the channel's event loop; {@link #release}, {@link #close}
 * and the descriptor callbacks may be called from any thread.
 */
final class PeerConnection extends ChannelInboundHandlerAdapter implements PeerChannel {
  private static final Logger log = LoggerFactory.getLogger(PeerConnection.class);

  private final long id;
  private final Channel channel;
  private final PeerManager peerManager;
  private final OutboundGate gate;
  /** Outbound only: whom we dialed and the future completed once LDK lists that node id. */
  private final Optional<byte[]> theirNodeId;
  private final CompletableFuture<Void> handshakeDone;
  /** Strong reference while the connection lives: LDK's native side only points back to it. */
  private final SocketDescriptor descriptor;
  /** Bytes the gate cleared, written in release() call order by the event loop. */
  private final Queue<Released> released = new ConcurrentLinkedQueue<>();

  /** Cleared bytes and what to tell once they are out or dropped (the serving journal's act end). */
  private record Released(byte[] data, Runnable done) {}

  private static final Runnable NOTHING = () -> {};

  /** Set on the event loop once new_*_connection succeeded. */
  private boolean knownToLdk;
  /** LDK dropped this descriptor (error result or disconnect_socket): no more calls for it. */
  private volatile boolean ldkForgot;
  /** Closing for whatever reason: released bytes are dropped from now on. */
  private volatile boolean closing;
  /** read_event returned true: stop reading until send_data(resume_read) or write space. */
  private volatile boolean ldkPausedRead;

  PeerConnection(
      long id,
      Channel channel,
      PeerManager peerManager,
      OutboundGate gate,
      Optional<byte[]> theirNodeId,
      CompletableFuture<Void> handshakeDone) {
    this.id = id;
    this.channel = channel;
    this.peerManager = peerManager;
    this.gate = gate;
    this.theirNodeId = theirNodeId.map(byte[]::clone);
    this.handshakeDone = handshakeDone;
    this.descriptor = SocketDescriptor.new_impl(new Descriptor());
  }

  long id() {
    return id;
  }

  boolean isOutbound() {
    return theirNodeId.isPresent();
  }

  // ---- PeerChannel (the gate's side) ----

  @Override
  public void release(byte[] data) {
    release(data, NOTHING);
  }

  @Override
  public void release(byte[] data, Runnable done) {
    if (closing) {
      done.run();
      return;
    }
    released.add(new Released(data, done));
    if (closing) dropReleased(); // close() may have cleared the queue just before our add
    // Writing only from the event loop, draining one queue, keeps release() call order even when
    // the committer thread and the event loop both release.
    if (channel.eventLoop().inEventLoop()) {
      drainReleased();
    } else {
      try {
        channel.eventLoop().execute(this::drainReleased);
      } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
        closing = true;
        dropReleased(); // the transport is stopping: nothing more goes out
      }
    }
  }

  @Override
  public void close() {
    closing = true;
    dropReleased();
    channel.close();
  }

  @Override
  public String describe() {
    return (isOutbound() ? "outbound " : "inbound ") + "#" + id + " " + channel.remoteAddress();
  }

  /** Drops every released byte not yet written, telling each that it is done (nothing sent). */
  private void dropReleased() {
    Released r;
    while ((r = released.poll()) != null) r.done().run();
  }

  private void drainReleased() {
    if (closing) {
      dropReleased();
      return;
    }
    Released next;
    boolean wrote = false;
    while ((next = released.poll()) != null) {
      if (next.done() == NOTHING) {
        channel.write(Unpooled.wrappedBuffer(next.data()), channel.voidPromise());
      } else {
        // Completes when the bytes are in the socket (or failed / dropped with the channel).
        Runnable done = next.done();
        channel.write(Unpooled.wrappedBuffer(next.data())).addListener(f -> done.run());
      }
      wrote = true;
    }
    if (wrote) {
      channel.flush();
    }
  }

  // ---- Netty events (event loop) ----

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Option_NetAddressZ remote = netAddress(channel.remoteAddress());
    if (isOutbound()) {
      Result_CVec_u8ZPeerHandleErrorZ res =
          gate.underGate(
              () -> peerManager.new_outbound_connection(theirNodeId.get(), descriptor, remote));
      if (res instanceof Result_CVec_u8ZPeerHandleErrorZ.Result_CVec_u8ZPeerHandleErrorZ_OK ok) {
        knownToLdk = true;
        gate.hold(this, ok.res); // act one also waits for the commit gate
        gate.wakeCommitter();
      } else {
        refusedByLdk("new_outbound_connection");
      }
    } else {
      Result_NonePeerHandleErrorZ res =
          gate.underGate(() -> peerManager.new_inbound_connection(descriptor, remote));
      if (res.is_ok()) {
        knownToLdk = true;
      } else {
        refusedByLdk("new_inbound_connection");
      }
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    byte[] data;
    try {
      data = ByteBufUtil.getBytes((ByteBuf) msg); // LDK gets its own copy; the buffer goes back now
    } finally {
      ReferenceCountUtil.release(msg);
    }
    if (!knownToLdk || ldkForgot || closing) {
      return;
    }
    Result_boolPeerHandleErrorZ res = gate.underGate(() -> peerManager.read_event(descriptor, data));
    if (res instanceof Result_boolPeerHandleErrorZ.Result_boolPeerHandleErrorZ_OK ok) {
      if (ok.res) {
        ldkPausedRead = true;
        updateAutoRead();
      }
    } else {
      // LDK already removed the peer: close without socket_disconnected.
      log.debug("peer {} sent bytes LDK rejected; closing", describe());
      ldkForgot = true;
      handshakeDone.completeExceptionally(
          new IOException("peer " + describe() + " rejected by LDK (bad handshake or protocol error)"));
      close();
      return;
    }
    gate.underGate(
        () -> {
          peerManager.process_events();
          return null;
        });
    gate.wakeCommitter();
    if (isOutbound() && !handshakeDone.isDone() && ldkListsTheirNodeId()) {
      handshakeDone.complete(null);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (channel.isWritable() && knownToLdk && !ldkForgot && !closing) {
      Result_NonePeerHandleErrorZ res =
          gate.underGate(() -> peerManager.write_buffer_space_avail(descriptor));
      if (!res.is_ok()) {
        ldkForgot = true;
        close();
        return;
      }
      ldkPausedRead = false;
      gate.wakeCommitter();
    }
    updateAutoRead();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    dropReleased();
    if (knownToLdk && !ldkForgot) {
      ldkForgot = true;
      gate.underGate(
          () -> {
            peerManager.socket_disconnected(descriptor);
            return null;
          });
    }
    handshakeDone.completeExceptionally(
        new IOException("connection " + describe() + " closed before the handshake completed"));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("peer {}: {}; closing", describe(), cause.toString());
    close();
  }

  private void refusedByLdk(String call) {
    log.info("LDK refused {} for {}; closing", call, describe());
    ldkForgot = true; // must not call socket_disconnected for a refused descriptor
    handshakeDone.completeExceptionally(new IOException("LDK refused " + call));
    close();
  }

  private boolean ldkListsTheirNodeId() {
    byte[][] ids = gate.underGate(peerManager::get_peer_node_ids);
    for (byte[] nodeId : ids) {
      if (Arrays.equals(nodeId, theirNodeId.get())) {
        return true;
      }
    }
    return false;
  }

  /** Reads only while LDK wants them and Netty can take our writes (our own backpressure). */
  private void updateAutoRead() {
    channel.config().setAutoRead(!ldkPausedRead && channel.isWritable());
  }

  private static Option_NetAddressZ netAddress(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      short port = (short) inet.getPort();
      if (inet.getAddress() instanceof Inet4Address v4) {
        return Option_NetAddressZ.some(NetAddress.ipv4(v4.getAddress(), port));
      }
      if (inet.getAddress() instanceof Inet6Address v6) {
        return Option_NetAddressZ.some(NetAddress.ipv6(v6.getAddress(), port));
      }
    }
    return Option_NetAddressZ.none();
  }

  /** LDK's view of this connection. Callbacks arrive inside PeerManager calls, under the gate. */
  private final class Descriptor implements SocketDescriptor.SocketDescriptorInterface {
    @Override
    public long send_data(byte[] data, boolean resumeRead) {
      if (resumeRead && ldkPausedRead) {
        ldkPausedRead = false;
        updateAutoRead();
      }
      // Accept everything: the gate buffers until commit, so LDK never waits for write space.
      gate.hold(PeerConnection.this, data);
      return data.length;
    }

    @Override
    public void disconnect_socket() {
      // Called with LDK's peer lock held: close asynchronously, never re-enter LDK from here.
      ldkForgot = true;
      closing = true;
      dropReleased();
      try {
        channel.eventLoop().execute(channel::close);
      } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
        channel.close();
      }
    }

    @Override
    public boolean eq(SocketDescriptor other) {
      return other.hash() == id;
    }

    @Override
    public long hash() {
      return id;
    }
  }
}
