package io.ckpt.server.http;

import io.ckpt.query.CatalogQueries;
import io.ckpt.status.ServerMetrics;
import io.ckpt.status.StatusApi;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection: {@code GET /metrics}, {@code GET /api/v1/...} and the status page's
 * files ({@code /}, {@code /status.js}, {@code /status.css}) from the jar's resources. Metrics
 * and API answers read the catalog, so they run on the HTTP worker threads, never on the event
 * loop. Only GET and HEAD; anything else is 405.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String JSON = "application/json; charset=utf-8";
    /** The status page: name under this package's resources → content type. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "status.js", "text/javascript; charset=utf-8",
            "status.css", "text/css; charset=utf-8");

    /** What the handler serves, the threads it reads on, and the bearer check (null: none) of /metrics and /api/. */
    record Routes(ServerMetrics metrics, StatusApi api, ExecutorService workers,
            java.util.function.Predicate<String> bearer) {}

    private final Routes routes;

    HttpHandler(Routes routes) {
        this.routes = routes;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean head = req.method().equals(HttpMethod.HEAD);
        if (!req.method().equals(HttpMethod.GET) && !head) {
            FullHttpResponse res = error(HttpResponseStatus.METHOD_NOT_ALLOWED, head,
                    req.method() + " is not served here: only GET and HEAD (the API and the status page are read-only)");
            res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            send(ctx, keepAlive, res);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        String path = uri.path();
        if (routes.bearer() != null && (path.equals("/metrics") || path.startsWith("/api/"))) {
            String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "");
            String token = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : "";
            if (token.isEmpty() || !routes.bearer().test(token)) {
                FullHttpResponse res = error(HttpResponseStatus.UNAUTHORIZED, head, token.isEmpty()
                        ? "a bearer token is required (Authorization: Bearer TOKEN)" : "the bearer token is unknown or revoked");
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"ckpt\"");
                send(ctx, false, res);
                return;
            }
        }
        String token = bearerToken(req); // read now: the request is released when this method returns
        try {
            routes.workers().execute(() -> {
                try {
                    answer(ctx, keepAlive, head, path, uri, token);
                } catch (RuntimeException | IOException e) {
                    log.error("GET {} from {} failed", path, ctx.channel().remoteAddress(), e);
                    send(ctx, false, error(HttpResponseStatus.INTERNAL_SERVER_ERROR, head,
                            "server error: " + e.getMessage() + " (details in the server log)"));
                }
            });
        } catch (RejectedExecutionException e) { // stopping
            send(ctx, false, error(HttpResponseStatus.SERVICE_UNAVAILABLE, head, "server stopping"));
        }
    }

    /** The request's bearer token, "" for none. */
    private static String bearerToken(FullHttpRequest req) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        return auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : "";
    }

    private void answer(ChannelHandlerContext ctx, boolean keepAlive, boolean head, String path, QueryStringDecoder uri,
            String token) throws IOException {
        if (path.equals("/metrics")) {
            send(ctx, keepAlive, head, HttpResponseStatus.OK, PROMETHEUS_TEXT,
                    routes.metrics().scrape().getBytes(StandardCharsets.UTF_8));
        } else if (path.startsWith("/api/v1/")) {
            StatusApi.Answer a = routes.api().get(path.substring("/api/v1/".length()), uri.parameters(), token);
            send(ctx, keepAlive, head, HttpResponseStatus.valueOf(a.status()), JSON,
                    (a.json() + "\n").getBytes(StandardCharsets.UTF_8));
        } else {
            String name = path.equals("/") ? "index.html" : path.substring(1);
            byte[] body = FILES.containsKey(name) ? resource(name) : null;
            if (body == null) {
                send(ctx, keepAlive, error(HttpResponseStatus.NOT_FOUND, head, "no such page: " + path));
            } else {
                send(ctx, keepAlive, head, HttpResponseStatus.OK, FILES.get(name), body);
            }
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = HttpHandler.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, boolean head, HttpResponseStatus status,
            String type, byte[] body) {
        send(ctx, keepAlive, response(status, head, type, body));
    }

    private static FullHttpResponse response(HttpResponseStatus status, boolean head, String type, byte[] body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return res;
    }

    /** An error as docs/API.md gives it, whatever the path: {@code {"error": message}}. */
    private static FullHttpResponse error(HttpResponseStatus status, boolean head, String message) {
        String json = CatalogQueries.mapper().createObjectNode().put("error", message) + "\n";
        return response(status, head, JSON, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse res) {
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("http connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
