package io.ckpt.server.net;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/**
 * Fair under load (docs/OPERATIONS.md, "Under load"): the upload slots and their queue, restores
 * ahead of ingest, the per-host upload rate; and what they report, as metrics and as the answer to
 * the {@code load} request ({@code ckpt status}).
 *
 * @param slots {@code --max-uploads}, {@code --upload-queue}
 * @param maxWait {@code --upload-wait}: the longest an upload waits for its slot
 * @param priority {@code --ingest-share}
 * @param hostRate {@code --host-upload-rate}
 */
public record Fairness(UploadSlots slots, Duration maxWait, RestorePriority priority, HostRateLimiter hostRate) {
    /** Registers the gauges and counters (docs/OPERATIONS.md, "Metrics"). */
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("ckpt.uploads.active", slots, UploadSlots::inUse)
                .description("Uploads holding a slot now (at most --max-uploads)").register(registry);
        Gauge.builder("ckpt.uploads.waiting", slots, UploadSlots::waiting)
                .description("Uploads waiting for a slot now (at most --upload-queue)").register(registry);
        Gauge.builder("ckpt.uploads.oldest.wait", slots, UploadSlots::oldestWaitSeconds).baseUnit("seconds")
                .description("How long the oldest waiting upload has waited so far").register(registry);
        FunctionCounter.builder("ckpt.uploads.queued", slots, UploadSlots::queuedTotal)
                .description("Uploads that had to wait for a slot").register(registry);
        FunctionCounter.builder("ckpt.uploads.wait", slots, UploadSlots::waitSecondsTotal).baseUnit("seconds")
                .description("Time uploads spent waiting for a slot, all together (finished waits)").register(registry);
        FunctionCounter.builder("ckpt.uploads.refused.busy", slots, UploadSlots::refusedTotal)
                .description("Uploads refused because the queue was full").register(registry);
        FunctionCounter.builder("ckpt.uploads.wait.timeouts", slots, UploadSlots::timedOutTotal)
                .description("Uploads refused after waiting --upload-wait for a slot").register(registry);
        Gauge.builder("ckpt.restores.active", priority, RestorePriority::restoresRunning)
                .description("Restores and fetches running now").register(registry);
        FunctionCounter.builder("ckpt.ingest.yield.pauses", priority, RestorePriority::ingestPauses)
                .description("Times an ingest worker paused because a restore was running").register(registry);
        FunctionCounter.builder("ckpt.ingest.yield", priority, RestorePriority::ingestPausedSeconds).baseUnit("seconds")
                .description("Time ingest workers paused for restores, all together").register(registry);
        FunctionCounter.builder("ckpt.upload.throttled", hostRate, HostRateLimiter::throttledSeconds).baseUnit("seconds")
                .description("Time connections were not read because their host was over --host-upload-rate")
                .register(registry);
    }

    /** The {@code load} request's answer (docs/PROTOCOL.md, "load"). */
    public ObjectNode json() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.putObject("uploads")
                .put("active", slots.inUse())
                .put("max", slots.max())
                .put("waiting", slots.waiting())
                .put("queue_max", slots.queueBound())
                .put("oldest_wait_seconds", slots.oldestWaitSeconds())
                .put("max_wait_seconds", maxWait.toSeconds())
                .put("queued_total", slots.queuedTotal())
                .put("wait_seconds_total", slots.waitSecondsTotal())
                .put("refused_busy_total", slots.refusedTotal())
                .put("wait_timeouts_total", slots.timedOutTotal());
        o.putObject("restores")
                .put("active", priority.restoresRunning())
                .put("ingest_share_percent", priority.sharePercent())
                .put("ingest_pauses_total", priority.ingestPauses())
                .put("ingest_paused_seconds_total", priority.ingestPausedSeconds());
        o.putObject("host_upload_rate")
                .put("bytes_per_second", hostRate.bytesPerSecond())
                .put("throttled_seconds_total", hostRate.throttledSeconds());
        return o;
    }
}
