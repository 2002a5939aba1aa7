package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.protocol.Frame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A long request's notices on an EmbeddedChannel with its own clock: the latest state at each tick, none after the end. */
class ProgressNoticesTest {
    private final ChannelInboundHandlerAdapter handler = new ChannelInboundHandlerAdapter();
    private final EmbeddedChannel ch = new EmbeddedChannel(handler);
    private final ChannelHandlerContext ctx = ch.pipeline().context(handler);

    ProgressNoticesTest() {
        ch.freezeTime(); // only advanceTimeBy moves the channel's clock: the real one would make the first check flaky
    }

    private JsonNode nextNotice() throws Exception {
        Object out = ch.readOutbound();
        return new ObjectMapper().readTree(assertInstanceOf(Frame.Response.class, out).json());
    }

    private void after(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void eachTickSendsTheLatestStateAndNoneFollowsTheEnd() throws Exception {
        ProgressNotices notices = new ProgressNotices(ctx, "verify", 1000, true);
        after(999);
        assertNull(ch.readOutbound(), "nothing before the first interval");
        after(1);
        assertEquals("started", nextNotice().path("progress").path("phase").asText(), "a tick before any report");
        notices.report("checking chunks", 3, 10, "pack 2");
        notices.report("checking chunks", 4, 10, "pack 2");
        after(1000);
        JsonNode p = nextNotice().path("progress");
        assertEquals("verify", p.path("op").asText());
        assertEquals(4, p.path("done").asLong(), p::toString);
        assertEquals(10, p.path("total").asLong());
        assertEquals("pack 2", p.path("detail").asText());
        assertNull(ch.readOutbound(), "one notice per tick, however many reports");
        after(1000);
        assertEquals(4, nextNotice().path("progress").path("done").asLong(), "a tick repeats a state that did not move");

        notices.end();
        after(10_000);
        assertNull(ch.readOutbound(), "no notice after the end: the answer is the last frame");
    }

    @Test
    void aConnectionBelowVersionFourHearsNothing() {
        ProgressNotices notices = new ProgressNotices(ctx, "gc", 1000, false);
        notices.report("compacting packs", 1, 2, "pack 7");
        after(10_000);
        assertNull(ch.readOutbound());
        notices.end();
    }

    @Test
    void intervalIsFiveSecondsOrAQuarterOfTheIdleTimeout() {
        assertEquals(5_000, ProgressNotices.interval(300));
        assertEquals(5_000, ProgressNotices.interval(20));
        assertEquals(500, ProgressNotices.interval(2));
        assertEquals(250, ProgressNotices.interval(1));
    }
}
