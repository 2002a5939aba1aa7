package io.ckpt.agent.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** A RESPONSE is a progress notice only when {@code progress} is its one member; every answer stays an answer. */
class ProgressNoticeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aProgressObjectAloneIsANotice() throws Exception {
        ProgressNotice n = ProgressNotice.of(JSON.readTree("{\"progress\":{\"op\":\"verify\",\"phase\":\"checking chunks\","
                + "\"done\":1234,\"total\":5000,\"detail\":\"pack 12\",\"elapsed_ms\":5000}}"));
        assertEquals(new ProgressNotice("verify", "checking chunks", 1234, 5000, "pack 12", 5000), n);
        ProgressNotice bare = ProgressNotice.of(JSON.readTree("{\"progress\":{\"op\":\"gc\",\"detail\":null}}"));
        assertEquals(-1, bare.total(), "no total: not known");
        assertNull(bare.detail());
    }

    @Test
    void answersAreNotNotices() throws Exception {
        assertNull(ProgressNotice.of(JSON.readTree("{\"ok\":true,\"full\":true,\"chunks_checked\":3}")));
        assertNull(ProgressNotice.of(JSON.readTree("{\"progress\":{\"op\":\"verify\"},\"ok\":true}")), "a second member");
        assertNull(ProgressNotice.of(JSON.readTree("{\"progress\":7}")), "not an object");
        assertNull(ProgressNotice.of(JSON.readTree("{}")));
    }
}
