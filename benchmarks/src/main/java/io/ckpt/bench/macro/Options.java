package io.ckpt.bench.macro;

import io.ckpt.bench.corpus.CheckpointSeries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The macro benchmark's command line (bench/macro passes its arguments here). */
record Options(CheckpointSeries.Spec spec, List<String> tools, Path dir, Path root, Path json, Path markdown,
               double limitSeconds, List<String> serverJvm) {
    static final String USAGE = """
            usage: bench/macro [--size default|small] [--memory-mib N] [--tar-mib N] [--checkpoints N]
                               [--tools ckpt,restic,borg] [--dir DIR] [--out FILE.json] [--md FILE.md]
                               [--limit-seconds S] [--server-java-opts 'OPTS']
              --size           default: 5 checkpoints of 256 MiB memory + 64 MiB tar; small: 3 of 16 + 4 MiB
              --dir            corpus cache and scratch (default: $CKPT_BENCH_DIR, else the temp directory)
              --out, --md      results (bench/macro: bench/results/macro-results.json and .md, ignored by git)
              --limit-seconds  measuring time per machine limit (default 2)
              --server-java-opts  JVM options for the ckpt server (default: none, the JVM's defaults)""";

    /** The parsed options, or null when they are wrong. */
    static Options parse(String[] args) {
        CheckpointSeries.Spec spec = CheckpointSeries.Spec.defaults();
        Integer memory = null;
        Integer tar = null;
        Integer checkpoints = null;
        List<String> tools = List.of("ckpt", "restic", "borg");
        String envDir = System.getenv("CKPT_BENCH_DIR");
        Path dir = Path.of(envDir != null && !envDir.isEmpty() ? envDir : System.getProperty("java.io.tmpdir"));
        Path root = Path.of(System.getProperty("ckpt.root", "."));
        Path json = Path.of("macro-results.json");
        Path md = Path.of("macro-results.md");
        double limitSeconds = 2;
        List<String> serverJvm = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--size" -> spec = switch (v) {
                        case "default" -> CheckpointSeries.Spec.defaults();
                        case "small" -> CheckpointSeries.Spec.small();
                        default -> throw new IllegalArgumentException("--size " + v);
                    };
                    case "--memory-mib" -> memory = Integer.parseInt(v);
                    case "--tar-mib" -> tar = Integer.parseInt(v);
                    case "--checkpoints" -> checkpoints = Integer.parseInt(v);
                    case "--tools" -> tools = List.of(v.split(","));
                    case "--dir" -> dir = Path.of(v);
                    case "--root" -> root = Path.of(v);
                    case "--out" -> json = Path.of(v);
                    case "--md" -> md = Path.of(v);
                    case "--limit-seconds" -> limitSeconds = Double.parseDouble(v);
                    case "--server-java-opts" -> serverJvm = List.of(v.trim().split("\\s+"));
                    default -> throw new IllegalArgumentException(a);
                }
                i++;
            }
            spec = spec.withSize(memory != null ? memory : spec.memoryMiB(), tar != null ? tar : spec.tarMiB(),
                    checkpoints != null ? checkpoints : spec.checkpoints());
            if (spec.checkpoints() < 2) {
                throw new IllegalArgumentException("at least 2 checkpoints (one cold, one incremental)");
            }
        } catch (RuntimeException e) {
            System.err.println("bench/macro: " + e.getMessage());
            return null;
        }
        return new Options(spec, tools, dir.toAbsolutePath(), root.toAbsolutePath(), json, md, limitSeconds,
                serverJvm.size() == 1 && serverJvm.get(0).isEmpty() ? List.of() : serverJvm);
    }
}
