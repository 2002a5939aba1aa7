package io.ckpt.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.query.CatalogQueries;
import io.ckpt.store.FreeSpaceReserve;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastore's file system usage over the last day: a sample every minute (the server's
 * scheduler calls {@link #sample()}), the oldest dropped past {@value #KEPT}. In memory only.
 */
public final class UsageHistory {
    private static final Logger log = LoggerFactory.getLogger(UsageHistory.class);
    static final int KEPT = 24 * 60;

    /** One sample: when, and the file system's size and space free for uploads, in bytes. */
    public record Sample(Instant at, long totalBytes, long freeBytes) {}

    private final FreeSpaceReserve reserve;
    private final Clock clock;
    private final Deque<Sample> samples = new ArrayDeque<>();

    public UsageHistory(FreeSpaceReserve reserve, Clock clock) {
        this.reserve = reserve;
        this.clock = clock;
    }

    /** Takes a sample now; a file system that cannot be asked is logged and skipped. */
    public void sample() {
        try {
            Sample s = new Sample(clock.instant(), reserve.totalBytes(), reserve.usableBytes());
            synchronized (this) {
                samples.addLast(s);
                while (samples.size() > KEPT) {
                    samples.removeFirst();
                }
            }
        } catch (java.io.IOException e) {
            log.warn("datastore usage sample skipped: {}", e.getMessage());
        }
    }

    /** {@code {"reserve_bytes", "samples": [{"at", "total_bytes", "free_bytes", "used_bytes"}]}}, oldest first. */
    public synchronized ObjectNode json() {
        ObjectNode root = CatalogQueries.mapper().createObjectNode().put("reserve_bytes", reserve.bytes());
        var arr = root.putArray("samples");
        for (Sample s : samples) {
            arr.addObject().put("at", s.at().toString()).put("total_bytes", s.totalBytes()).put("free_bytes", s.freeBytes())
                    .put("used_bytes", s.totalBytes() - s.freeBytes());
        }
        return root;
    }
}
