package io.ckpt.query;

import io.ckpt.catalog.CheckpointDao;
import io.ckpt.catalog.CheckpointRow;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * The catalog as a credential of one tenant sees it (docs/SECURITY.md, "Tenants"): only the
 * checkpoints that tenant uploaded, and only WPARs that have one. Another tenant's checkpoint is
 * absent, answered exactly as one that never existed. A null tenant sees everything (admin, an
 * open local server, the status page on loopback).
 *
 * <p>A checkpoint's tenant is written in the transaction that creates its row and never changes,
 * so a row found in one read and judged here in another cannot have changed tenant in between.
 */
record TenantView(String tenant) {
    boolean all() {
        return tenant == null;
    }

    /** Whether checkpoint {@code id} is this tenant's. */
    boolean sees(Handle h, long id) {
        return all() || h.attach(CheckpointDao.class).tenantOf(id).map(tenant::equals).orElse(false);
    }

    /** Whether WPAR {@code wpar} is visible: it has a checkpoint of this tenant, or none of any tenant. */
    boolean seesWpar(Handle h, String wpar) {
        CheckpointDao dao = h.attach(CheckpointDao.class);
        return all() || dao.hasTenant(wpar, tenant) || dao.listAll(wpar).isEmpty();
    }

    /** The rows of this tenant among {@code rows}, in their order. */
    List<CheckpointRow> filter(Handle h, List<CheckpointRow> rows) {
        if (all() || rows.isEmpty()) {
            return rows;
        }
        Set<Long> mine = new HashSet<>(h.attach(CheckpointDao.class).idsOf(tenant));
        return rows.stream().filter(r -> mine.contains(r.id())).toList();
    }
}
