package io.ckpt.retention;

import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;

/**
 * The calendar periods of the hourly, daily, weekly, monthly and yearly rules, as restic draws
 * them: a checkpoint's bucket is read off its wall-clock time in the server's zone. Weeks are ISO
 * weeks (Monday to Sunday, numbered within the ISO week-based year, so 2015-12-31 and 2016-01-03
 * are both in week 2015-W53). An hour the autumn clock change repeats is one hourly bucket; an hour
 * the spring change skips has none.
 */
enum CalendarBucket {
    HOURLY("hourly") {
        @Override
        long key(ZonedDateTime t) {
            return t.getYear() * 1_000_000L + t.getMonthValue() * 10_000L + t.getDayOfMonth() * 100L + t.getHour();
        }
    },
    DAILY("daily") {
        @Override
        long key(ZonedDateTime t) {
            return t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
        }
    },
    WEEKLY("weekly") {
        @Override
        long key(ZonedDateTime t) {
            return t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        }
    },
    MONTHLY("monthly") {
        @Override
        long key(ZonedDateTime t) {
            return t.getYear() * 100L + t.getMonthValue();
        }
    },
    YEARLY("yearly") {
        @Override
        long key(ZonedDateTime t) {
            return t.getYear();
        }
    };

    private final String word;

    CalendarBucket(String word) {
        this.word = word;
    }

    /** The bucket's number: equal for two times exactly when they fall in the same period. */
    abstract long key(ZonedDateTime t);

    /** {@code hourly}, {@code daily}, ... as the reasons spell it. */
    String word() {
        return word;
    }
}
