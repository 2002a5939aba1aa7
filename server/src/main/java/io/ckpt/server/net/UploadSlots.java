package io.ckpt.server.net;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The upload slots ({@code --max-uploads}) and the FIFO queue of uploads waiting for one
 * ({@code --upload-queue}). An upload either gets a slot at once, or waits its turn, or, with the
 * queue full, is refused. A released slot goes straight to the oldest waiter, so a newcomer never
 * overtakes the queue. Waiters hear when they get their slot and, as the queue moves, how many are
 * still ahead of them. Callbacks run on the thread that released the slot (or cancelled a waiter),
 * outside the lock: a waiter hands them on to its own thread.
 *
 * <p>How long a waiter may wait is its caller's business ({@link #cancel} when the time is up): this
 * class holds no timer, so it is tested with plain calls.
 */
public final class UploadSlots {
    /** What a waiting upload hears. */
    public interface Waiter {
        /** The slot is this waiter's now; it must {@link #release} it when its upload ends. */
        void granted();

        /** The queue moved: {@code ahead} waiters are still before this one. */
        void ahead(int ahead);
    }

    /** The answer to {@link #acquire}. */
    public sealed interface Ticket {}

    /** A slot, held from now on. */
    public record Granted() implements Ticket {}

    /** No slot: the queue is full, nothing to wait for. */
    public record Refused(int inUse, int waiting) implements Ticket {}

    /** Waiting its turn, {@code ahead} others before it. */
    public static final class Queued implements Ticket {
        private final Waiter waiter;
        private final long sinceNanos;
        private final int aheadAtFirst;

        private Queued(Waiter waiter, long sinceNanos, int ahead) {
            this.waiter = waiter;
            this.sinceNanos = sinceNanos;
            this.aheadAtFirst = ahead;
        }

        /** Waiters before this one when it was queued. */
        public int ahead() {
            return aheadAtFirst;
        }
    }

    private static final Granted GRANTED = new Granted();

    private final int max;
    private final int queueBound;
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private int inUse; // guarded by this
    private final AtomicLong queuedTotal = new AtomicLong();
    private final AtomicLong refusedTotal = new AtomicLong();
    private final AtomicLong timedOutTotal = new AtomicLong();
    private final AtomicLong waitNanosTotal = new AtomicLong();

    /** {@code max} slots (at least 1), at most {@code queueBound} (0 or more) waiting. */
    public UploadSlots(int max, int queueBound) {
        if (max < 1 || queueBound < 0) {
            throw new IllegalArgumentException("upload slots " + max + ", queue " + queueBound);
        }
        this.max = max;
        this.queueBound = queueBound;
    }

    /** A slot now, a place in the queue, or a refusal when the queue is full. */
    public synchronized Ticket acquire(Waiter waiter) {
        if (inUse < max && queue.isEmpty()) {
            inUse++;
            return GRANTED;
        }
        if (queue.size() >= queueBound) {
            refusedTotal.incrementAndGet();
            return new Refused(inUse, queue.size());
        }
        Queued q = new Queued(waiter, System.nanoTime(), queue.size());
        queue.addLast(q);
        queuedTotal.incrementAndGet();
        return q;
    }

    /** Frees a slot: the oldest waiter gets it, and those behind it hear their new place. */
    public void release() {
        Queued next;
        List<Queued> behind;
        synchronized (this) {
            next = queue.pollFirst();
            if (next == null) {
                if (inUse == 0) {
                    throw new IllegalStateException("upload slot released twice");
                }
                inUse--;
                return;
            }
            waitNanosTotal.addAndGet(System.nanoTime() - next.sinceNanos);
            behind = new ArrayList<>(queue);
        }
        next.waiter.granted();
        tellPlaces(behind, 0);
    }

    /**
     * Takes {@code q} out of the queue (its time is up, or its connection closed) and returns true,
     * or returns false if it was granted meanwhile: then it holds a slot it must release.
     */
    public boolean cancel(Queued q, boolean timedOut) {
        List<Queued> behind;
        int at = 0;
        synchronized (this) {
            Iterator<Queued> it = queue.iterator();
            while (it.hasNext() && it.next() != q) {
                at++;
            }
            if (at == queue.size()) {
                return false;
            }
            queue.remove(q);
            waitNanosTotal.addAndGet(System.nanoTime() - q.sinceNanos);
            if (timedOut) {
                timedOutTotal.incrementAndGet();
            }
            behind = new ArrayList<>(queue).subList(at, queue.size());
        }
        tellPlaces(behind, at);
        return true;
    }

    /** {@code behind} were the queue from place {@code first} on, in order, when it last moved. */
    private static void tellPlaces(List<Queued> behind, int first) {
        for (int i = 0; i < behind.size(); i++) {
            behind.get(i).waiter.ahead(first + i);
        }
    }

    public int max() {
        return max;
    }

    public int queueBound() {
        return queueBound;
    }

    public synchronized int inUse() {
        return inUse;
    }

    public synchronized int waiting() {
        return queue.size();
    }

    /** Seconds the oldest waiter has waited so far; 0 when none waits. */
    public synchronized double oldestWaitSeconds() {
        Queued q = queue.peekFirst();
        return q == null ? 0 : (System.nanoTime() - q.sinceNanos) / 1e9;
    }

    /** Uploads that had to wait (queued), since the start. */
    public long queuedTotal() {
        return queuedTotal.get();
    }

    /** Uploads refused because the queue was full. */
    public long refusedTotal() {
        return refusedTotal.get();
    }

    /** Waiters whose maximum wait passed. */
    public long timedOutTotal() {
        return timedOutTotal.get();
    }

    /** Seconds all finished waits took together (granted, timed out or gone). */
    public double waitSecondsTotal() {
        return waitNanosTotal.get() / 1e9;
    }
}
