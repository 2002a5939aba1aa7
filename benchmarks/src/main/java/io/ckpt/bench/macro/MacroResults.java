package io.ckpt.bench.macro;

import io.ckpt.bench.corpus.CheckpointSeries;
import java.util.List;
import java.util.Map;

/** Everything one macro run measured; written as JSON as it is, and as markdown by {@link MacroReport}. */
record MacroResults(String command, String date, String machine, double loadStart, double loadEnd,
                    CheckpointSeries.Manifest series, Map<String, Double> limitsMBps, List<ToolResult> tools) {

    /** One backup of checkpoint {@code index} (0 for the restore), sizes in bytes, times in seconds. */
    record Step(int index, long logicalBytes, double seconds, double clientCpuSeconds, double serverCpuSeconds,
                long clientPeakRssBytes, long repositoryGrowthBytes, long toolStoredBytes, long sentBytes) {
        double mbps() {
            return logicalBytes / seconds / 1e6;
        }
    }

    record ToolResult(String name, String version, List<Step> backups, Step restore, boolean restoreVerified,
                      long repositoryBytes, ServerPeaks.Peaks server) {
        long logicalBytes() {
            return backups.stream().mapToLong(Step::logicalBytes).sum();
        }

        /** Cold: the first backup. */
        Step cold() {
            return backups.get(0);
        }

        List<Step> incremental() {
            return backups.subList(1, backups.size());
        }

        /** Incremental MB/s: their bytes over their time. */
        double incrementalMBps() {
            List<Step> inc = incremental();
            return inc.stream().mapToLong(Step::logicalBytes).sum() / inc.stream().mapToDouble(Step::seconds).sum() / 1e6;
        }

        /** Bytes the client sent for the incremental backups (-1 when the tool does not say). */
        long incrementalSentBytes() {
            List<Step> inc = incremental();
            return inc.stream().anyMatch(s -> s.sentBytes() < 0) ? -1 : inc.stream().mapToLong(Step::sentBytes).sum();
        }

        /** Repository growth of the incremental backups as a share of their logical bytes. */
        double incrementalStoredShare() {
            List<Step> inc = incremental();
            return inc.stream().mapToLong(Step::repositoryGrowthBytes).sum() / (double) inc.stream().mapToLong(Step::logicalBytes).sum();
        }

        double cpuSeconds(List<Step> steps) {
            return steps.stream().mapToDouble(s -> s.clientCpuSeconds() + s.serverCpuSeconds()).sum();
        }

        long clientPeakRss() {
            return backups.stream().mapToLong(Step::clientPeakRssBytes).max().orElse(0);
        }
    }
}
