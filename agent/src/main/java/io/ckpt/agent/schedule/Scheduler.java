package io.ckpt.agent.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts each WPAR's checkpoint when its {@link Schedule} says it is due, on an executor, and never runs two
 * checkpoints of one WPAR at once.
 *
 * <p>A run that comes due while the WPAR's previous run is still going is coalesced: when the running one ends, the
 * next starts at once if the schedule still says it is due (one run, however many slots passed meanwhile).
 * {@link #triggerNow} starts a run at once, or, if one is running, queues exactly one more to start when it ends.
 * A WPAR with no recorded last run is first due when its schedule said at the moment the scheduler was made (an
 * interval: at once; a cron expression: its next slot).
 *
 * <p>Time comes only from the injected {@link InstantSource}. Tests drive {@link #tick()} with a fake clock and an
 * executor they control, and sleep nowhere; production calls {@link #runUntilClosed()} on a thread of its own, which
 * ticks at each due time and at least once a {@link #MAX_SLEEP} (so a host that slept or a clock that jumped is
 * noticed within that time).
 */
public final class Scheduler implements AutoCloseable {
    /** The longest the production loop waits between two ticks. */
    public static final Duration MAX_SLEEP = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    /** One WPAR's checkpoint, as the daemon runs it; a thrown exception is logged with the WPAR and the run ends. */
    @FunctionalInterface
    public interface Job {
        void run(String wpar) throws Exception;
    }

    /** What {@link #triggerNow} did. */
    public enum Trigger {
        /** A run started now. */
        STARTED,
        /** A run was going; one more starts when it ends. */
        QUEUED
    }

    /** One WPAR's place in the schedule, for {@code ckpt status}. */
    public record Status(String wpar, Optional<Instant> lastRun, Instant nextDue, boolean running, boolean queued) {}

    private final InstantSource clock;
    private final Executor executor;
    private final Job job;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long version;
    private boolean closed;

    /**
     * @param clock where every time comes from
     * @param schedules each WPAR's schedule, in the order ticks start them
     * @param lastRuns when each WPAR last ran, as the daemon recorded it (absent: never)
     * @param executor runs the jobs; a direct executor works (the job then runs inside the call that started it)
     * @param job the checkpoint of one WPAR
     */
    public Scheduler(InstantSource clock, Map<String, Schedule> schedules, Map<String, Instant> lastRuns,
            Executor executor, Job job) {
        this.clock = clock;
        this.executor = executor;
        this.job = job;
        Instant start = clock.instant();
        schedules.forEach((wpar, schedule) -> slots.put(wpar, new Slot(wpar, schedule, lastRuns.get(wpar),
                schedule.nextAfter(null, start))));
    }

    /** Starts every WPAR that is due now and not running; returns their names, in schedule order. */
    public List<String> tick() {
        List<Slot> starting = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return List.of();
            }
            Instant now = clock.instant();
            for (Slot s : slots.values()) {
                if (!s.running && !s.due(now).isAfter(now)) {
                    markStarted(s, now);
                    starting.add(s);
                }
            }
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < starting.size(); i++) {
            try {
                execute(starting.get(i));
            } catch (RuntimeException e) {
                starting.subList(i + 1, starting.size()).forEach(this::revert);
                throw e;
            }
        }
        return starting.stream().map(s -> s.wpar).toList();
    }

    /** Starts a run of {@code wpar} now, or queues one behind the run that is going. */
    public Trigger triggerNow(String wpar) {
        Slot s;
        lock.lock();
        try {
            s = slots.get(wpar);
            if (s == null) {
                throw new IllegalArgumentException("no WPAR '" + wpar + "' in the schedule (known: " + slots.keySet() + ")");
            }
            if (closed) {
                throw new IllegalStateException("scheduler is closed: cannot trigger WPAR '" + wpar + "'");
            }
            if (s.running) {
                s.queued = true;
                changed();
                return Trigger.QUEUED;
            }
            markStarted(s, clock.instant());
        } finally {
            lock.unlock();
        }
        execute(s);
        return Trigger.STARTED;
    }

    /** The earliest time a WPAR that is not running comes due; empty when all are running. */
    public Optional<Instant> nextWakeUp() {
        lock.lock();
        try {
            Instant now = clock.instant();
            return slots.values().stream().filter(s -> !s.running)
                    .map(s -> s.due(now)).min(Instant::compareTo);
        } finally {
            lock.unlock();
        }
    }

    /** Every WPAR's last run, next due time and whether it is running, in schedule order. */
    public List<Status> status() {
        lock.lock();
        try {
            Instant now = clock.instant();
            return slots.values().stream().map(s -> new Status(s.wpar, Optional.ofNullable(s.lastRun),
                    s.due(now), s.running, s.queued)).toList();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The production loop: ticks at each due time until {@link #close()}. Waits at most {@link #MAX_SLEEP} between
     * ticks, and wakes early when a run ends or is triggered.
     */
    public void runUntilClosed() throws InterruptedException {
        while (true) {
            long seen;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                seen = version;
            } finally {
                lock.unlock();
            }
            tick();
            Optional<Instant> wake = nextWakeUp();
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                if (version == seen) {
                    long waitNanos = MAX_SLEEP.toNanos();
                    if (wake.isPresent()) {
                        waitNanos = Math.min(waitNanos, Duration.between(clock.instant(), wake.get()).toNanos());
                    }
                    if (waitNanos > 0) {
                        changed.awaitNanos(waitNanos);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Stops starting runs and ends {@link #runUntilClosed()}; runs already going are left to finish. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed();
        } finally {
            lock.unlock();
        }
    }

    private void markStarted(Slot s, Instant now) {
        s.previousRun = s.lastRun;
        s.lastRun = now;
        s.running = true;
        s.queued = false;
        changed();
    }

    /** Hands a slot marked started to the executor; if it refuses, the slot is as it was before. */
    private void execute(Slot s) {
        try {
            executor.execute(() -> runAndFinish(s));
        } catch (RuntimeException e) {
            revert(s);
            throw e;
        }
    }

    private void revert(Slot s) {
        lock.lock();
        try {
            s.running = false;
            s.lastRun = s.previousRun;
            changed();
        } finally {
            lock.unlock();
        }
    }

    private void runAndFinish(Slot s) {
        try {
            job.run(s.wpar);
        } catch (Exception e) {
            LOG.warn("checkpoint of WPAR {} failed: {}", s.wpar, e.toString());
            LOG.debug("checkpoint of WPAR {} failed", s.wpar, e);
        } finally {
            finish(s);
        }
    }

    private void finish(Slot s) {
        boolean again;
        lock.lock();
        try {
            s.running = false;
            Instant now = clock.instant();
            again = !closed && (s.queued || !s.due(now).isAfter(now));
            if (again) {
                markStarted(s, now);
            }
            changed();
        } finally {
            lock.unlock();
        }
        if (again) {
            execute(s);
        }
    }

    /** Called with the lock held. */
    private void changed() {
        version++;
        changed.signalAll();
    }

    /** One WPAR's mutable state, guarded by {@link #lock}. */
    private static final class Slot {
        final String wpar;
        final Schedule schedule;
        /** When a WPAR that has never run is first due, fixed when the scheduler was made. */
        final Instant firstDue;
        Instant lastRun;
        Instant previousRun;
        boolean running;
        boolean queued;

        Slot(String wpar, Schedule schedule, Instant lastRun, Instant firstDue) {
            this.wpar = wpar;
            this.schedule = schedule;
            this.lastRun = lastRun;
            this.firstDue = firstDue;
        }

        /** When this WPAR's next run is due, {@code now} if it is due already. */
        Instant due(Instant now) {
            if (lastRun == null) {
                return firstDue.isAfter(now) ? firstDue : now;
            }
            return schedule.nextAfter(lastRun, now);
        }
    }
}
