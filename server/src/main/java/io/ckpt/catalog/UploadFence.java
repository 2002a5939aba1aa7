package io.ckpt.catalog;

import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.util.Objects;
import org.jdbi.v3.core.Handle;

/**
 * The upload half of the ownership fence, as checks on the {@code wpars} row run inside the
 * ingest transactions: {@link #checkUpload} in the one that registers an upload, {@link
 * #checkCommit} in the one that marks it complete. Moving a WPAR (claim, transfer) is {@code
 * io.ckpt.control.Ownership}'s; both read and write the same row under the catalog's write lock.
 *
 * <p>Fencing invariant (docs/ARCHITECTURE.md, docs/RELOCATION.md): <em>a checkpoint becomes
 * complete only if, in the committing transaction, its uploader is the WPAR's owner at the epoch
 * it began under</em>. It holds under concurrency because every catalog write, the commit's and a
 * move's alike, runs alone under the catalog's write lock: a move commits either before the
 * commit transaction (which then reads the new epoch and refuses) or after it (the checkpoint was
 * committed by the owner of the time). It holds across kill -9 because {@link #checkCommit} runs
 * in the transaction that sets {@code state='complete'}: neither or both survive, and recovery
 * removes a checkpoint that is not complete. The checks live here, under ingest and control
 * alike, so that ingest calls them without depending on the layer that moves WPARs.
 */
public final class UploadFence {
    private UploadFence() {}

    /**
     * What an upload began under: the uploading {@code host} ("" for an anonymous client), the
     * WPAR's {@code owner} then (null when nobody owned it) and its {@code epoch}. When the upload
     * itself claimed an unowned WPAR, this is the claim ({@code owner} = {@code host}, the new
     * epoch); an anonymous upload of an unowned WPAR began under "nobody at epoch N", so any claim
     * in the meantime, by a take-over or by another host's first upload, fences it.
     */
    public record UploadEpoch(String wpar, String host, String owner, long epoch) {
        /** The uploader, for messages. */
        public String who() {
            return host.isEmpty() ? "an unnamed client" : "host " + host;
        }
    }

    /**
     * Called inside the catalog transaction that registers an upload: an unowned WPAR is claimed
     * by the uploading host, one owned by another host refuses the upload. An empty host (an
     * anonymous client) claims nothing and may upload only to an unowned WPAR. Returns what the
     * upload began under, for {@link #checkCommit}.
     */
    public static UploadEpoch checkUpload(Handle h, Journal journal, String wpar, String host, long now) throws IOException {
        WparDao dao = h.attach(WparDao.class);
        WparDao.Owner o = dao.owner(wpar).orElseThrow();
        if (o.ownerHost() == null) {
            if (!host.isEmpty()) {
                long epoch = o.epoch() + 1;
                journal.append(Journal.owner(wpar, host, epoch, now));
                dao.setOwner(host, epoch, wpar);
                return new UploadEpoch(wpar, host, host, epoch);
            }
            return new UploadEpoch(wpar, host, null, o.epoch());
        }
        if (!o.ownerHost().equals(host)) {
            throw new RequestRefusedException(ErrorCode.FENCED, fenced(wpar, o, host.isEmpty() ? "an unnamed client" : "host " + host,
                    "may not upload to it"));
        }
        return new UploadEpoch(wpar, host, host, o.epoch());
    }

    /**
     * Called inside the transaction that marks checkpoint {@code checkpointId} complete: refuses
     * (FENCED) unless the WPAR's owner and epoch are still those the upload {@code began} under.
     * This is the fence; see the invariant in the class comment.
     */
    public static void checkCommit(Handle h, UploadEpoch began, long checkpointId) throws IOException {
        WparDao.Owner now = h.attach(WparDao.class).owner(began.wpar())
                .orElse(new WparDao.Owner(began.wpar(), null, -1));
        if (!Objects.equals(now.ownerHost(), began.owner()) || now.epoch() != began.epoch()) {
            throw new RequestRefusedException(ErrorCode.FENCED, "checkpoint " + checkpointId + " of WPAR " + began.wpar()
                    + " not committed: " + began.who() + " began it under epoch " + began.epoch() + " (owner "
                    + (began.owner() == null ? "none" : began.owner()) + "), the WPAR is now owned by "
                    + (now.ownerHost() == null ? "nobody" : now.ownerHost()) + " at epoch " + now.epoch()
                    + " (fenced: ownership moved by a relocation, failover or take-over during the upload);"
                    + " the upload is discarded");
        }
    }

    /** Why {@code who} may not do {@code what} to {@code wpar}, owned as {@code o} says. */
    public static String fenced(String wpar, WparDao.Owner o, String who, String what) {
        return "WPAR " + wpar + " is owned by " + o.ownerHost() + " (epoch " + o.epoch() + "); " + who + " " + what
                + " (fenced: ownership moved by a relocation, failover or take-over)";
    }
}
