package io.ckpt.server.net;

import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * When a connection's upload bytes leave its socket unread (docs/PROTOCOL.md, "Backpressure"):
 * while more than {@link #HIGH_WATER} bytes of DATA and CHUNK_DATA wait for the ingest worker (until
 * it has drained them below {@link #LOW_WATER}), and while the host is over its upload rate
 * ({@code --host-upload-rate}). TCP flow control then slows the sender, so a slow disk slows the
 * client instead of growing the heap. The reasons are held on the connection's {@link ReadGate}.
 */
final class UploadBackpressure {
    static final long HIGH_WATER = 16L << 20;
    static final long LOW_WATER = 4L << 20;

    private final Fairness fairness;
    private final Channel channel;
    private final ReadGate gate;
    private final Supplier<String> host;
    private long pending; // bytes queued for the worker; guarded by this
    /** Until when the host's upload rate keeps the socket unread (event loop only). */
    private long rateHoldUntil;

    UploadBackpressure(Fairness fairness, Channel channel, ReadGate gate, Supplier<String> host) {
        this.fairness = fairness;
        this.channel = channel;
        this.gate = gate;
        this.host = host;
    }

    /** {@code size} payload bytes were read and queued for the worker; charged to the host's rate too. Event loop. */
    void arrived(int size) {
        queued(size);
        throttle(size);
    }

    /**
     * While a restore runs the backlog is kept to {@link #LOW_WATER}, not {@link #HIGH_WATER}: the
     * ingest workers are yielding then, and reading 16 MiB more per connection would only spend
     * CPU on bytes that wait (RestorePriority).
     */
    private synchronized void queued(int size) {
        pending += size;
        boolean restoring = fairness.priority().restoresRunning() > 0;
        if (pending > (restoring ? LOW_WATER : HIGH_WATER)) {
            gate.hold(ReadGate.BACKLOG);
        }
    }

    /** The worker is done with {@code size} bytes (stored, or dropped after a failure). Worker thread. */
    synchronized void drained(int size) {
        pending -= size;
        boolean restoring = fairness.priority().restoresRunning() > 0;
        if (pending < (restoring ? LOW_WATER / 2 : LOW_WATER) && gate.holds(ReadGate.BACKLOG)) {
            gate.release(ReadGate.BACKLOG);
        }
    }

    /** Charges a DATA frame to the host's upload rate; over it, the socket is not read until the debt is paid. */
    private void throttle(int size) {
        long hold = fairness.hostRate().charge(host.get(), size);
        if (hold <= 0) {
            return;
        }
        rateHoldUntil = Math.max(rateHoldUntil, System.nanoTime() + hold);
        gate.hold(ReadGate.RATE);
        channel.eventLoop().schedule(this::rateHoldOver, hold, TimeUnit.NANOSECONDS);
    }

    private void rateHoldOver() {
        long left = rateHoldUntil - System.nanoTime();
        if (left > 0) {
            channel.eventLoop().schedule(this::rateHoldOver, left, TimeUnit.NANOSECONDS);
        } else {
            gate.release(ReadGate.RATE);
        }
    }
}
