package io.ckpt.status;

import io.ckpt.alert.Alerts;
import io.ckpt.catalog.Catalog;
import io.ckpt.control.Hosts;
import io.ckpt.jobs.Jobs;
import io.ckpt.restore.ReadersInUse;
import io.ckpt.store.FreeSpaceReserve;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's Prometheus metrics (docs/OPERATIONS.md, "Metrics"). Events are counted where
 * they happen ({@link #committed}, {@link #uploadFailed}, {@link #restored}, {@link #restoreFailed},
 * {@link #jobEnded}); everything that is state (per-WPAR sizes and ages, agents, free space,
 * alerts) is read at scrape time by {@link #scrape()}, from one catalog read.
 */
public final class ServerMetrics {
    private static final Logger log = LoggerFactory.getLogger(ServerMetrics.class);
    private static final double MIB = 1 << 20;
    private static final double[] BYTE_BUCKETS = {MIB, 16 * MIB, 64 * MIB, 256 * MIB, 1024 * MIB, 4096 * MIB,
        16384 * MIB, 65536 * MIB};
    private static final Duration[] TIME_BUCKETS = {Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMinutes(15),
        Duration.ofHours(1)};

    /** The last failed upload of a WPAR: when and why. */
    public record LastError(Instant at, String message) {}

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Catalog catalog;
    private final Hosts hosts;
    private final FreeSpaceReserve reserve;
    private final Alerts alerts;
    private final Clock clock;
    private final DistributionSummary ingestBytes;
    private final Counter ingestStored;
    private final Timer ingestTime;
    private final DistributionSummary restoreBytes;
    private final Timer restoreTime;
    private final Counter restoreFailures;
    private final Counter pruneRemoved;
    private final Counter gcFreed;
    private final Map<String, LastError> lastErrors = new ConcurrentHashMap<>();
    private final MultiGauge wparStored;
    private final MultiGauge wparLogical;
    private final MultiGauge wparCheckpoints;
    private final MultiGauge wparAge;
    private final MultiGauge wparLkgAge;
    private final MultiGauge wparInterval;
    private final MultiGauge alertActive;
    private volatile Snapshot snapshot = new Snapshot(0, 0, 0, 0, 0, 0);
    private volatile double verifyDamaged = Double.NaN;
    private volatile double verifyLastRun = Double.NaN;
    /** The upload slots' and restore priority's figures (io.ckpt.server.net.Fairness); empty until set. */
    private volatile java.util.function.Supplier<com.fasterxml.jackson.databind.JsonNode> load =
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance::objectNode;

    /** Scalar state read at the last scrape. */
    private record Snapshot(double dedupRatio, long agentsLive, long agentsKnown, long freeBytes, long totalBytes,
            long alerts) {}

    public ServerMetrics(Catalog catalog, Hosts hosts, FreeSpaceReserve reserve, Alerts alerts, Clock clock) {
        this.catalog = catalog;
        this.hosts = hosts;
        this.reserve = reserve;
        this.alerts = alerts;
        this.clock = clock;
        ingestBytes = DistributionSummary.builder("ckpt.ingest").baseUnit("bytes")
                .description("Logical bytes of each checkpoint committed").serviceLevelObjectives(BYTE_BUCKETS)
                .register(registry);
        ingestStored = Counter.builder("ckpt.ingest.stored").baseUnit("bytes")
                .description("Bytes committed checkpoints added to packs (after dedup and compression)").register(registry);
        ingestTime = Timer.builder("ckpt.ingest.duration").description("Upload time of each committed checkpoint")
                .serviceLevelObjectives(TIME_BUCKETS).register(registry);
        restoreBytes = DistributionSummary.builder("ckpt.restore").baseUnit("bytes")
                .description("Bytes of each checkpoint restored").serviceLevelObjectives(BYTE_BUCKETS).register(registry);
        restoreTime = Timer.builder("ckpt.restore.duration").description("Time of each restore that ran to its end")
                .serviceLevelObjectives(TIME_BUCKETS).register(registry);
        restoreFailures = Counter.builder("ckpt.restore.failures").description("Restores that failed").register(registry);
        pruneRemoved = Counter.builder("ckpt.prune.removed.checkpoints")
                .description("Checkpoints removed by prune (scheduled or asked for)").register(registry);
        gcFreed = Counter.builder("ckpt.gc.freed").baseUnit("bytes")
                .description("Pack bytes gc deleted or swept").register(registry);
        Gauge.builder("ckpt.verify.damaged.chunks", this, m -> m.verifyDamaged)
                .description("Damaged chunks the last verify found (NaN before the first)").register(registry);
        Gauge.builder("ckpt.verify.last.run.timestamp", this, m -> m.verifyLastRun).baseUnit("seconds")
                .description("When the last verify ended, in seconds since the epoch").register(registry);
        Gauge.builder("ckpt.dedup.ratio", this, m -> m.snapshot.dedupRatio)
                .description("Logical bytes of the complete checkpoints over the bytes their uploads stored").register(registry);
        Gauge.builder("ckpt.agents.connected", this, m -> m.snapshot.agentsLive)
                .description("Agents live now (polled within the lease)").register(registry);
        Gauge.builder("ckpt.agents.known", this, m -> m.snapshot.agentsKnown)
                .description("Agents that polled since the server started").register(registry);
        Gauge.builder("ckpt.datastore.free", this, m -> m.snapshot.freeBytes).baseUnit("bytes")
                .description("Free space on the datastore's file system").register(registry);
        Gauge.builder("ckpt.datastore.size", this, m -> m.snapshot.totalBytes).baseUnit("bytes")
                .description("Size of the datastore's file system").register(registry);
        Gauge.builder("ckpt.datastore.reserve", reserve, FreeSpaceReserve::bytes).baseUnit("bytes")
                .description("Free space uploads must leave (--reserve)").register(registry);
        Gauge.builder("ckpt.alerts.active", this, m -> m.snapshot.alerts)
                .description("Active alerts").register(registry);
        wparStored = MultiGauge.builder("ckpt.wpar.stored").baseUnit("bytes")
                .description("Bytes a WPAR's complete checkpoints added to packs").register(registry);
        wparLogical = MultiGauge.builder("ckpt.wpar.logical").baseUnit("bytes")
                .description("Logical bytes of a WPAR's complete checkpoints").register(registry);
        wparCheckpoints = MultiGauge.builder("ckpt.wpar.checkpoints")
                .description("Complete checkpoints of a WPAR").register(registry);
        wparAge = MultiGauge.builder("ckpt.wpar.checkpoint.age").baseUnit("seconds")
                .description("Age of a WPAR's newest complete checkpoint (by the time it was taken)").register(registry);
        wparLkgAge = MultiGauge.builder("ckpt.wpar.lkg.age").baseUnit("seconds")
                .description("Age of a WPAR's last known good checkpoint; absent when it has none").register(registry);
        wparInterval = MultiGauge.builder("ckpt.wpar.checkpoint.interval").baseUnit("seconds")
                .description("Observed checkpoint interval: median gap between a WPAR's last 11 complete checkpoints")
                .register(registry);
        alertActive = MultiGauge.builder("ckpt.alert.active").description("1 for each active alert, by key and severity")
                .register(registry);
    }

    /** Where other parts of the server register their own meters (io.ckpt.server.net.Fairness). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    /** What {@code GET /api/v1/load} and the {@code load} request answer (io.ckpt.server.net.Fairness). */
    public void loadFrom(java.util.function.Supplier<com.fasterxml.jackson.databind.JsonNode> load) {
        this.load = load;
    }

    public com.fasterxml.jackson.databind.JsonNode load() {
        return load.get();
    }

    /** A checkpoint was committed. */
    public void committed(long logicalBytes, long storedBytes, long durationMillis) {
        ingestBytes.record(logicalBytes);
        ingestStored.increment(storedBytes);
        ingestTime.record(durationMillis, TimeUnit.MILLISECONDS);
    }

    /** An upload of {@code wpar} ended without a checkpoint: failed, aborted or cut off. */
    public void uploadFailed(String wpar, String why) {
        registry.counter("ckpt.checkpoint.failures", "wpar", wpar).increment();
        lastErrors.put(wpar, new LastError(clock.instant(), why));
    }

    /** The last failed upload of each WPAR since the server started. */
    public Map<String, LastError> lastErrors() {
        return Map.copyOf(lastErrors);
    }

    public void restored(long bytes, long nanos) {
        restoreBytes.record(bytes);
        restoreTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void restoreFailed() {
        restoreFailures.increment();
    }

    /** A prune, gc or verify ended: its duration by result, and what it did. */
    public void jobEnded(Jobs.Job job) {
        Timer.builder("ckpt.job.duration").description("Prune, gc and verify runs, by job, trigger and result")
                .tags("job", job.kind(), "trigger", job.trigger().name().toLowerCase(java.util.Locale.ROOT),
                        "result", job.ok() ? "ok" : "failed")
                .serviceLevelObjectives(TIME_BUCKETS).register(registry)
                .record(Duration.between(job.started(), job.ended()));
        if (!job.ok()) {
            return;
        }
        var r = job.result();
        switch (job.kind()) {
            case "prune" -> {
                int removed = 0;
                for (var w : r.path("wpars")) {
                    removed += w.path("remove").size();
                }
                pruneRemoved.increment(removed);
            }
            case "gc" -> gcFreed.increment(r.path("bytes_freed").asLong() + r.path("bytes_removed").asLong());
            case "verify" -> {
                verifyDamaged = r.path("damaged_chunks").asLong();
                verifyLastRun = job.ended().toEpochMilli() / 1000.0;
            }
            default -> { }
        }
    }

    /** Reads the state gauges, then renders every metric in the Prometheus text format. */
    public String scrape() {
        refresh();
        return registry.scrape();
    }

    private void refresh() {
        long now = clock.millis();
        try {
            List<WparStatus> wpars = WparStatus.read(catalog);
            List<MultiGauge.Row<?>> stored = new ArrayList<>();
            List<MultiGauge.Row<?>> logical = new ArrayList<>();
            List<MultiGauge.Row<?>> count = new ArrayList<>();
            List<MultiGauge.Row<?>> age = new ArrayList<>();
            List<MultiGauge.Row<?>> lkgAge = new ArrayList<>();
            List<MultiGauge.Row<?>> interval = new ArrayList<>();
            long allLogical = 0;
            long allStored = 0;
            for (WparStatus w : wpars) {
                Tags t = Tags.of("wpar", w.name());
                stored.add(MultiGauge.Row.of(t, w.storedBytes()));
                logical.add(MultiGauge.Row.of(t, w.logicalBytes()));
                count.add(MultiGauge.Row.of(t, w.complete()));
                if (w.last() != null) {
                    age.add(MultiGauge.Row.of(t, (now - w.last().takenAt()) / 1000.0));
                }
                if (w.lkg() != null) {
                    lkgAge.add(MultiGauge.Row.of(t, (now - w.lkg().takenAt()) / 1000.0));
                }
                if (w.intervalMillis() > 0) {
                    interval.add(MultiGauge.Row.of(t, w.intervalMillis() / 1000.0));
                }
                allLogical += w.logicalBytes();
                allStored += w.storedBytes();
            }
            wparStored.register(stored, true);
            wparLogical.register(logical, true);
            wparCheckpoints.register(count, true);
            wparAge.register(age, true);
            wparLkgAge.register(lkgAge, true);
            wparInterval.register(interval, true);
            long live = hosts.describe().stream().filter(h -> h.path("live").asBoolean()).count();
            List<MultiGauge.Row<?>> active = new ArrayList<>();
            List<Alerts.Alert> current = alerts.current();
            current.forEach(a -> active.add(MultiGauge.Row.of(Tags.of("key", a.key(), "severity", a.severity().jsonName()), 1)));
            alertActive.register(active, true);
            snapshot = new Snapshot(allStored == 0 ? 0 : (double) allLogical / allStored, live, hosts.describe().size(),
                    reserve.usableBytes(), reserve.totalBytes(), current.size());
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("metrics: reading the catalog or the datastore failed, keeping the last values: {}", e.toString());
        }
    }

    /**
     * Restore readers registered now ({@link io.ckpt.restore.ReadersInUse}); a dropped connection must
     * give its reader back, as it gives back its upload slot ({@code ckpt_uploads_active}).
     */
    public void watchConnections(ReadersInUse readers) {
        Gauge.builder("ckpt.restore.readers", readers, ReadersInUse::count)
                .description("Readers registered by restores, fetches and verify now").register(registry);
    }
}
