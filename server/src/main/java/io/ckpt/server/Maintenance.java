package io.ckpt.server;

import io.ckpt.alert.Alerts;
import io.ckpt.gc.GarbageCollector;
import io.ckpt.jobs.Jobs;
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
 *
 * <p>Alerts: a failed prune or gc raises {@code prune-failed} / {@code gc-failed} until the next
 * run of that job succeeds; a verify that finds damage raises {@code verify-damage} until the
 * scheduled runs have read every pack again without finding any (see {@link #cleanRunsToClear}).
 */
final class Maintenance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    private final Pruner pruner;
    private final GarbageCollector gc;
    private final Verifier verifier;
    private final Alerts alerts;
    private final Jobs runs;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "maintenance");
        t.setDaemon(true);
        return t;
    });
    private final List<ScheduledFuture<?>> jobs = new ArrayList<>();
    /** Scheduled verifies in a row that found no damage since the last one that did (maintenance thread only). */
    private int cleanVerifies;

    Maintenance(Pruner pruner, GarbageCollector gc, Verifier verifier, Alerts alerts, Jobs jobs) {
        this.runs = jobs;
        this.pruner = pruner;
        this.gc = gc;
        this.verifier = verifier;
        this.alerts = alerts;
    }

    /**
     * How many clean share runs in a row clear {@code verify-damage}: as many as it takes to read
     * every pack (one at 100%), since a run of 10% that finds nothing has not re-read the damaged
     * pack. A damaged pack removed by prune and gc is thus cleared once the rotation has passed.
     */
    static int cleanRunsToClear(int sharePercent) {
        return (100 + sharePercent - 1) / sharePercent;
    }

    synchronized void schedule(RetentionConfig cfg) {
        pruner.configure(cfg);
        jobs.forEach(j -> j.cancel(false));
        jobs.clear();
        every(cfg.pruneEvery(), "prune", () -> {
            try {
                runs.run("prune", "configured policies", Jobs.Trigger.SCHEDULE, pruner::pruneConfigured);
                alerts.clear(Alerts.PRUNE_FAILED, "the next scheduled prune succeeded");
            } catch (Exception e) {
                log.error("scheduled prune failed: {}", e.getMessage());
                alerts.raise(Alerts.PRUNE_FAILED, Alerts.Severity.WARNING, "scheduled prune failed: " + e.getMessage());
            }
        });
        every(cfg.gcEvery(), "gc", () -> {
            try {
                runs.run("gc", "", Jobs.Trigger.SCHEDULE, () -> gc.collect(false));
                alerts.clear(Alerts.GC_FAILED, "the next scheduled gc succeeded");
            } catch (Exception e) {
                log.error("scheduled gc failed: {}", e.getMessage());
                alerts.raise(Alerts.GC_FAILED, Alerts.Severity.WARNING, "scheduled gc failed: " + e.getMessage());
            }
        });
        String verify = "verify" + (cfg.verifyFull() ? " --full" : "")
                + (cfg.verifySharePercent() < 100 ? " of " + cfg.verifySharePercent() + "% of the packs" : "");
        every(cfg.verifyEvery(), verify, () -> {
            try {
                var r = runs.run("verify", verify.substring("verify".length()).trim(), Jobs.Trigger.SCHEDULE,
                        () -> verifier.verifyShare(cfg.verifySharePercent(), cfg.verifyFull()));
                alerts.clear(Alerts.VERIFY_FAILED, "the next scheduled verify ran to its end");
                if (!r.path("ok").asBoolean()) {
                    String what = r.path("damaged_chunks").asLong() + " chunk(s), checkpoints "
                            + r.path("damaged_checkpoints").findValuesAsText("id");
                    log.error("scheduled verify found damage: {}; run 'ckpt verify' for details", what);
                    cleanVerifies = 0;
                    alerts.raise(Alerts.VERIFY_DAMAGE, Alerts.Severity.CRITICAL, "scheduled verify found damage: " + what
                            + "; run 'ckpt verify' for details");
                } else if (++cleanVerifies >= cleanRunsToClear(cfg.verifySharePercent())) {
                    alerts.clear(Alerts.VERIFY_DAMAGE, cleanVerifies + " scheduled verify run(s) in a row read every pack"
                            + " and found no damage");
                }
            } catch (Exception e) {
                log.error("scheduled verify failed: {}", e.getMessage());
                alerts.raise(Alerts.VERIFY_FAILED, Alerts.Severity.WARNING, "scheduled verify failed: " + e.getMessage());
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
