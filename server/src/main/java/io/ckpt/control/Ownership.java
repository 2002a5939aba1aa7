package io.ckpt.control;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.NotFoundException;
import io.ckpt.catalog.UploadFence;
import io.ckpt.catalog.WparDao;
import io.ckpt.ingest.OpenUploads;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.util.Optional;

/**
 * Which host owns each WPAR, and its ownership epoch: the fence that keeps a host that was cut
 * off from overwriting history or starting a second copy once the WPAR has moved.
 *
 * <p>The first host to upload a WPAR's checkpoint claims it (epoch 1), inside the transaction that
 * registers the upload ({@link UploadFence#checkUpload}). Ownership then moves only
 * by an explicit act: a relocation or failover, or {@code ckpt restore --start --take-over} on
 * another host, each raising the epoch by one. Uploads from any other host are refused. Every
 * change is journaled (before the catalog), so {@code rebuild-catalog} keeps it.
 *
 * <p>Fencing invariant (docs/ARCHITECTURE.md, docs/RELOCATION.md): <em>a checkpoint becomes
 * complete only if, in the committing transaction, its uploader is the WPAR's owner at the epoch
 * it began under</em>. {@link UploadFence#checkUpload} records that epoch in the transaction that
 * registers an upload and {@link UploadFence#checkCommit} compares in the one that completes it:
 * those checks live in the catalog, under ingest, so that ingest does not call up into control.
 * It holds under concurrency because every catalog write, the commit's and a move's alike, runs
 * alone under the catalog's write lock: a move commits either before the commit transaction
 * (which then reads the new epoch and refuses) or after it (the checkpoint was committed by the
 * owner of the time, as any earlier checkpoint was). It holds across kill -9 because the check
 * and {@code state='complete'} are one SQLite transaction: neither or both survive, and recovery
 * removes a checkpoint that is not complete. A move then ends the old owner's uploads at once
 * ({@link OpenUploads}), which only saves their bytes; safety does not depend on it.
 */
public final class Ownership {
    private final Catalog catalog;
    private final Journal journal;
    private final OpenUploads uploads;

    /** With a registry of its own: nothing is ended early, commits are still fenced. */
    public Ownership(Catalog catalog, Journal journal) {
        this(catalog, journal, new OpenUploads());
    }

    /** Moves reported to {@code uploads}, which ends the old owner's uploads of the WPAR (FENCED). */
    public Ownership(Catalog catalog, Journal journal, OpenUploads uploads) {
        this.catalog = catalog;
        this.journal = journal;
        this.uploads = uploads;
    }

    /** The result of a claim or transfer. */
    public record Owner(String wpar, String host, long epoch, String previousHost, boolean changed) {}

    /** The current owner, if any host has claimed the WPAR. */
    public Optional<WparDao.Owner> owner(String wpar) throws IOException {
        return catalog.read(h -> h.attach(WparDao.class).owner(wpar));
    }

    /**
     * Makes {@code host} the owner. Free when nobody owns the WPAR or {@code host} already does;
     * from another host only with {@code takeOver} (the caller decided the other host is down
     * or stopped the WPAR there). Raises the epoch whenever the owner changes.
     */
    public Owner claim(String wpar, String host, boolean takeOver) throws IOException {
        if (host == null || host.isEmpty()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "claim needs a host");
        }
        return reported(catalog.write(h -> {
            WparDao dao = h.attach(WparDao.class);
            WparDao.Owner o = dao.owner(wpar).orElseThrow(() -> new NotFoundException(
                    "unknown WPAR '" + wpar + "': no checkpoint was ever uploaded for it"));
            if (host.equals(o.ownerHost())) {
                return new Owner(wpar, host, o.epoch(), host, false);
            }
            if (o.ownerHost() != null && !takeOver) {
                throw new RequestRefusedException(ErrorCode.REFUSED, UploadFence.fenced(wpar, o, "host " + host,
                        "may not start it: refusing a second copy; if " + o.ownerHost()
                                + " is really down or has stopped it, take over (ckpt restore --start --take-over, or ckpt failover)"));
            }
            long epoch = o.epoch() + 1;
            journal.append(Journal.owner(wpar, host, epoch, System.currentTimeMillis()));
            dao.setOwner(host, epoch, wpar);
            return new Owner(wpar, host, epoch, o.ownerHost(), true);
        }));
    }

    /** Moves ownership to {@code host} only if the epoch is still {@code expectedEpoch} (relocation, failover). */
    public Owner transfer(String wpar, String host, long expectedEpoch) throws IOException {
        return reported(catalog.write(h -> {
            WparDao dao = h.attach(WparDao.class);
            WparDao.Owner o = dao.owner(wpar).orElseThrow(() -> new NotFoundException(
                    "unknown WPAR '" + wpar + "'"));
            if (o.epoch() != expectedEpoch) {
                throw new RequestRefusedException(ErrorCode.CONFLICT, "WPAR " + wpar + " changed owner meanwhile (now "
                        + o.ownerHost() + ", epoch " + o.epoch() + ", expected epoch " + expectedEpoch + ")");
            }
            long epoch = o.epoch() + 1;
            journal.append(Journal.owner(wpar, host, epoch, System.currentTimeMillis()));
            dao.setOwner(host, epoch, wpar);
            return new Owner(wpar, host, epoch, o.ownerHost(), !host.equals(o.ownerHost()));
        }));
    }

    /**
     * After the move's transaction committed (never inside it: a move rolled back ends nothing),
     * ends the uploads of the WPAR begun under an older epoch (none when the claim changed
     * nothing). A transfer raises the epoch even to the same host, so an upload begun before a move
     * away and back is ended too, as its commit would be refused.
     */
    private Owner reported(Owner o) {
        uploads.moved(o.wpar(), o.host(), o.epoch());
        return o;
    }

    /** Checks that {@code host} owns {@code wpar} at {@code epoch} (an agent about to start it). */
    public void confirm(String wpar, String host, long epoch) throws IOException {
        WparDao.Owner o = owner(wpar).orElseThrow(() -> new NotFoundException("unknown WPAR '" + wpar + "'"));
        if (!host.equals(o.ownerHost()) || o.epoch() != epoch) {
            throw new RequestRefusedException(ErrorCode.FENCED, UploadFence.fenced(wpar, o, "host " + host + " (epoch " + epoch + ")",
                    "may not start it"));
        }
    }
}
