package io.lnraft.node.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection: turns each aggregated request into an {@link ApiRequest}, hands it to {@link
 * ApiRoutes}, writes the answer. Requests on one connection are answered one at a time, in order
 * (HTTP/1.1 pipelining), because answers complete on other threads. All state here is touched
 * on the channel's event loop only.
 */
final class ApiHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
  /** Pipelined requests waiting on one connection before we stop reading from it. */
  private static final int MAX_QUEUED = 16;
  /** The Prometheus text exposition format, version 0.0.4. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private record Pending(ApiRequest request, boolean keepAlive, Optional<ApiResponse> immediate, long startNanos) {}

  private final ApiRoutes routes;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private CompletableFuture<ApiResponse> inFlight;

  ApiHandler(ApiRoutes routes) {
    this.routes = routes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    FullHttpRequest req = (FullHttpRequest) msg;
    try {
      queue.add(toPending(req));
    } finally {
      req.release();
    }
    if (queue.size() >= MAX_QUEUED) {
      ctx.channel().config().setAutoRead(false);
    }
    if (inFlight == null) {
      next(ctx);
    }
  }

  private static Pending toPending(FullHttpRequest req) {
    long start = System.nanoTime();
    DecoderResult result = req.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      ApiError e = cause instanceof TooLongHttpHeaderException
          ? ApiError.of(431, "headers_too_large", "request headers are too large")
          : cause instanceof TooLongHttpLineException
              ? ApiError.of(414, "uri_too_long", "the request line is too long")
              : cause instanceof TooLongFrameException
                  ? ApiError.badRequest("a part of the request is too large")
                  : ApiError.badRequest("malformed HTTP request");
      ApiRequest placeholder = new ApiRequest("?", "?", Map.of(), Optional.empty(), Optional.empty(), new byte[0]);
      return new Pending(placeholder, false, Optional.of(render(e)), start);
    }
    QueryStringDecoder uri = new QueryStringDecoder(req.uri());
    ApiRequest r = new ApiRequest(
        req.method().name(),
        uri.path(),
        uri.parameters(),
        Optional.ofNullable(req.headers().get(HttpHeaderNames.AUTHORIZATION)),
        Optional.ofNullable(req.headers().get(HttpHeaderNames.CONTENT_TYPE)),
        ByteBufUtil.getBytes(req.content()));
    return new Pending(r, HttpUtil.isKeepAlive(req), Optional.empty(), start);
  }

  private void next(ChannelHandlerContext ctx) {
    Pending p = queue.poll();
    if (p == null) {
      ctx.channel().config().setAutoRead(true);
      return;
    }
    CompletableFuture<ApiResponse> f;
    if (p.immediate().isPresent()) {
      f = CompletableFuture.completedFuture(p.immediate().get());
    } else {
      try {
        f = routes.handle(p.request());
      } catch (RuntimeException e) {
        log.error("route failed", e);
        f = CompletableFuture.completedFuture(render(ApiError.internal()));
      }
    }
    CompletableFuture<ApiResponse> current = f;
    inFlight = current;
    current.whenComplete((response, failure) -> ctx.executor().execute(() -> finish(ctx, p, current,
        failure == null ? response : render(ApiError.internal()))));
  }

  private void finish(ChannelHandlerContext ctx, Pending p, CompletableFuture<ApiResponse> f, ApiResponse response) {
    if (inFlight != f) {
      return;
    }
    inFlight = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    if (log.isDebugEnabled()) {
      log.debug("{} {} -> {} in {} ms", p.request().method(), ApiRoutes.clip(p.request().path()), response.status(),
          (System.nanoTime() - p.startNanos()) / 1_000_000);
    }
    boolean keepAlive = p.keepAlive();
    ctx.writeAndFlush(toHttp(response, keepAlive)).addListener((ChannelFutureListener) written -> {
      if (!keepAlive || !written.isSuccess()) {
        written.channel().close();
      } else {
        next(ctx);
      }
    });
  }

  static ApiResponse render(ApiError e) {
    return new ApiResponse(e.status, JsonViews.error(e), e.headers);
  }

  static FullHttpResponse toHttp(ApiResponse response, boolean keepAlive) {
    byte[] body;
    if (response.text() != null) {
      body = response.text().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } else {
      try {
        body = JsonBody.MAPPER.writeValueAsBytes(response.body());
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a JSON tree always serializes", e);
      }
    }
    FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(body));
    http.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, response.text() != null ? PROMETHEUS_TEXT : HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    response.headers().forEach((k, v) -> http.headers().set(k, v));
    HttpUtil.setKeepAlive(http, keepAlive);
    return http;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      if (inFlight == null && queue.isEmpty()) {
        ctx.close();
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    queue.clear();
    if (inFlight != null) {
      // Lets a long poll stop waiting; a node call already running finishes on its own.
      inFlight.cancel(false);
      inFlight = null;
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
