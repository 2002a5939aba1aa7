package io.ckpt.alert;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's active alerts. {@link #raise} makes a condition active (logged as ERROR the
 * first time; raising it again only updates the message, so a condition seen at every upload
 * batch is logged once), {@link #clear} ends it (logged as INFO; clearing an inactive key does
 * nothing). In memory only: a restart starts with none, and each condition is raised again
 * when it is next seen.
 */
public final class Alerts {
    private static final Logger log = LoggerFactory.getLogger(Alerts.class);

    /** Free space on the datastore's file system is below the upload reserve: uploads are refused. */
    public static final String DISK_RESERVE = "disk-reserve";
    /** The last scheduled verify found damaged chunks. */
    public static final String VERIFY_DAMAGE = "verify-damage";
    /** The last scheduled verify could not run to its end. */
    public static final String VERIFY_FAILED = "verify-failed";
    /** The last scheduled prune failed. */
    public static final String PRUNE_FAILED = "prune-failed";
    /** The last scheduled gc failed. */
    public static final String GC_FAILED = "gc-failed";

    public enum Severity {
        /** Something needs attention; checkpoints are still taken. */
        WARNING,
        /** Checkpoints are refused, or stored data is damaged. */
        CRITICAL;

        public String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** An active alert: {@code since} is when it was first raised, {@code message} the latest one. */
    public record Alert(String key, Severity severity, Instant since, String message) {}

    private final Clock clock;
    private final Map<String, Alert> active = new LinkedHashMap<>();
    private final List<Runnable> checks = new CopyOnWriteArrayList<>();

    public Alerts() {
        this(Clock.systemUTC());
    }

    public Alerts(Clock clock) {
        this.clock = clock;
    }

    /** Makes {@code key} active, or updates the message of an active one (its {@code since} stays). */
    public synchronized void raise(String key, Severity severity, String message) {
        Alert was = active.get(key);
        if (was == null) {
            active.put(key, new Alert(key, severity, clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), message));
            log.error("alert {} raised: {}", key, message);
        } else {
            active.put(key, new Alert(key, severity, was.since(), message));
        }
    }

    /** Ends {@code key} if it is active; {@code why} says what showed the condition is over. */
    public synchronized void clear(String key, String why) {
        Alert was = active.remove(key);
        if (was != null) {
            log.info("alert {} cleared (active since {}): {}", key, was.since(), why);
        }
    }

    public synchronized boolean isActive(String key) {
        return active.containsKey(key);
    }

    /** Active alerts in the order they were raised. */
    public synchronized List<Alert> active() {
        return new ArrayList<>(active.values());
    }

    /**
     * Adds a check that {@link #current()} runs first: for conditions that can end, or begin,
     * without anything the server does noticing (free space coming back when files are deleted).
     */
    public void addCheck(Runnable check) {
        checks.add(check);
    }

    /** Runs the checks, then returns the active alerts: what a monitoring query sees. */
    public List<Alert> current() {
        for (Runnable c : checks) {
            try {
                c.run();
            } catch (RuntimeException e) {
                log.warn("alert check failed: {}", e.toString());
            }
        }
        return active();
    }
}
