package io.ckpt.agent.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when the test says so. */
final class FakeClock implements InstantSource {
    private volatile Instant now;

    FakeClock(Instant start) {
        this.now = start;
    }

    static FakeClock at(String isoInstant) {
        return new FakeClock(Instant.parse(isoInstant));
    }

    @Override
    public Instant instant() {
        return now;
    }

    void set(String isoInstant) {
        now = Instant.parse(isoInstant);
    }

    void advance(Duration d) {
        now = now.plus(d);
    }
}
