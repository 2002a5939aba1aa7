package io.ckpt.server.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.audit.Actor;
import io.ckpt.audit.AuditEvents;
import io.ckpt.audit.AuditLog;
import io.ckpt.audit.AuditReader;
import io.ckpt.catalog.Catalog;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.jobs.Jobs;
import io.ckpt.control.Ownership;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Access;
import io.ckpt.security.Access.Rule;
import io.ckpt.security.Principal;
import io.ckpt.security.Role;
import io.ckpt.store.Journal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request table declares every op once, with a rule, and the dispatcher runs nothing that is
 * not declared or that its rule refuses.
 */
class RequestOpsTest {
    @TempDir
    Path dir;

    @Test
    void everyOpIsDeclaredExactlyOnceAndATableThatDeclaresOneTwiceIsRefused() {
        List<String> names = Requests.all().stream().map(Requests.Op::name).toList();
        assertEquals(names.size(), new HashSet<>(names).size(), "an op declared twice: " + names);
        for (Requests.Op op : Requests.all()) {
            assertNotNull(op.rule(), op.name());
            assertNotNull(op.handler(), op.name());
            assertEquals(op, Requests.find(op.name()).orElseThrow());
        }
        Requests.Op list = Requests.find("list").orElseThrow();
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> Requests.table(list, list));
        assertTrue(twice.getMessage().contains("'list' is declared twice"), twice.getMessage());
    }

    @Test
    void noOpOnTheEventLoopHasARuleThatReadsTheCatalog() {
        for (Requests.Op op : Requests.all()) {
            if (op.runs() == Requests.Runs.EVENT_LOOP) {
                assertFalse(op.rule().readsCatalog(), op.name());
            }
        }
        Requests.Op show = Requests.find("show").orElseThrow();
        assertThrows(IllegalStateException.class, () -> Requests.table(
                new Requests.Op("show", show.rule(), Requests.Runs.EVENT_LOOP, show.audit(), show.handler())));
    }

    @Test
    void credentialAndMoveOpsAreAdminOnly() {
        for (String op : List.of("host_add", "host_list", "host_revoke", "relocate", "failover", "rebalance", "prune", "gc",
                "verify", "audit", "protect")) {
            assertEquals(Access.Need.ADMIN, Requests.find(op).orElseThrow().rule().need(), op);
        }
    }

    @Test
    void anUndeclaredOpOrAnythingButJsonIsABadRequestAndReachesNoHandler() {
        RequestDispatcher d = new RequestDispatcher(services(null, null, null, null)); // a handler run would throw
        for (String json : List.of("{\"op\":\"drop_everything\"}", "{\"op\":\"list\"", "[1]", "")) {
            Recorder c = new Recorder(Principal.local("anyone"));
            d.dispatch(c, json);
            assertEquals(1, c.errors.size(), json);
            assertEquals(ErrorCode.BAD_REQUEST, ErrorCodes.codeOf(c.errors.get(0)), json + ": " + c.errors.get(0));
            assertTrue(c.answers.isEmpty(), json);
        }
    }

    @Test
    void anOpItsRuleRefusesReachesNoHandler() throws Exception {
        try (Catalog catalog = Catalog.open(dir.resolve("catalog.db"), "ds-1"); AuditLog audit = AuditLog.open(dir)) {
            RequestDispatcher d = new RequestDispatcher(services(catalog, null, audit, null)); // no queries: a handler run would throw
            Principal host = new Principal("node1", Role.HOST, "default", true);
            for (String op : List.of("prune", "host_list", "protect")) {
                Recorder c = new Recorder(host);
                d.dispatch(c, "{\"op\":\"" + op + "\",\"id\":1}");
                assertEquals(ErrorCode.REFUSED, ErrorCodes.codeOf(c.errors.get(0)), op + ": " + c.errors);
            }
            Recorder viewer = new Recorder(new Principal("viewer", Role.READ_ONLY, "default", true));
            d.dispatch(viewer, "{\"op\":\"fetch\",\"id\":1,\"part\":0,\"ranges\":[]}");
            assertNull(viewer.fetched, "a fetch the rule refuses streams nothing");
            JsonNode events = audit.query(AuditReader.Filter.of(CatalogQueries.parse("{\"action\":\"prune\"}")));
            assertEquals("refused", events.path("events").path(0).path("outcome").asText(), "the refusal is audited: " + events);
        }
    }

    /**
     * Every op the catalog queries answer is one their handler knows: dispatched on an empty
     * catalog, none is answered "unknown request op" (the control and credential handlers are not
     * built here, so their ops fail otherwise, never with that answer either).
     */
    @Test
    void everyDeclaredOpReachesAHandlerThatKnowsIt() throws Exception {
        try (Catalog catalog = Catalog.open(dir.resolve("catalog.db"), "ds-1"); AuditLog audit = AuditLog.open(dir)) {
            Journal journal = new Journal(dir.resolve("journal").resolve("catalog.journal"));
            CatalogQueries queries = new CatalogQueries(catalog, journal);
            RequestDispatcher d = new RequestDispatcher(services(catalog, queries, audit, journal));
            Set<String> answered = new HashSet<>();
            for (Requests.Op op : Requests.all()) {
                Recorder c = new Recorder(Principal.local("anyone"));
                d.dispatch(c, "{\"op\":\"" + op.name() + "\",\"dry_run\":true}");
                for (Throwable t : c.errors) {
                    assertFalse(String.valueOf(t.getMessage()).contains("unknown"), op.name() + ": " + t);
                }
                if (!c.answers.isEmpty() || c.fetched != null || c.notices) {
                    answered.add(op.name());
                }
            }
            assertTrue(answered.containsAll(Set.of("list", "alerts", "load", "upload_notices", "fetch", "restore", "audit")), answered::toString);
        }
    }

    private static RequestServices services(Catalog catalog, CatalogQueries queries, AuditLog audit, Journal journal) {
        return new RequestServices(new Access(catalog, () -> null), queries,
                queries == null ? null : new MaintenanceRequests(null, null, null, new Jobs()),
                queries == null ? null : new OwnershipRequests(new Ownership(catalog, journal)), null, null, null,
                audit == null ? null : new AuditEvents(audit),
                () -> "{\"load\":0}", name -> 0, Runnable::run, Runnable::run);
    }

    /** A connection that records what it was answered. */
    private static final class Recorder implements Caller {
        final Principal principal;
        final List<String> answers = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();
        JsonNode fetched;
        boolean notices;

        Recorder(Principal principal) {
            this.principal = principal;
        }

        @Override
        public Principal principal() {
            return principal;
        }

        @Override
        public String tenantSeen() {
            return null;
        }

        @Override
        public Actor actor() {
            return new Actor(principal.name(), principal.name(), "test");
        }

        @Override
        public String host() {
            return principal.name();
        }

        @Override
        public String peer() {
            return "test";
        }

        @Override
        public void respond(String json) {
            answers.add(json);
        }

        @Override
        public void refuse(Throwable t) {
            errors.add(t);
        }

        @Override
        public void wantUploadNotices() {
            notices = true;
        }

        @Override
        public void fetch(JsonNode request) {
            fetched = request;
        }

        @Override
        public void restore(JsonNode request) {
            fetched = request;
        }
    }
}
