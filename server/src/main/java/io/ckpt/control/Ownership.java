package io.ckpt.control;

import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.WparDao;
import io.ckpt.ingest.IngestException;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.store.Journal;
import java.io.IOException;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Which host owns each WPAR, and its ownership epoch: the fence that keeps a host that was cut
 * off from overwriting history or starting a second copy once the WPAR has moved.
 *
 * <p>The first host to upload a WPAR's checkpoint claims it (epoch 1). Ownership then moves only
 * by an explicit act: a relocation or failover, or {@code ckpt restore --start --take-over} on
 * another host, each raising the epoch by one. Uploads from any other host are refused. Every
 * change is journaled (before the catalog), so {@code rebuild-catalog} keeps it.
 */
public final class Ownership {
    private final Catalog catalog;
    private final Journal journal;

    public Ownership(Catalog catalog, Journal journal) {
        this.catalog = catalog;
        this.journal = journal;
    }

    /** The result of a claim or transfer. */
    public record Owner(String wpar, String host, long epoch, String previousHost, boolean changed) {}

    /** The current owner, if any host has claimed the WPAR. */
    public Optional<WparDao.Owner> owner(String wpar) throws IOException {
        return catalog.read(h -> h.attach(WparDao.class).owner(wpar));
    }

    /**
     * Called inside the catalog transaction that registers an upload: an unowned WPAR is claimed
     * by the uploading host, one owned by another host refuses the upload. An empty host (an
     * anonymous client) claims nothing and may upload only to an unowned WPAR.
     */
    public static void checkUpload(Handle h, Journal journal, String wpar, String host, long now) throws IOException {
        WparDao dao = h.attach(WparDao.class);
        WparDao.Owner o = dao.owner(wpar).orElseThrow();
        if (o.ownerHost() == null) {
            if (!host.isEmpty()) {
                long epoch = o.epoch() + 1;
                journal.append(Journal.owner(wpar, host, epoch, now));
                dao.setOwner(host, epoch, wpar);
            }
            return;
        }
        if (!o.ownerHost().equals(host)) {
            throw new IngestException(ErrorCode.FENCED, fenced(wpar, o, host.isEmpty() ? "an unnamed client" : "host " + host,
                    "may not upload to it"));
        }
    }

    /**
     * Makes {@code host} the owner. Free when nobody owns the WPAR or {@code host} already does;
     * from another host only with {@code takeOver} (the caller decided the other host is down
     * or stopped the WPAR there). Raises the epoch whenever the owner changes.
     */
    public Owner claim(String wpar, String host, boolean takeOver) throws IOException {
        if (host == null || host.isEmpty()) {
            throw new IngestException(ErrorCode.BAD_REQUEST, "claim needs a host");
        }
        return catalog.write(h -> {
            WparDao dao = h.attach(WparDao.class);
            WparDao.Owner o = dao.owner(wpar).orElseThrow(() -> new io.ckpt.catalog.NotFoundException(
                    "unknown WPAR '" + wpar + "': no checkpoint was ever uploaded for it"));
            if (host.equals(o.ownerHost())) {
                return new Owner(wpar, host, o.epoch(), host, false);
            }
            if (o.ownerHost() != null && !takeOver) {
                throw new IngestException(ErrorCode.REFUSED, fenced(wpar, o, "host " + host,
                        "may not start it: refusing a second copy; if " + o.ownerHost()
                                + " is really down or has stopped it, take over (ckpt restore --start --take-over, or ckpt failover)"));
            }
            long epoch = o.epoch() + 1;
            journal.append(Journal.owner(wpar, host, epoch, System.currentTimeMillis()));
            dao.setOwner(host, epoch, wpar);
            return new Owner(wpar, host, epoch, o.ownerHost(), true);
        });
    }

    /** Moves ownership to {@code host} only if the epoch is still {@code expectedEpoch} (relocation, failover). */
    public Owner transfer(String wpar, String host, long expectedEpoch) throws IOException {
        return catalog.write(h -> {
            WparDao dao = h.attach(WparDao.class);
            WparDao.Owner o = dao.owner(wpar).orElseThrow(() -> new io.ckpt.catalog.NotFoundException(
                    "unknown WPAR '" + wpar + "'"));
            if (o.epoch() != expectedEpoch) {
                throw new IngestException(ErrorCode.CONFLICT, "WPAR " + wpar + " changed owner meanwhile (now "
                        + o.ownerHost() + ", epoch " + o.epoch() + ", expected epoch " + expectedEpoch + ")");
            }
            long epoch = o.epoch() + 1;
            journal.append(Journal.owner(wpar, host, epoch, System.currentTimeMillis()));
            dao.setOwner(host, epoch, wpar);
            return new Owner(wpar, host, epoch, o.ownerHost(), !host.equals(o.ownerHost()));
        });
    }

    /** Checks that {@code host} owns {@code wpar} at {@code epoch} (an agent about to start it). */
    public void confirm(String wpar, String host, long epoch) throws IOException {
        WparDao.Owner o = owner(wpar).orElseThrow(() -> new io.ckpt.catalog.NotFoundException("unknown WPAR '" + wpar + "'"));
        if (!host.equals(o.ownerHost()) || o.epoch() != epoch) {
            throw new IngestException(ErrorCode.FENCED, fenced(wpar, o, "host " + host + " (epoch " + epoch + ")",
                    "may not start it"));
        }
    }

    private static String fenced(String wpar, WparDao.Owner o, String who, String what) {
        return "WPAR " + wpar + " is owned by " + o.ownerHost() + " (epoch " + o.epoch() + "); " + who + " " + what
                + " (fenced: ownership moved by a relocation, failover or take-over)";
    }
}
