package io.ckpt.ingest;

import io.ckpt.catalog.UploadFence.UploadEpoch;
import io.ckpt.catalog.UploadFence;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uploads in progress, by WPAR, each with the owner and epoch it began under, so that moving a
 * WPAR ({@code control.Ownership.claim}, {@code transfer}: take-over, failover, relocation,
 * rebalance) ends the old owner's uploads of it at once: each is told FENCED and discarded.
 *
 * <p>This registry only ends fenced uploads early; it is not what keeps them out of history. The
 * check that does is in the commit transaction ({@link UploadFence#checkCommit}): a checkpoint
 * becomes complete only if, in the committing transaction, its uploader is the WPAR's owner at
 * the epoch it began under. A move this registry does not hear of (an {@code Ownership} built
 * without it; a host's first upload claiming a WPAR while a client without a host id uploads to
 * it, a claim made inside {@code IngestSession.begin}) costs only the bytes uploaded until that
 * commit is refused. An upload registered a moment after a move it began before is not missed:
 * {@link #moved} remembers each WPAR's newest epoch and {@link #open} ends at once an upload
 * begun under an older one.
 *
 * <p>Thread-safe: sessions open and close on ingest workers, moves arrive on request threads.
 * Callbacks run outside the lock, on the thread that reported the move (or opened the upload).
 */
public final class OpenUploads {
    private static final Logger log = LoggerFactory.getLogger(OpenUploads.class);
    private final Map<String, Set<Entry>> byWpar = new HashMap<>();
    /** The newest move reported for each WPAR: an upload begun under an older epoch is fenced. */
    private final Map<String, Moved> newest = new HashMap<>();

    private record Moved(String owner, long epoch) {}

    /** One open upload: close it when the upload ends (committed, aborted or failed). */
    public final class Entry implements AutoCloseable {
        private final long checkpointId;
        private final UploadEpoch began;
        private final Consumer<String> onFenced;

        private Entry(long checkpointId, UploadEpoch began, Consumer<String> onFenced) {
            this.checkpointId = checkpointId;
            this.began = began;
            this.onFenced = onFenced;
        }

        @Override
        public void close() {
            synchronized (OpenUploads.this) {
                Set<Entry> open = byWpar.get(began.wpar());
                if (open != null && open.remove(this) && open.isEmpty()) {
                    byWpar.remove(began.wpar());
                }
            }
        }
    }

    /**
     * Registers the upload of checkpoint {@code checkpointId}, begun under {@code began}; {@code
     * onFenced} hears why, once, if its WPAR moves before the entry is closed (at once, when it
     * already has).
     */
    public Entry open(long checkpointId, UploadEpoch began, Consumer<String> onFenced) {
        Entry e = new Entry(checkpointId, began, onFenced);
        Moved m;
        synchronized (this) {
            m = newest.get(began.wpar());
            if (m == null || m.epoch() <= began.epoch()) {
                byWpar.computeIfAbsent(began.wpar(), w -> new LinkedHashSet<>()).add(e);
                return e;
            }
        }
        tell(e, m.owner(), m.epoch());
        return e;
    }

    /**
     * Called by {@code control.Ownership} after the transaction that gave {@code wpar} to {@code owner} at
     * {@code epoch} committed: every upload of it begun under an older epoch is ended (told
     * FENCED) and forgotten here. Returns how many.
     */
    public int moved(String wpar, String owner, long epoch) {
        List<Entry> fenced = new ArrayList<>();
        synchronized (this) {
            newest.merge(wpar, new Moved(owner, epoch), (old, now) -> old.epoch() >= now.epoch() ? old : now);
            Set<Entry> open = byWpar.get(wpar);
            if (open != null) {
                open.removeIf(e -> {
                    if (e.began.epoch() < epoch) {
                        fenced.add(e);
                        return true;
                    }
                    return false;
                });
                if (open.isEmpty()) {
                    byWpar.remove(wpar);
                }
            }
        }
        for (Entry e : fenced) {
            tell(e, owner, epoch);
        }
        return fenced.size();
    }

    /**
     * The move is committed whatever a callback does (a worker shutting down with the server, say):
     * it is logged, never thrown at the mover; the commit check still refuses that upload.
     */
    private static void tell(Entry e, String owner, long epoch) {
        String why = message(e, owner, epoch);
        try {
            e.onFenced.accept(why);
        } catch (RuntimeException ex) {
            log.warn("{}: could not end it early ({}); its commit will be refused", why, ex.toString());
        }
    }

    /** How many uploads of {@code wpar} are registered. */
    public synchronized int count(String wpar) {
        Set<Entry> open = byWpar.get(wpar);
        return open == null ? 0 : open.size();
    }

    private static String message(Entry e, String owner, long epoch) {
        UploadEpoch b = e.began;
        return "upload of checkpoint " + e.checkpointId + " of WPAR " + b.wpar() + " by " + b.who()
                + " fenced: the WPAR moved to " + owner + " at epoch " + epoch + " while it ran (begun under epoch "
                + b.epoch() + "); the upload is discarded";
    }
}
