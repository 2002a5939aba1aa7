package io.ckpt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.config.UploadPolicy;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.agent.upload.PartSource;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads spooled checkpoints, oldest first, one at a time. A server that cannot be reached (or
 * is busy, or out of space) is retried with backoff and the entry stays spooled, so nothing is
 * lost and order is kept; every upload carries the entry's key, so a retry after a lost
 * acknowledgement does not store the checkpoint twice. An entry the server refuses as invalid is
 * dropped and recorded as failed. An entry is on the wire at most once at a time: each upload
 * claims it in the spool first (Spool#claim), and a claimed entry is neither picked again nor
 * dropped by the spool limits.
 */
final class Uploader implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Uploader.class);

    private final Spool spool;
    private final AgentState state;
    private final Supplier<Settings> settings;
    private final Object wake = new Object();
    private volatile boolean closed;
    /** Spool sequence numbers of entries whose claim a failed {@link #uploadNow} left to its caller. */
    private final java.util.Set<Long> claimsLeft = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Server ids of entries uploaded recently, by spool key (for {@link #uploadNow} when the thread was first). */
    private final Map<String, Long> uploadedIds = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > 64;
        }
    });

    /** Where to upload and how to retry; read again before each upload, so a reload takes effect. */
    record Settings(String server, String hostId, UploadPolicy policy, io.ckpt.agent.config.ServerAuth auth) {}

    Uploader(Spool spool, AgentState state, Supplier<Settings> settings) {
        this.spool = spool;
        this.state = state;
        this.settings = settings;
    }

    /** A new entry is in the spool. */
    void poke() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    void close() {
        closed = true;
        poke();
    }

    /**
     * The background loop. No lock is held across a sleep (issue 20, defect 3): each upload claims
     * its one entry in the spool ({@link Spool#claim}) for as long as it is on the wire, and the
     * backoff after a failure is taken with no claim held, so {@link #uploadNow} for a final
     * checkpoint never waits for this thread's backoff, nor for its upload of another entry.
     */
    @Override
    public void run() {
        int failures = 0;
        while (!closed) {
            try {
                SpoolEntry next = null;
                for (SpoolEntry x : spool.entries()) {
                    if (!spool.claimed(x)) {
                        next = x; // oldest first, skipping one that uploadNow sends now
                        break;
                    }
                }
                if (next == null) {
                    failures = 0;
                    sleep(Duration.ofMinutes(1));
                    continue;
                }
                Settings s = settings.get();
                try {
                    upload(next, s); // false: removed or claimed meanwhile; look again
                    failures = 0;
                    continue;
                } catch (IOException e) {
                    if (!retryable(e)) {
                        log.error("checkpoint of WPAR {} taken at {} refused by the server, dropped from the spool: {}",
                                next.wpar(), Instant.ofEpochMilli(next.takenAtMillis()), e.getMessage());
                        state.record(new RunRecord(next.wpar(), Instant.ofEpochMilli(next.takenAtMillis()), 0, RunRecord.FAILED,
                                0, 0, next.health(), "upload refused: " + e.getMessage()));
                        spool.remove(next);
                        continue;
                    }
                    failures++;
                    Duration wait = s.policy().backoffBefore(Math.min(failures, 30));
                    if (failures == s.policy().retries() + 1) {
                        log.warn("server {} unreachable after {} tries ({}); {} checkpoint(s) stay spooled, retrying every {} s",
                                s.server(), failures, e.getMessage(), spool.entries().size(), s.policy().maxBackoff().toSeconds());
                    } else if (failures <= s.policy().retries()) {
                        log.info("upload of WPAR {} failed ({}), retry {} in {} s", next.wpar(), e.getMessage(),
                                failures, wait.toSeconds());
                    }
                    sleep(failures > s.policy().retries() ? s.policy().maxBackoff() : wait); // no claim held here
                }
            } catch (IOException | RuntimeException e) {
                log.error("spool: {}", e.getMessage());
                log.debug("spool failure", e);
                sleep(Duration.ofSeconds(5));
            }
        }
    }

    /**
     * Uploads {@code e} now, ahead of older entries (a final checkpoint during a relocation), and
     * returns its checkpoint id. It waits for nothing but an upload of this same entry already on
     * the wire (the thread may have picked it first); then it takes that upload's id, or tries
     * itself if that upload failed. Failures are thrown, not retried: the caller is waiting.
     */
    long uploadNow(SpoolEntry e) throws IOException {
        try {
            while (true) {
                if (spool.claim(e)) {
                    try {
                        send(e, settings.get());
                    } catch (IOException failed) {
                        // The claim stays, left to the caller (takeClaimLeftBy): the background thread, woken below, must
                        // not take the entry before the caller has decided what to do with it (StrandedFinal restarts the
                        // WPAR from it).
                        claimsLeft.add(e.seq());
                        throw failed;
                    } catch (RuntimeException failed) {
                        spool.release(e);
                        throw failed;
                    }
                    spool.release(e);
                    return uploadedIds.get(e.key());
                }
                if (spool.claimed(e)) {
                    spool.awaitRelease(e); // the thread sends it right now: wait for that one upload
                    continue;
                }
                Long id = uploadedIds.get(e.key());
                if (id == null) {
                    throw new IOException("checkpoint of WPAR " + e.wpar() + " taken at "
                            + Instant.ofEpochMilli(e.takenAtMillis()) + " left the spool without an upload");
                }
                return id;
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("upload of the final checkpoint of WPAR " + e.wpar() + " interrupted");
        } finally {
            poke();
        }
    }

    /**
     * Whether {@link #uploadNow}'s own upload of {@code e} failed and left the entry's claim to the
     * caller, who must then {@link Spool#release} it once done with it. Answered once.
     */
    boolean takeClaimLeftBy(SpoolEntry e) {
        return claimsLeft.remove(e.seq());
    }

    /** Uploads {@code e} if it can still be claimed (not removed, not on the wire elsewhere); false if not. */
    private boolean upload(SpoolEntry e, Settings s) throws IOException {
        if (!spool.claim(e)) {
            return false;
        }
        try {
            send(e, s);
            return true;
        } finally {
            spool.release(e);
        }
    }

    private void send(SpoolEntry e, Settings s) throws IOException {
        long start = System.nanoTime();
        List<PartSource> parts = PartSource.scan(e.parts(), "", p -> log.warn("spool entry {}: skipping {}", e.dir(), p));
        AtomicLong sent = new AtomicLong();
        JsonNode result;
        try (CkptClient c = CkptClient.connect(s.server(), s.hostId(), s.auth().credentials())) {
            c.rateLimit(s.policy().rateLimit().bytesPerSecond());
            boolean[] told = {false};
            c.onUploadWait(ahead -> {
                if (!told[0]) {
                    log.info("upload of WPAR {} waits for an upload slot on the server ({} ahead)", e.wpar(), ahead);
                    told[0] = true;
                } else {
                    log.debug("upload of WPAR {} still waits for an upload slot ({} ahead)", e.wpar(), ahead);
                }
            });
            result = CheckpointSender.send(c, new Frame.UploadBegin(e.wpar(), e.takenAtMillis(), e.kind(),
                    Frame.UploadBegin.MODE_STREAM, e.labels(), e.key(), e.health(), e.healthReason()),
                    parts.stream().map(CheckpointSender.Part::of).toList(), sent::addAndGet,
                    CheckpointSender.Mode.parse(s.policy().modeFor(true)), log::info);
        }
        long id = result.path("id").asLong();
        long ms = (System.nanoTime() - start) / 1_000_000;
        uploadedIds.put(e.key(), id);
        spool.remove(e);
        state.record(new RunRecord(e.wpar(), Instant.ofEpochMilli(e.takenAtMillis()), ms, RunRecord.UPLOADED, id,
                sent.get(), e.health(), ""));
        log.info("WPAR {} checkpoint {} uploaded: {} bytes sent, {} new stored, health {}, {} ms{}", e.wpar(), id, sent.get(),
                result.path("stored_bytes").asLong(), e.health(), ms,
                result.path("duplicate").asBoolean(false) ? " (already on the server: acknowledged again)" : "");
    }

    /**
     * Whether trying the same upload again later can succeed. Only a request the server finds
     * invalid (a bad name, say) or an entry whose files are gone is given up; a version mismatch,
     * a refusal or data damaged in transit are for the operator to fix or for the next try, and
     * must not empty the spool.
     */
    static boolean retryable(IOException e) {
        if (e instanceof ClientException c) {
            // FENCED: this host lost the WPAR to another; its checkpoints must never be written there.
            // REFUSED and UNAUTHORIZED (a role or scope that does not cover the WPAR, a missing or revoked
            // token) are kept and retried: the operator fixes the credential or placement and the spool drains.
            return c.isUnreachable() || (c.code() != ErrorCode.BAD_REQUEST && c.code() != ErrorCode.FENCED);
        }
        return !(e instanceof java.nio.file.NoSuchFileException);
    }

    private void sleep(Duration d) {
        synchronized (wake) {
            if (closed) {
                return;
            }
            try {
                wake.wait(Math.max(1, d.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            }
        }
    }
}
