package io.ckpt.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the commands print sizes, rates and times for people. */
final class Units {
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private Units() {}

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    static String rate(long bytes, long nanos) {
        if (nanos <= 0) {
            return "-";
        }
        return bytes((long) (bytes / (nanos / 1e9))) + "/s";
    }

    static String duration(long nanos) {
        long s = nanos / 1_000_000_000L;
        if (s < 60) {
            return String.format("%.1f s", nanos / 1e9);
        }
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    static String utc(String isoInstant) {
        return UTC.format(Instant.parse(isoInstant));
    }
}
