package io.ckpt.cli;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;

/** A time given on the command line: ISO-8601 with Z or an offset, or without one in this machine's zone. */
final class TimeArgument {
    private TimeArgument() {}

    static Instant parse(String option, String s) throws CliException {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(s).atZone(ZoneId.systemDefault()).toInstant();
        } catch (DateTimeParseException e) {
            throw new CliException(ExitCode.USAGE, option + " '" + s + "' is not an ISO-8601 time "
                    + "(e.g. 2026-11-26T14:00:00Z, or 2026-11-26T14:00:00 in local time)");
        }
    }
}
