package io.ckpt.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.audit.AuditEvents;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.WparDao;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failover watchdog: once a second, when the placement asks for automatic failover, a WPAR
 * owner whose agent was seen and then fell silent past the lease has its WPARs failed over to
 * their last known good checkpoints ({@link Mover#failover}). A WPAR whose state on some host is
 * unknown is never moved automatically: it is logged once, for an operator's {@code --force}.
 */
final class AutomaticFailover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Mover.class);

    private final Mover mover;
    private final Catalog catalog;
    private final Hosts hosts;
    private final Supplier<Placement> placement;
    private final UnknownStates unknown;
    private final AuditEvents audit; // null: not audited (tests)
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "failover-watchdog");
        t.setDaemon(true);
        return t;
    });

    AutomaticFailover(Mover mover, Catalog catalog, Hosts hosts, Supplier<Placement> placement, UnknownStates unknown,
            AuditEvents audit) {
        this.mover = mover;
        this.catalog = catalog;
        this.hosts = hosts;
        this.placement = placement;
        this.unknown = unknown;
        this.audit = audit;
    }

    void start() {
        watchdog.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        Placement p = placement.get();
        if (!p.automaticFailover()) {
            return;
        }
        try {
            for (WparDao.Owner o : catalog.read(h -> h.attach(WparDao.class).owners())) {
                String host = o.ownerHost();
                if (host == null || hosts.isLive(host) || !hosts.wasSeen(host)) {
                    continue;
                }
                UnknownStates.Unknown u = unknown.get(o.name()).orElse(null);
                if (u != null) {
                    if (unknown.firstWarning(o.name())) {
                        log.error("host {} is silent, but WPAR {} is not failed over automatically: its state on {} is unknown"
                                + " ({}); check it, then 'ckpt failover --from {} --force'", host, o.name(), u.host(), u.reason(), host);
                    }
                    continue;
                }
                log.warn("host {} silent for more than {} s: failing over its WPARs", host, p.lease().toSeconds());
                ObjectNode r;
                try {
                    r = mover.failover(host, null, "lkg", false, Mover.DEFAULT_STEP_TIMEOUT);
                } catch (IOException | RuntimeException e) {
                    if (audit != null) {
                        audit.automaticFailover(host, null, e.getMessage());
                    }
                    throw e;
                }
                log.warn("automatic failover from {}: {}", host, r);
                if (audit != null) {
                    audit.automaticFailover(host, r, null);
                }
                return; // owners changed: look again on the next tick
            }
        } catch (IOException | RuntimeException e) {
            log.error("automatic failover check failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
