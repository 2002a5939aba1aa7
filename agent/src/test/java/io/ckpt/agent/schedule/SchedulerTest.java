package io.ckpt.agent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    private final FakeClock clock = FakeClock.at("2025-06-01T10:00:00Z");
    private final QueuedExecutor executor = new QueuedExecutor();
    /** "wpar@time" for every checkpoint the job ran, in order. */
    private final List<String> runs = Collections.synchronizedList(new ArrayList<>());

    private static Schedule every(Duration d) {
        return new Schedule(new Cadence.Every(d), Duration.ZERO, List.of(), ZoneOffset.UTC);
    }

    private Scheduler scheduler(Map<String, Schedule> schedules, Map<String, Instant> lastRuns) {
        return new Scheduler(clock, schedules, lastRuns, executor, wpar -> runs.add(wpar + "@" + clock.instant()));
    }

    @Test
    void hourlyIntervalRunsAtStartThenOnceEachHour() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of());
        assertEquals(List.of("web01"), s.tick());
        executor.runAll();
        clock.advance(Duration.ofMinutes(30));
        assertEquals(List.of(), s.tick());
        clock.set("2025-06-01T11:00:00Z");
        assertEquals(List.of("web01"), s.tick());
        executor.runAll();
        clock.set("2025-06-01T11:59:59Z");
        assertEquals(List.of(), s.tick());
        clock.set("2025-06-01T12:00:00Z");
        assertEquals(List.of("web01"), s.tick());
        executor.runAll();
        assertEquals(List.of("web01@2025-06-01T10:00:00Z", "web01@2025-06-01T11:00:00Z", "web01@2025-06-01T12:00:00Z"), runs);
    }

    @Test
    void cronEveryFifteenMinutesWaitsForTheFirstSlotThenRunsEachQuarterHour() {
        clock.set("2025-06-01T10:07:00Z");
        Schedule quarter = new Schedule(new Cadence.Cron(CronExpression.parse("*/15 * * * *")), Duration.ZERO, List.of(), ZoneOffset.UTC);
        Scheduler s = scheduler(Map.of("db01", quarter), Map.of());
        assertEquals(List.of(), s.tick());
        assertEquals(Optional.of(Instant.parse("2025-06-01T10:15:00Z")), s.nextWakeUp());
        for (String t : List.of("10:15", "10:30", "10:45", "11:00")) {
            clock.set("2025-06-01T" + t + ":00Z");
            assertEquals(List.of("db01"), s.tick(), t);
            executor.runAll();
            clock.advance(Duration.ofMinutes(5));
            assertEquals(List.of(), s.tick(), t + " + 5m");
        }
        assertEquals(4, runs.size());
    }

    @Test
    void agentDownForFiveHoursRunsOnceAtStartThenOnTheRegularCadence() {
        clock.set("2025-06-01T15:10:00Z");
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of("web01", Instant.parse("2025-06-01T10:00:00Z")));
        assertEquals(List.of("web01"), s.tick());
        executor.runAll();
        assertEquals(List.of(), s.tick(), "the five missed slots are one run, not a burst");
        assertEquals(0, executor.pending());
        assertEquals(Optional.of(Instant.parse("2025-06-01T16:00:00Z")), s.nextWakeUp());
        clock.set("2025-06-01T16:00:00Z");
        assertEquals(List.of("web01"), s.tick());
        executor.runAll();
        assertEquals(List.of("web01@2025-06-01T15:10:00Z", "web01@2025-06-01T16:00:00Z"), runs);
    }

    @Test
    void checkpointStillRunningWhenTheNextIsDueIsNotStartedTwice() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of("web01", Instant.parse("2025-06-01T09:00:00Z")));
        assertEquals(List.of("web01"), s.tick());     // 10:00, and it runs long
        clock.set("2025-06-01T11:00:00Z");
        assertEquals(List.of(), s.tick());
        clock.set("2025-06-01T12:00:00Z");
        assertEquals(List.of(), s.tick());
        assertEquals(1, executor.pending());
        assertTrue(s.status().get(0).running());

        clock.set("2025-06-01T12:10:00Z");
        executor.runNext();                            // the 10:00 run ends; the overdue slots start one run now
        assertEquals(1, executor.pending());
        executor.runNext();
        assertEquals(0, executor.pending(), "the coalesced run ended before its next slot: nothing more starts");
        assertEquals(List.of("web01@2025-06-01T12:10:00Z", "web01@2025-06-01T12:10:00Z"), runs);
        assertEquals(Optional.of(Instant.parse("2025-06-01T13:00:00Z")), s.nextWakeUp());
    }

    @Test
    void checkpointThatEndsBeforeItsNextSlotIsNotRestarted() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of("web01", Instant.parse("2025-06-01T09:00:00Z")));
        s.tick();
        clock.set("2025-06-01T10:40:00Z");
        executor.runNext();
        assertEquals(0, executor.pending());
    }

    @Test
    void otherWparsRunWhileOneIsBusy() {
        Map<String, Schedule> schedules = new LinkedHashMap<>();
        schedules.put("web01", every(Duration.ofHours(1)));
        schedules.put("db01", every(Duration.ofMinutes(30)));
        Scheduler s = scheduler(schedules, Map.of());
        assertEquals(List.of("web01", "db01"), s.tick());
        executor.runAll();
        clock.set("2025-06-01T10:30:00Z");
        assertEquals(List.of("db01"), s.tick());
    }

    @Test
    void triggerNowStartsAtOnceAndTheCadenceContinuesFromIt() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of("web01", Instant.parse("2025-06-01T10:00:00Z")));
        clock.set("2025-06-01T10:20:00Z");
        assertEquals(Scheduler.Trigger.STARTED, s.triggerNow("web01"));
        executor.runAll();
        assertEquals(List.of("web01@2025-06-01T10:20:00Z"), runs);
        assertEquals(Optional.of(Instant.parse("2025-06-01T11:00:00Z")), s.nextWakeUp());
    }

    @Test
    void triggerNowWhileRunningQueuesExactlyOneMoreRun() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of());
        s.tick();
        clock.set("2025-06-01T10:05:00Z");
        assertEquals(Scheduler.Trigger.QUEUED, s.triggerNow("web01"));
        assertEquals(Scheduler.Trigger.QUEUED, s.triggerNow("web01"));
        assertTrue(s.status().get(0).queued());
        clock.set("2025-06-01T10:07:00Z");
        executor.runNext();
        assertEquals(1, executor.pending());
        executor.runNext();
        assertEquals(0, executor.pending());
        assertEquals(List.of("web01@2025-06-01T10:07:00Z", "web01@2025-06-01T10:07:00Z"), runs);
    }

    @Test
    void triggerNowOfAnUnknownWparNamesItAndTheKnownOnes() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of());
        var e = assertThrows(IllegalArgumentException.class, () -> s.triggerNow("web02"));
        assertEquals("no WPAR 'web02' in the schedule (known: [web01])", e.getMessage());
    }

    @Test
    void failedCheckpointEndsTheRunAndTheNextSlotStillRuns() {
        Scheduler s = new Scheduler(clock, Map.of("web01", every(Duration.ofHours(1))), Map.of(), executor, wpar -> {
            runs.add(wpar);
            throw new IllegalStateException("chkptwpar exited 1 (expected failure of this test)");
        });
        s.tick();
        executor.runAll();
        assertFalse(s.status().get(0).running());
        clock.set("2025-06-01T11:00:00Z");
        assertEquals(List.of("web01"), s.tick());
    }

    @Test
    void rejectedExecutionLeavesTheWparIdleAndStillDue() {
        Scheduler s = new Scheduler(clock, Map.of("web01", every(Duration.ofHours(1))), Map.of(), task -> {
            throw new RejectedExecutionException("pool shut down");
        }, runs::add);
        assertThrows(RejectedExecutionException.class, s::tick);
        Scheduler.Status status = s.status().get(0);
        assertFalse(status.running());
        assertEquals(Optional.empty(), status.lastRun());
        assertEquals(clock.instant(), status.nextDue());
    }

    @Test
    void rejectedExecutionLeavesEveryWparOfTheTickIdle() {
        Map<String, Schedule> schedules = new LinkedHashMap<>();
        schedules.put("web01", every(Duration.ofHours(1)));
        schedules.put("db01", every(Duration.ofHours(1)));
        Scheduler s = new Scheduler(clock, schedules, Map.of(), task -> {
            throw new RejectedExecutionException("pool shut down");
        }, runs::add);
        assertThrows(RejectedExecutionException.class, s::tick);
        assertTrue(s.status().stream().noneMatch(Scheduler.Status::running), s.status().toString());
    }

    @Test
    void statusShowsLastRunNextDueAndRunning() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of());
        s.tick();
        Scheduler.Status status = s.status().get(0);
        assertEquals(new Scheduler.Status("web01", Optional.of(Instant.parse("2025-06-01T10:00:00Z")),
                Instant.parse("2025-06-01T11:00:00Z"), true, false), status);
    }

    @Test
    void closedSchedulerStartsNothing() {
        Scheduler s = scheduler(Map.of("web01", every(Duration.ofHours(1))), Map.of());
        s.close();
        assertEquals(List.of(), s.tick());
        assertThrows(IllegalStateException.class, () -> s.triggerNow("web01"));
    }

    @Test
    void productionLoopStartsWhatIsDueAndStopsOnClose() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        Scheduler s = new Scheduler(InstantSource.system(), Map.of("web01", every(Duration.ofHours(1))), Map.of(),
                Runnable::run, wpar -> ran.countDown());
        Thread loop = new Thread(() -> {
            try {
                s.runUntilClosed();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "scheduler-test");
        loop.start();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the first run is due at once");
        s.close();
        loop.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(loop.isAlive(), "close() ends the loop");
    }
}
