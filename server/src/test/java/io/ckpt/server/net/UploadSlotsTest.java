package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UploadSlotsTest {
    /** Writes down what it hears. */
    private static final class Heard implements UploadSlots.Waiter {
        final String name;
        final List<String> log;

        Heard(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public void granted() {
            log.add(name + " granted");
        }

        @Override
        public void ahead(int ahead) {
            log.add(name + " " + ahead + " ahead");
        }
    }

    @Test
    void slotsAreGrantedAtOnceUpToTheMaximumThenWaitersQueueInOrder() {
        List<String> log = new ArrayList<>();
        UploadSlots s = new UploadSlots(2, 3);
        assertInstanceOf(UploadSlots.Granted.class, s.acquire(new Heard("a", log)));
        assertInstanceOf(UploadSlots.Granted.class, s.acquire(new Heard("b", log)));
        UploadSlots.Queued c = assertInstanceOf(UploadSlots.Queued.class, s.acquire(new Heard("c", log)));
        UploadSlots.Queued d = assertInstanceOf(UploadSlots.Queued.class, s.acquire(new Heard("d", log)));
        assertEquals(0, c.ahead());
        assertEquals(1, d.ahead());
        assertEquals(2, s.inUse());
        assertEquals(2, s.waiting());

        s.release(); // a's slot goes to c, d moves up
        assertEquals(List.of("c granted", "d 0 ahead"), log);
        assertEquals(2, s.inUse());
        assertEquals(1, s.waiting());
        s.release();
        s.release();
        assertEquals(List.of("c granted", "d 0 ahead", "d granted"), log);
        assertEquals(1, s.inUse());
        assertEquals(2, s.queuedTotal());
    }

    @Test
    void aNewcomerNeverOvertakesTheQueue() {
        List<String> log = new ArrayList<>();
        UploadSlots s = new UploadSlots(1, 5);
        s.acquire(new Heard("a", log));
        s.acquire(new Heard("b", log));
        s.release(); // b granted: the slot passed on, never free
        assertInstanceOf(UploadSlots.Queued.class, s.acquire(new Heard("c", log)));
        assertEquals(List.of("b granted"), log);
    }

    @Test
    void overTheQueueBoundTheUploadIsRefused() {
        UploadSlots s = new UploadSlots(1, 1);
        List<String> log = new ArrayList<>();
        s.acquire(new Heard("a", log));
        s.acquire(new Heard("b", log));
        UploadSlots.Refused r = assertInstanceOf(UploadSlots.Refused.class, s.acquire(new Heard("c", log)));
        assertEquals(1, r.inUse());
        assertEquals(1, r.waiting());
        assertEquals(1, s.refusedTotal());
        UploadSlots noQueue = new UploadSlots(1, 0); // --upload-queue 0: refused at once, as before queues
        noQueue.acquire(new Heard("x", log));
        assertInstanceOf(UploadSlots.Refused.class, noQueue.acquire(new Heard("y", log)));
    }

    @Test
    void aCancelledWaiterLeavesTheQueueAndThoseBehindMoveUp() {
        List<String> log = new ArrayList<>();
        UploadSlots s = new UploadSlots(1, 5);
        s.acquire(new Heard("a", log));
        UploadSlots.Queued b = (UploadSlots.Queued) s.acquire(new Heard("b", log));
        s.acquire(new Heard("c", log));
        assertTrue(s.cancel(b, true));
        assertEquals(List.of("c 0 ahead"), log);
        assertEquals(1, s.timedOutTotal());
        assertFalse(s.cancel(b, true), "cancelled twice");
        s.release();
        assertEquals(List.of("c 0 ahead", "c granted"), log);
    }

    @Test
    void aWaiterGrantedBeforeItsCancelKeepsTheSlot() {
        List<String> log = new ArrayList<>();
        UploadSlots s = new UploadSlots(1, 5);
        s.acquire(new Heard("a", log));
        UploadSlots.Queued b = (UploadSlots.Queued) s.acquire(new Heard("b", log));
        s.release();
        assertFalse(s.cancel(b, false), "b holds the slot now and must release it itself");
        assertEquals(1, s.inUse());
        s.release();
        assertEquals(0, s.inUse());
        assertThrows(IllegalStateException.class, s::release);
    }
}
