package io.ckpt.bench.macro;

import io.ckpt.bench.corpus.CheckpointSeries.Checkpoint;
import io.ckpt.bench.macro.MacroResults.Step;
import io.ckpt.bench.macro.MacroResults.ToolResult;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The macro results as markdown: a summary with ckpt's ratios to restic, borg and the machine
 * limit; one row per checkpoint; and the issue-6 targets, met or missed.
 */
final class MacroReport {
    private static final double MIB = 1 << 20;

    private final MacroResults r;
    private final ToolResult ckpt;
    private final ToolResult restic;
    private final ToolResult borg;
    private final StringBuilder out = new StringBuilder();

    private MacroReport(MacroResults r) {
        this.r = r;
        this.ckpt = tool("ckpt");
        this.restic = tool("restic");
        this.borg = tool("borg");
    }

    static String markdown(MacroResults r) {
        return new MacroReport(r).render();
    }

    private ToolResult tool(String name) {
        return r.tools().stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    private String render() {
        List<Checkpoint> cps = r.series().checkpoints();
        long logical = cps.stream().mapToLong(Checkpoint::bytes).sum();
        List<Checkpoint> inc = cps.subList(1, cps.size());
        double freshLz4Share = inc.stream().mapToLong(Checkpoint::freshLz4Bytes).sum()
                / (double) inc.stream().mapToLong(Checkpoint::bytes).sum();
        Map<String, Double> lim = r.limitsMBps();
        line("Macro benchmark, %s: `%s`", r.date(), r.command());
        line("Series: %d checkpoints of %d MiB memory + %d MiB tar (%.0f MB in all); %.1f%% of each incremental's"
                        + " bytes new, %.2f%% after LZ4. Machine: %s; load average %.2f at the start, %.2f at the end.",
                cps.size(), r.series().spec().memoryMiB(), r.series().spec().tarMiB(), logical / 1e6,
                100.0 * inc.stream().mapToLong(Checkpoint::freshBytes).sum() / inc.stream().mapToLong(Checkpoint::bytes).sum(),
                100 * freshLz4Share, r.machine(), r.loadStart(), r.loadEnd());
        line("");
        line("| figure | ckpt | restic | borg | ckpt/restic | ckpt/borg | machine limit | ckpt/limit |");
        line("|---|---:|---:|---:|---:|---:|---:|---:|");
        row("cold ingest, MB/s", t -> t.cold().mbps(), lim.get("pipeline_cold"), "chunk+SHA-256+LZ4");
        row("incremental ingest, MB/s", ToolResult::incrementalMBps, lim.get("pipeline_chunk_sha256"), "chunk+SHA-256");
        row("restore, MB/s", t -> t.restore().mbps(), lim.get("pipeline_restore"), "LZ4 decompress+SHA-256");
        row("stored, cold, % of logical", t -> 100.0 * t.cold().repositoryGrowthBytes() / t.cold().logicalBytes(),
                100.0 * cps.get(0).lz4Bytes() / cps.get(0).bytes(), "LZ4 of the image");
        row("stored per incremental, % of logical", t -> 100 * t.incrementalStoredShare(), 100 * freshLz4Share,
                "LZ4 of the new bytes");
        row("dedup ratio (logical / repository)", t -> (double) t.logicalBytes() / t.repositoryBytes(), null, null);
        row("peak RSS, MiB (ckpt: server)", t -> t.server() != null ? t.server().rssBytes() / MIB : t.clientPeakRss() / MIB,
                null, null);
        row("peak RSS of the client, MiB", t -> t.clientPeakRss() / MIB, null, null);
        row("peak server heap used / committed, MiB", t -> t.server() != null ? t.server().heapUsedBytes() / MIB : Double.NaN,
                null, null);
        row("CPU s, all ingests (client+server)", t -> t.cpuSeconds(t.backups()), null, null);
        row("CPU s, restore (client+server)", t -> t.cpuSeconds(List.of(t.restore())), null, null);
        if (ckpt != null && ckpt.server() != null) {
            line("");
            line("ckpt server heap committed at most %.0f MiB. Restore checked against the original's SHA-256: %s.",
                    ckpt.server().heapCommittedBytes() / MIB, verified());
        }
        line("");
        line("Machine limits, all %.0f cores, data in memory (MB/s): SHA-256 %s, LZ4 compress %s, LZ4 decompress %s,"
                        + " FastCDC %s; chunk+SHA-256+LZ4 %s, chunk+SHA-256 %s, LZ4 decompress+SHA-256 %s;"
                        + " sequential write + fdatasync %s.",
                lim.get("threads"), n(lim.get("sha256")), n(lim.get("lz4_compress")), n(lim.get("lz4_decompress")),
                n(lim.get("fastcdc")), n(lim.get("pipeline_cold")), n(lim.get("pipeline_chunk_sha256")),
                n(lim.get("pipeline_restore")), n(lim.get("write_fsync")));
        line("");
        perCheckpoint(cps);
        line("");
        targets(freshLz4Share, inc);
        return out.toString();
    }

    private String verified() {
        StringBuilder s = new StringBuilder();
        for (ToolResult t : r.tools()) {
            s.append(s.length() == 0 ? "" : ", ").append(t.name()).append(t.restoreVerified() ? " equal" : " DIFFERENT");
        }
        return s.toString();
    }

    private void row(String figure, ToDoubleFunction<ToolResult> f, Double limit, String limitName) {
        double c = value(ckpt, f);
        double rs = value(restic, f);
        double b = value(borg, f);
        String v = figure.contains("used / committed") && ckpt != null && ckpt.server() != null
                ? n(c) + " / " + n(ckpt.server().heapCommittedBytes() / MIB) : n(c);
        line("| %s | %s | %s | %s | %s | %s | %s | %s |", figure, v, n(rs), n(b), ratio(c, rs), ratio(c, b),
                limit == null ? "" : n(limit) + " (" + limitName + ")", limit == null ? "" : ratio(c, limit));
    }

    private void perCheckpoint(List<Checkpoint> cps) {
        line("| checkpoint | MB | new, LZ4 MB | ckpt MB/s | ckpt stored MB | restic MB/s | restic stored MB | borg MB/s | borg stored MB |");
        line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < cps.size(); i++) {
            Checkpoint c = cps.get(i);
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "| cp-%d | %s | %s", c.index(), n(c.bytes() / 1e6),
                    n(c.freshLz4Bytes() / 1e6)));
            for (ToolResult t : new ToolResult[] {ckpt, restic, borg}) {
                Step st = t == null ? null : t.backups().get(i);
                s.append(" | ").append(st == null ? "" : n(st.mbps())).append(" | ")
                        .append(st == null ? "" : n(st.repositoryGrowthBytes() / 1e6));
            }
            line(s.append(" |").toString());
        }
        line("Stored: growth of the repository directory (ckpt: datastore with catalog); MB = 10^6 bytes.");
    }

    private void targets(double freshLz4Share, List<Checkpoint> inc) {
        if (ckpt == null) {
            return;
        }
        line("| issue 6 target | measured | met |");
        line("|---|---|---|");
        target("cold ingest ≥ 2× restic", ckpt.cold().mbps(), restic, t -> t.cold().mbps(), 2);
        target("cold ingest ≥ 1.5× borg", ckpt.cold().mbps(), borg, t -> t.cold().mbps(), 1.5);
        double coldShare = ckpt.cold().mbps() / r.limitsMBps().get("pipeline_cold");
        line("| cold ingest ≥ 60%% of the pipeline limit | %.0f%% | %s |", 100 * coldShare, coldShare >= 0.6 ? "yes" : "no");
        target("incremental ≥ 5× restic", ckpt.incrementalMBps(), restic, ToolResult::incrementalMBps, 5);
        target("incremental ≥ 3× borg", ckpt.incrementalMBps(), borg, ToolResult::incrementalMBps, 3);
        long sent = ckpt.incrementalSentBytes();
        double wire = sent < 0 ? 1 / freshLz4Share // an older client that does not count: every byte
                : sent / (double) inc.stream().mapToLong(Checkpoint::freshLz4Bytes).sum();
        line("| bytes sent per incremental ≤ 1.5× LZ4 of the changed bytes | %.2f× (%s MB of chunks over the wire for %s MB of images; push's bytes_sent, delta mode) | %s |",
                wire, sent < 0 ? "?" : n(sent / 1e6), n(inc.stream().mapToLong(Checkpoint::bytes).sum() / 1e6),
                wire <= 1.5 ? "yes" : "no");
        double stored = ckpt.incrementalStoredShare() / freshLz4Share;
        List<Step> steps = ckpt.incremental();
        double packed = steps.stream().mapToLong(Step::toolStoredBytes).sum()
                / (double) inc.stream().mapToLong(Checkpoint::freshLz4Bytes).sum();
        line("| stored per incremental ≤ 1.3× LZ4 of the changed bytes | %.2f× datastore growth (%.2f× chunk data alone, push's stored_bytes) | %s |",
                stored, packed, stored <= 1.3 ? "yes" : packed <= 1.3 ? "chunk data only" : "no");
        target("restore ≥ 2× restic", ckpt.restore().mbps(), restic, t -> t.restore().mbps(), 2);
        target("restore ≥ 1.5× borg", ckpt.restore().mbps(), borg, t -> t.restore().mbps(), 1.5);
        if (ckpt.server() != null) {
            double heap = ckpt.server().heapUsedBytes() / MIB;
            line("| server heap ≤ 256 MiB | %.0f MiB used at most (%.0f MiB committed) | %s |", heap,
                    ckpt.server().heapCommittedBytes() / MIB, heap <= 256 ? "yes (used)" : "no");
        }
        line("| ingest with 10M chunks in the catalog ≥ 80%% of empty | not measured by this benchmark | – |");
    }

    private void target(String name, double mine, ToolResult other, ToDoubleFunction<ToolResult> f, double factor) {
        if (other == null) {
            line("| %s | %s not run | – |", name, name.contains("restic") ? "restic" : "borg");
            return;
        }
        double ratio = mine / f.applyAsDouble(other);
        line("| %s | %.2f× | %s |", name, ratio, ratio >= factor ? "yes" : "no (" + String.format(Locale.ROOT, "%.0f%%", 100 * ratio / factor) + " of it)");
    }

    private static double value(ToolResult t, ToDoubleFunction<ToolResult> f) {
        return t == null ? Double.NaN : f.applyAsDouble(t);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    private static String n(Double v) {
        if (v == null || v.isNaN()) {
            return "";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private void line(String format, Object... args) {
        out.append(args.length == 0 ? format.replace("%%", "%") : String.format(Locale.ROOT, format, args)).append('\n');
    }
}
