package io.ckpt.it.durability;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What {@link CrashTortureTest} knows of the datastore: every upload it began, by the unique
 * label it gave it ({@code t<N>}), and how far each got as the client saw it; which checkpoints
 * it protected and which a prune it ran removed. The workers of a round update it concurrently;
 * every method is synchronized, and the checks after a restart (no worker running) judge the
 * server's listing against it.
 */
final class TortureModel {
    /** How far an upload got, as its client saw it. */
    enum State {
        /** Data still being sent: the commit was certainly not sent, so it must never be visible. */
        SENDING,
        /** All data sent, the commit may be on its way: after a kill it may be present or absent. */
        COMMITTING,
        /** UPLOAD_COMMITTED received: must be listed and restore bit for bit until a prune removes it. */
        COMMITTED,
        /** Removed by a prune whose answer the test received: must never be visible again. */
        REMOVED,
        /** Not there after a kill cut it off before its acknowledgement: out of the model. */
        GONE,
        /** Reported as damaged or lost once: out of the checks, so one fault is reported once. */
        DAMAGED
    }

    /** One upload; fields other than the identity are guarded by the model's lock. */
    static final class Entry {
        final String label;
        final String wpar;
        final boolean good;
        final String mode;
        final int round;
        State state = State.SENDING;
        long id = -1;
        String sha256;
        long bytes;
        boolean isProtected;
        boolean protectPending;

        Entry(String label, String wpar, boolean good, String mode, int round) {
            this.label = label;
            this.wpar = wpar;
            this.good = good;
            this.mode = mode;
            this.round = round;
        }

        @Override
        public String toString() {
            return "checkpoint " + (id < 0 ? "(id unknown)" : id) + " label " + label + " of WPAR " + wpar + " (" + mode
                    + " upload of round " + round + ", " + bytes + " bytes, " + state + ")";
        }
    }

    /** A prune sent and not answered: which WPAR, and which checkpoints it may have removed. */
    record PendingPrune(String wpar, Set<String> protectedLabels) {}

    private final Map<String, Entry> byLabel = new LinkedHashMap<>();
    private final Map<Long, Entry> byId = new java.util.HashMap<>();
    /** Ids a prune removed before their upload's acknowledgement reached the client. */
    private final Set<Long> removedIds = new HashSet<>();
    private final Set<String> goodWpars = new HashSet<>();
    private PendingPrune pendingPrune;
    private int seq;

    synchronized Entry begin(String wpar, boolean good, String mode, int round) {
        Entry e = new Entry("t" + (++seq), wpar, good, mode, round);
        byLabel.put(e.label, e);
        return e;
    }

    synchronized void started(Entry e, long id) {
        e.id = id;
        byId.put(id, e);
    }

    synchronized void dataSent(Entry e, String sha256, long bytes) {
        e.sha256 = sha256;
        e.bytes = bytes;
        e.state = State.COMMITTING;
    }

    synchronized void committed(Entry e, long id) {
        started(e, id);
        e.state = removedIds.remove(id) ? State.REMOVED : State.COMMITTED;
        if (e.good) {
            goodWpars.add(e.wpar);
        }
    }

    /** The server refused the upload before its commit: it must not become visible. */
    synchronized void refused(Entry e) {
        if (e.state == State.SENDING) {
            e.state = State.GONE;
        }
    }

    synchronized Entry get(String label) {
        return byLabel.get(label);
    }

    synchronized List<Entry> all() {
        return new ArrayList<>(byLabel.values());
    }

    synchronized List<Entry> in(State s) {
        return byLabel.values().stream().filter(e -> e.state == s).toList();
    }

    /** A random committed checkpoint (of {@code wpar} if not null), or null. */
    synchronized Entry randomCommitted(SplittableRandom rnd, String wpar) {
        List<Entry> c = byLabel.values().stream()
                .filter(e -> e.state == State.COMMITTED && (wpar == null || e.wpar.equals(wpar))).toList();
        return c.isEmpty() ? null : c.get(rnd.nextInt(c.size()));
    }

    synchronized void set(Entry e, State s) {
        e.state = s;
    }

    synchronized void protectSent(Entry e) {
        e.protectPending = true;
    }

    synchronized void protectAcknowledged(Entry e) {
        e.protectPending = false;
        e.isProtected = true;
    }

    /** After a restart: a protect cut off by the kill landed or not; the listing says which. */
    synchronized void protectSettled(Entry e, boolean isProtected) {
        e.protectPending = false;
        e.isProtected = isProtected;
    }

    synchronized PendingPrune pruneSent(String wpar) {
        Set<String> prot = new HashSet<>();
        for (Entry e : byLabel.values()) {
            if (e.wpar.equals(wpar) && e.isProtected) {
                prot.add(e.label);
            }
        }
        pendingPrune = new PendingPrune(wpar, prot);
        return pendingPrune;
    }

    /**
     * The prune's answer: marks what it removed and returns the entries it must not have removed
     * (protected before the prune was sent).
     */
    synchronized List<Entry> pruneAnswered(PendingPrune p, List<Long> removed) {
        List<Entry> wrong = new ArrayList<>();
        for (long id : removed) {
            Entry e = byId.get(id);
            if (e == null || e.state == State.COMMITTING) {
                removedIds.add(id); // its acknowledgement is still on the way
                continue;
            }
            if (p.protectedLabels().contains(e.label)) {
                wrong.add(e);
            }
            e.state = State.REMOVED;
        }
        pendingPrune = null;
        return wrong;
    }

    /** The prune the kill cut off, if any; cleared by this call. */
    synchronized PendingPrune takePendingPrune() {
        PendingPrune p = pendingPrune;
        pendingPrune = null;
        return p;
    }

    synchronized void prunePendingCleared() {
        pendingPrune = null;
    }

    /** WPARs that had a good checkpoint acknowledged: each must always keep one (its last known good). */
    synchronized Set<String> goodWpars() {
        return new HashSet<>(goodWpars);
    }

    synchronized int count(State s) {
        return (int) byLabel.values().stream().filter(e -> e.state == s).count();
    }
}
