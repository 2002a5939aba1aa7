package io.ckpt.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The bytes a benchmark processed, as a JMH operations counter: JMH sums the field over an
 * iteration and divides it by the iteration's time as it does the primary score, so the secondary
 * metric {@code MBps} (shown with the unit "ops/s") is MB per second, 1 MB = 10^6 bytes. Which
 * bytes count is said by each benchmark (usually the uncompressed image bytes it took in).
 * ({@code Type.EVENTS} would report the raw sum per iteration instead, unit "#".)
 *
 * <p>Not final, and the field public: JMH generates subclasses of state classes and reads every
 * public field of an {@code @AuxCounters} class as a metric.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class ByteCounter {
    /** MB processed in this iteration; reported per second. Add with {@code counter.MBps += bytes / 1e6}. */
    public double MBps;

    @Setup(Level.Iteration)
    public void reset() {
        MBps = 0;
    }
}
