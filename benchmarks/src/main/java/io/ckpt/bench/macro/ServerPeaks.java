package io.ckpt.bench.macro;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The peaks of a server process the benchmark started (testkit's ServerProcess, with
 * {@code -Xlog:gc:file=GCLOG}): resident set from /proc, heap from its GC log and from
 * {@code jcmd GC.heap_info}.
 */
final class ServerPeaks {
    /** Peak resident set (VmHWM), peak heap in use and peak heap committed, in bytes. */
    record Peaks(long rssBytes, long heapUsedBytes, long heapCommittedBytes) {}

    private static final Pattern GC_LINE = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");
    private static final Pattern HEAP_INFO = Pattern.compile("total (\\d+)K, used (\\d+)K");

    private final long pid;
    private final Path gcLog;
    private long lastRss;

    ServerPeaks(long pid, Path gcLog) {
        this.pid = pid;
        this.gcLog = gcLog;
    }

    /** Peaks so far: heap from the GC log (before each collection) and from jcmd GC.heap_info now. */
    Peaks peaks(String jcmd) throws IOException {
        lastRss = Math.max(lastRss, ChildRun.ProcStat.peakRss(pid));
        long used = 0;
        long committed = 0;
        if (Files.exists(gcLog)) {
            for (String line : Files.readAllLines(gcLog)) {
                Matcher m = GC_LINE.matcher(line);
                if (m.find()) {
                    used = Math.max(used, bytes(m.group(1), m.group(2)));
                    committed = Math.max(committed, bytes(m.group(5), m.group(6)));
                }
            }
        }
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            Matcher m = HEAP_INFO.matcher(out);
            if (m.find()) {
                committed = Math.max(committed, Long.parseLong(m.group(1)) * 1024);
                used = Math.max(used, Long.parseLong(m.group(2)) * 1024);
            }
        } catch (IOException | InterruptedException e) {
            // jcmd missing (a JRE): the GC log alone gives the peaks
        }
        return new Peaks(lastRss, used, committed);
    }

    private static long bytes(String n, String unit) {
        long v = Long.parseLong(n);
        return switch (unit) {
            case "K" -> v << 10;
            case "M" -> v << 20;
            default -> v << 30;
        };
    }
}
