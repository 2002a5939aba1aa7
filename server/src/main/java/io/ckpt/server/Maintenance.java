package io.ckpt.server;

import io.ckpt.gc.GarbageCollector;
import io.ckpt.retention.Pruner;
import io.ckpt.retention.RetentionConfig;
import io.ckpt.verify.Verifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prune, GC and verify on the intervals of the server config, one at a time on a thread of
 * their own; verify reads the configured share of the packs each time. A reload replaces the
 * intervals, the policies and the share; a run under way finishes.
 */
final class Maintenance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    private final Pruner pruner;
    private final GarbageCollector gc;
    private final Verifier verifier;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "maintenance");
        t.setDaemon(true);
        return t;
    });
    private final List<ScheduledFuture<?>> jobs = new ArrayList<>();

    Maintenance(Pruner pruner, GarbageCollector gc, Verifier verifier) {
        this.pruner = pruner;
        this.gc = gc;
        this.verifier = verifier;
    }

    synchronized void schedule(RetentionConfig cfg) {
        pruner.configure(cfg);
        jobs.forEach(j -> j.cancel(false));
        jobs.clear();
        every(cfg.pruneEvery(), "prune", pruner::pruneConfigured);
        every(cfg.gcEvery(), "gc", () -> {
            try {
                gc.collect(false);
            } catch (Exception e) {
                log.error("scheduled gc failed: {}", e.getMessage());
            }
        });
        String verify = "verify" + (cfg.verifyFull() ? " --full" : "")
                + (cfg.verifySharePercent() < 100 ? " of " + cfg.verifySharePercent() + "% of the packs" : "");
        every(cfg.verifyEvery(), verify, () -> {
            try {
                var r = verifier.verifyShare(cfg.verifySharePercent(), cfg.verifyFull());
                if (!r.path("ok").asBoolean()) {
                    log.error("scheduled verify found damage: {} chunk(s), checkpoints {}; run 'ckpt verify' for details",
                            r.path("damaged_chunks").asLong(), r.path("damaged_checkpoints").findValuesAsText("id"));
                }
            } catch (Exception e) {
                log.error("scheduled verify failed: {}", e.getMessage());
            }
        });
    }

    private void every(Optional<Duration> interval, String what, Runnable job) {
        interval.ifPresent(d -> {
            jobs.add(thread.scheduleWithFixedDelay(job, d.toMillis(), d.toMillis(), TimeUnit.MILLISECONDS));
            log.info("{} runs every {}", what, d);
        });
    }

    @Override
    public synchronized void close() {
        thread.shutdownNow();
    }
}
