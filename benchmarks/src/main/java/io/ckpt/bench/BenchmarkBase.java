package io.ckpt.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Settings every benchmark inherits (JMH reads these annotations from superclasses): throughput
 * per second, one fork, a few seconds of warm-up and measurement. The command line overrides them
 * ({@code -f}, {@code -wi}, {@code -i}, {@code -w}, {@code -r}).
 *
 * <p>Each benchmark method takes a {@link ByteCounter} and adds the bytes one call processed, so
 * that beside the score in calls per second JMH reports the secondary metric {@code MBps}: MB
 * (10^6 bytes) per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public abstract class BenchmarkBase {}
