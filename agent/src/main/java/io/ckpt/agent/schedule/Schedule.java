package io.ckpt.agent.schedule;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * When one WPAR's next checkpoint is due: a pure function of its cadence, jitter offset, skip windows and zone, the
 * time of its last run and the time now.
 *
 * <p>Rules, as {@link #nextAfter} applies them:
 * <ul>
 * <li><b>Slots.</b> The regular slots are the cadence's ({@link Cadence.Every}: a grid anchored at the epoch;
 *     {@link Cadence.Cron}: the matching minutes), each shifted later by {@link #offset()}.</li>
 * <li><b>First run ever</b> (no last run): an interval schedule is due now; a cron schedule waits for its next slot.</li>
 * <li><b>Regular cadence.</b> After a run, the next run is the first slot strictly after the run's start.</li>
 * <li><b>Missed slots</b> (agent down, host asleep, a run that outlasted its slot): if that slot is already past, the
 *     run is due now, once: every slot missed collapses into that one run, never a burst. The slot after it is
 *     computed from its start, so the cadence resumes. After a catch-up run, the next regular slot can be
 *     closer than a full interval.</li>
 * <li><b>Skip windows.</b> A run that would fall inside a window moves to the window's end plus {@link #offset()}
 *     (so WPARs that share a window do not all start at once); if that lands inside a window, to the window's
 *     end. Slots inside a window collapse into that one run.</li>
 * <li><b>Clock set back.</b> A last run in the future counts as a run now.</li>
 * </ul>
 *
 * @param cadence the regular slots
 * @param offset this WPAR's jitter offset, in {@code [0, jitter)}: see {@link #jitterOffset}
 * @param skip daily local-time windows in which no run starts
 * @param zone the time zone of cron fields and skip windows
 */
public record Schedule(Cadence cadence, Duration offset, List<SkipWindow> skip, ZoneId zone) {

    public Schedule {
        Objects.requireNonNull(cadence, "cadence");
        Objects.requireNonNull(offset, "offset");
        Objects.requireNonNull(zone, "zone");
        if (offset.isNegative()) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        skip = List.copyOf(skip);
        SkipWindow.requireTimeToRun(skip);
    }

    /** A schedule whose offset is derived from {@code seed} (the WPAR name) and the maximum {@code jitter}. */
    public static Schedule of(Cadence cadence, Duration jitter, String seed, List<SkipWindow> skip, ZoneId zone) {
        return new Schedule(cadence, jitterOffset(seed, jitter), skip, zone);
    }

    /**
     * A deterministic offset in {@code [0, jitter)}, in whole seconds, from a 64-bit FNV-1a hash of the UTF-8 seed
     * passed through the SplitMix64 finalizer. The same seed gives the same offset on every host and every restart,
     * and similar seeds ({@code web01}, {@code web02}) land far apart. Zero when {@code jitter} is under a second.
     */
    public static Duration jitterOffset(String seed, Duration jitter) {
        long seconds = jitter.getSeconds();
        if (seconds <= 0) {
            return Duration.ZERO;
        }
        long h = 0xcbf29ce484222325L;
        for (byte b : seed.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return Duration.ofSeconds(Math.floorMod(h, seconds));
    }

    /**
     * When the next run is due: never before {@code now} unless it is due now, in which case {@code now} itself.
     *
     * @param lastRun the start of the last run, or {@code null} if there has never been one
     * @param now the current time
     */
    public Instant nextAfter(Instant lastRun, Instant now) {
        Instant due;
        if (lastRun == null) {
            due = cadence instanceof Cadence.Every ? now : slotAfter(now);
        } else {
            Instant slot = slotAfter(lastRun.isAfter(now) ? now : lastRun);
            due = slot.isAfter(now) ? slot : now;
        }
        return outsideSkipWindows(due);
    }

    /** The first regular slot (with the offset) strictly after {@code t}, ignoring skip windows. */
    public Instant slotAfter(Instant t) {
        return cadence.slotAfter(t.minus(offset), zone).plus(offset);
    }

    private Instant outsideSkipWindows(Instant t) {
        Instant moved = endOfWindows(t);
        if (moved.equals(t)) {
            return t;
        }
        Instant withOffset = moved.plus(offset);
        return window(withOffset) == null ? withOffset : endOfWindows(withOffset);
    }

    /** Moves {@code t} to the end of the window it is in, and of the next window if that end is inside one. */
    private Instant endOfWindows(Instant t) {
        Instant moved = t;
        for (int hops = 0; hops <= skip.size(); hops++) {
            SkipWindow w = window(moved);
            if (w == null) {
                return moved;
            }
            moved = w.endOf(moved, zone);
        }
        return moved;
    }

    private SkipWindow window(Instant t) {
        var local = t.atZone(zone).toLocalTime();
        for (SkipWindow w : skip) {
            if (w.contains(local)) {
                return w;
            }
        }
        return null;
    }
}
