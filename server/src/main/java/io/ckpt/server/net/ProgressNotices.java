package io.ckpt.server.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.progress.ProgressListener;
import io.ckpt.protocol.Frame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The progress notices of one long request: keeps the latest state its operation reported and,
 * every {@link #interval} while it runs, writes it to the client as a RESPONSE
 * {@code {"progress": {"op", "phase", "done", "total", "detail", "elapsed_ms"}}} (docs/PROTOCOL.md,
 * "Progress notices"). Sent only on connections of protocol version 4 or later; older clients
 * expect nothing but the answer.
 *
 * <p>No notice follows the answer. The ticks run on the connection's event loop; {@link #end()}
 * cancels them, and a tick that runs after it writes nothing. A tick already past that check
 * when {@code end()} is called writes at once (it is on the event loop); the answer, written by
 * the worker thread after {@code end()} returned, is queued on that same event loop, so it goes
 * out behind that notice.
 */
final class ProgressNotices implements ProgressListener {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Test-only system property: each report of a long request sleeps this many milliseconds, so
     * that an end-to-end test can run a verify or gc past the idle timeout on a small datastore
     * (ProgressNoticeTest). Never set in production: it slows the operation, not the notices.
     */
    static final String TEST_DELAY_PROPERTY = "ckpt.test.progressDelayMillis";
    private static final long TEST_DELAY_MS = Long.getLong(TEST_DELAY_PROPERTY, 0);

    /** The latest report; written by the operation's thread, read by the ticks. */
    private record State(String phase, long done, long total, String detail) {}

    private final ChannelHandlerContext ctx;
    private final String op;
    private final long start = System.nanoTime();
    private volatile State state = new State("started", 0, -1, null);
    private volatile boolean ended;
    private final ScheduledFuture<?> ticks;

    /** Starts the notices of {@code op}: a tick every {@code intervalMillis}, or none when {@code send} is false. */
    ProgressNotices(ChannelHandlerContext ctx, String op, long intervalMillis, boolean send) {
        this.ctx = ctx;
        this.op = op;
        this.ticks = send ? ctx.executor().scheduleAtFixedRate(this::tick, intervalMillis, intervalMillis,
                TimeUnit.MILLISECONDS) : null;
    }

    /**
     * How often a long request's notices go: every 5 s, or a quarter of the idle timeout when that
     * is shorter, so that a client or proxy that drops a connection idle for that long never
     * sees one idle.
     */
    static long interval(int idleTimeoutSeconds) {
        return Math.max(100, Math.min(5_000, idleTimeoutSeconds * 1000L / 4));
    }

    @Override
    public void report(String phase, long done, long total, String detail) {
        state = new State(phase, done, total, detail);
        if (TEST_DELAY_MS > 0) {
            try {
                Thread.sleep(TEST_DELAY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The request has been handled: no notice from now on. Any thread. */
    void end() {
        ended = true;
        if (ticks != null) {
            ticks.cancel(false);
        }
    }

    /** Event loop. */
    private void tick() {
        if (ended || !ctx.channel().isActive()) {
            return;
        }
        State s = state;
        ObjectNode p = JSON.createObjectNode();
        p.putObject("progress").put("op", op).put("phase", s.phase()).put("done", s.done()).put("total", s.total())
                .put("detail", s.detail()).put("elapsed_ms", (System.nanoTime() - start) / 1_000_000);
        ctx.writeAndFlush(new Frame.Response(p.toString()));
    }
}
