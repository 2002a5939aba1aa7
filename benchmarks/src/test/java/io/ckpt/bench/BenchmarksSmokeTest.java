package io.ckpt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Every benchmark runs one short iteration in this JVM on tiny inputs, so that a change to the
 * code they call cannot leave the suite broken until someone next measures. No timing is checked.
 */
class BenchmarksSmokeTest {
    private static final int BENCHMARK_CONFIGURATIONS = 18; // methods times the @Param values left below (ingestIncremental: stream, delta; PredictiveChunker: previous none, last times threads 1, 2)

    @Test
    void everyBenchmarkRunsOneTinyIterationAndCountsItsBytes(@TempDir Path dir) throws RunnerException {
        System.setProperty("ckpt.bench.dir", dir.toString());
        try {
            Options opts = new OptionsBuilder()
                    .include("io\\.ckpt\\.bench\\.")
                    .forks(0)
                    .warmupIterations(0)
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(50))
                    .timeout(TimeValue.seconds(60))
                    .timeUnit(TimeUnit.SECONDS)
                    .param("imageMiB", "1")
                    .param("seededChunks", "1000")
                    .param("batchesPerFsync", "1")
                    .param("lookup", "hit")
                    .shouldFailOnError(true)
                    .verbosity(VerboseMode.SILENT)
                    .build();
            Collection<RunResult> results = new Runner(opts).run();
            assertEquals(BENCHMARK_CONFIGURATIONS, results.size(), "benchmark configurations run");
            for (RunResult r : results) {
                String name = r.getParams().getBenchmark();
                assertTrue(r.getSecondaryResults().containsKey("MBps"), name + " reports MBps");
                assertTrue(r.getSecondaryResults().get("MBps").getScore() > 0, name + " counted bytes");
            }
        } finally {
            System.clearProperty("ckpt.bench.dir");
        }
    }
}
