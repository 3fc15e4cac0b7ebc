package io.lnraft.node.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.lnraft.config.ApiTlsSettings;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator REST API over HTTP/1.1 (Netty). Network threads only parse, check and write;
 * node calls run on a small executor with a timeout. See {@code node-adapter/docs/API.md}.
 *
 * <p>Lifecycle: construct, {@link #start()}, read {@link #address()}, {@link #close()}. The
 * token is held as bytes, compared in constant time, and never logged or echoed.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  /** Connections idle (no request in flight) this long are closed; above the long-poll cap. */
  private static final int IDLE_SECONDS = 120;
  static final int MIN_TOKEN_BYTES = 16;

  private final NodeOperations node;
  private final byte[] token;
  private final Supplier<Boolean> isReadyLeader;
  private final ApiServerConfig config;
  private final Optional<Supplier<String>> metrics;
  private EventLoopGroup acceptor;
  private EventLoopGroup io;
  private ThreadPoolExecutor operations;
  private Channel listener;

  /**
   * @param node what the routes call
   * @param bearerToken the API token, at least 16 bytes of printable ASCII without spaces
   * @param isReadyLeader whether this replica is the ready leader; called on network threads,
   *     so it must be cheap and never block
   * @param config bind address and limits
   */
  public ApiServer(NodeOperations node, byte[] bearerToken, Supplier<Boolean> isReadyLeader, ApiServerConfig config) {
    this(node, bearerToken, isReadyLeader, config, Optional.empty());
  }

  /**
   * As {@link #ApiServer(NodeOperations, byte[], Supplier, ApiServerConfig)}, plus {@code GET
   * /metrics} (no auth) answering {@code metrics.get()} as Prometheus text; the supplier runs on
   * an operation thread under the operation timeout, never on a network thread.
   */
  public ApiServer(NodeOperations node, byte[] bearerToken, Supplier<Boolean> isReadyLeader, ApiServerConfig config,
      Optional<Supplier<String>> metrics) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.node = Objects.requireNonNull(node, "node");
    this.token = checkToken(Objects.requireNonNull(bearerToken, "bearerToken").clone());
    this.isReadyLeader = Objects.requireNonNull(isReadyLeader, "isReadyLeader");
    this.config = Objects.requireNonNull(config, "config");
  }

  public ApiServer(NodeOperations node, String bearerToken, Supplier<Boolean> isReadyLeader, ApiServerConfig config) {
    this(node, Objects.requireNonNull(bearerToken, "bearerToken").getBytes(StandardCharsets.UTF_8),
        isReadyLeader, config);
  }

  public ApiServer(NodeOperations node, String bearerToken, Supplier<Boolean> isReadyLeader, ApiServerConfig config,
      Optional<Supplier<String>> metrics) {
    this(node, Objects.requireNonNull(bearerToken, "bearerToken").getBytes(StandardCharsets.UTF_8),
        isReadyLeader, config, metrics);
  }

  private static byte[] checkToken(byte[] t) {
    if (t.length < MIN_TOKEN_BYTES) {
      throw new IllegalArgumentException("the API token must be at least " + MIN_TOKEN_BYTES + " bytes");
    }
    for (byte b : t) {
      if (b < 0x21 || b > 0x7e) {
        throw new IllegalArgumentException("the API token must be printable ASCII without spaces");
      }
    }
    return t;
  }

  /** Binds and starts serving; returns the bound address (the real port when 0 was asked). */
  public synchronized InetSocketAddress start() throws InterruptedException {
    if (listener != null) {
      throw new IllegalStateException("already started");
    }
    acceptor = new NioEventLoopGroup(1, new DefaultThreadFactory("lnraft-api-accept", true));
    io = new NioEventLoopGroup(1, new DefaultThreadFactory("lnraft-api-io", true));
    operations = new ThreadPoolExecutor(config.operationThreads(), config.operationThreads(), 0,
        TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(config.operationQueue()),
        new DefaultThreadFactory("lnraft-api-op", true));
    ApiRoutes routes = new ApiRoutes(node, token, isReadyLeader, operations, io, config, metrics);
    int maxBody = config.maxBodyBytes();
    SslContext tls;
    try {
      tls = config.tls().isPresent() ? serverTls(config.tls().get()) : null;
    } catch (IllegalArgumentException e) {
      close();
      throw e;
    }
    try {
      listener = new ServerBootstrap()
          .group(acceptor, io)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (tls != null) ch.pipeline().addLast(tls.newHandler(ch.alloc()));
              ch.pipeline()
                  .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS))
                  .addLast(new HttpServerCodec(4096, 8192, 8192))
                  .addLast(new JsonBodyLimit(maxBody))
                  .addLast(new ApiHandler(routes));
            }
          })
          .bind(config.host(), config.port()).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      close();
      throw e;
    }
    log.info("operator API listening on {} ({})", address(), tls != null ? "HTTPS" : "plain HTTP");
    return address();
  }

  /** The server side of TLS from PEM files; a file Netty cannot use is an error naming it. */
  private static SslContext serverTls(ApiTlsSettings t) {
    try {
      return SslContextBuilder.forServer(t.certFile().toFile(), t.keyFile().toFile()).build();
    } catch (javax.net.ssl.SSLException | RuntimeException e) {
      throw new IllegalArgumentException("cannot serve the API over TLS with " + t.certFile() + " and " + t.keyFile()
          + " (lnraft.api.tls): " + e.getMessage(), e);
    }
  }

  /** The bound address; only after {@link #start()}. */
  public InetSocketAddress address() {
    if (listener == null) {
      throw new IllegalStateException("not started");
    }
    return (InetSocketAddress) listener.localAddress();
  }

  /** Stops listening, closes connections, abandons node calls in flight. Idempotent. */
  @Override
  public synchronized void close() {
    if (listener != null) {
      listener.close().awaitUninterruptibly();
    }
    if (acceptor != null) {
      acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
    if (io != null) {
      io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
    if (operations != null) {
      operations.shutdownNow();
    }
    Arrays.fill(token, (byte) 0);
  }

  /**
   * The aggregator with a JSON 413 and 417. Netty's own have an empty body; the API promises JSON
   * for every error.
   */
  private static final class JsonBodyLimit extends HttpObjectAggregator {
    private final int maxBody;

    JsonBodyLimit(int maxBody) {
      super(maxBody);
      this.maxBody = maxBody;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
      Object netty = super.newContinueResponse(start, maxContentLength, pipeline);
      if (netty instanceof FullHttpResponse && ((FullHttpResponse) netty).status().code() == 413) {
        ((FullHttpResponse) netty).release();
        return ApiHandler.toHttp(ApiHandler.render(ApiError.tooLarge(maxBody)), true);
      }
      if (netty instanceof FullHttpResponse && ((FullHttpResponse) netty).status().code() == 417) {
        // An Expect header other than 100-continue (found by ApiRequestFuzzProperties: Netty's 417
        // had an empty body). Netty then discards the request's body and keeps the connection.
        ((FullHttpResponse) netty).release();
        return ApiHandler.toHttp(ApiHandler.render(ApiError.of(417, "expectation_failed",
            "the Expect header can only be 100-continue; send the request without it")), true);
      }
      return netty;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      if (!(oversized instanceof HttpRequest)) {
        ctx.close();
        return;
      }
      // Like Netty: keep the connection when the client wants it (the aggregator then discards
      // the rest of the body, so closing early cannot turn into a reset the client sees before
      // the 413); close when the whole message is here or the client does not keep alive.
      boolean close = oversized instanceof FullHttpMessage || !HttpUtil.isKeepAlive(oversized);
      FullHttpResponse response = ApiHandler.toHttp(ApiHandler.render(ApiError.tooLarge(maxBody)), !close);
      ctx.writeAndFlush(response).addListener(close ? ChannelFutureListener.CLOSE
          : ChannelFutureListener.CLOSE_ON_FAILURE);
    }
  }
}
