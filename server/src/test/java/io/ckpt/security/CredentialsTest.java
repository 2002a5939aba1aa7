package io.ckpt.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.catalog.Catalog;
import io.ckpt.catalog.CredentialDao;
import io.ckpt.catalog.WparDao;
import io.ckpt.control.Placement;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.security.Access.Rule;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials in a real SQLite catalog, and the access rules that use them. */
class CredentialsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tokenAuthenticatesUntilRevokedAndOnlyItsHashIsStored(@TempDir Path dir) throws Exception {
        try (Catalog catalog = Catalog.open(dir.resolve("catalog.db"), "ds")) {
            Credentials creds = new Credentials(catalog);
            assertFalse(creds.any());
            Credentials.Added a = creds.add("node1", Role.HOST, null, null);
            assertEquals(new Principal("node1", Role.HOST, "default", true), creds.byToken(a.token()).orElseThrow());
            assertTrue(creds.byToken(Tokens.generate()).isEmpty(), "an unknown token");
            CredentialDao.Row row = creds.list().get(0);
            assertEquals(Tokens.hash(a.token()), row.tokenHash());
            assertFalse(catalog.read(h -> h.createQuery("SELECT * FROM credentials").mapToMap().list()).toString()
                    .contains(a.token().substring(5)), "the token itself is nowhere in the catalog");

            RequestRefusedException dup = assertThrows(RequestRefusedException.class, () -> creds.add("node1", Role.ADMIN, null, null));
            assertEquals(ErrorCode.CONFLICT, dup.code());

            assertTrue(creds.revoke("node1"));
            assertFalse(creds.revoke("node1"), "already revoked");
            assertTrue(creds.byToken(a.token()).isEmpty(), "revoked");
            assertTrue(new Credentials(catalog).byToken(a.token()).isEmpty(), "revoked also for a server started later");

            Credentials.Added again = creds.add("node1", Role.READ_ONLY, "t2", null);
            assertEquals(new Principal("node1", Role.READ_ONLY, "t2", true), creds.byToken(again.token()).orElseThrow());
            assertTrue(creds.byToken(a.token()).isEmpty(), "the old token stays dead");
            assertThrows(RequestRefusedException.class, () -> creds.add("bad name", Role.HOST, null, null));
        }
    }

    @Test
    void accessFollowsRoleOwnershipAndPlacement(@TempDir Path dir) throws Exception {
        try (Catalog catalog = Catalog.open(dir.resolve("catalog.db"), "ds")) {
            catalog.write(h -> {
                h.attach(WparDao.class).ensure("app1", 0);
                h.attach(WparDao.class).setOwner("node1", 1, "app1");
                h.attach(WparDao.class).ensure("db1", 0);
                h.attach(WparDao.class).setOwner("node1", 1, "db1");
                return null;
            });
            Placement placement = Placement.parse(JSON.readTree("[{\"match\": \"db*\", \"primary\": \"node1\", \"backup\": [\"node2\"]}]"),
                    JSON.missingNode());
            Access access = new Access(catalog, () -> placement);
            Principal node1 = new Principal("node1", Role.HOST, "default", true);
            Principal node2 = new Principal("node2", Role.HOST, "default", true);
            Principal viewer = new Principal("viewer", Role.READ_ONLY, "default", true);
            Principal admin = new Principal("admin", Role.ADMIN, "default", true);

            access.upload(node1, "app1");
            access.upload(node2, "brand-new"); // nobody owns it: the first upload claims it
            assertEquals(ErrorCode.REFUSED, assertThrows(RequestRefusedException.class, () -> access.upload(node2, "app1")).code());
            assertTrue(access.inScope("node2", "db1", false), "node2 backs db1 up");
            assertFalse(access.inScope("node2", "app1", false));
            assertThrows(RequestRefusedException.class, () -> access.upload(viewer, "brand-new"));
            access.upload(admin, "app1");

            access.request(viewer, Rule.WPAR_METADATA, JSON.readTree("{\"op\": \"list\"}"));
            for (String op : List.of("prune", "gc", "relocate", "host_add", "protect")) {
                Rule rule = op.equals("protect") ? Rule.ADMIN_CHECKPOINT : Rule.ADMIN;
                assertThrows(RequestRefusedException.class, () -> access.request(node1, rule, JSON.readTree("{\"op\": \"" + op + "\"}")), op);
                access.request(admin, rule, JSON.readTree("{\"op\": \"" + op + "\"}"));
            }
            assertThrows(RequestRefusedException.class, () -> access.request(node1, Rule.AGENT,
                    JSON.readTree("{\"op\": \"poll\", \"host\": \"node2\"}")), "a host polls only as itself");
            access.request(node1, Rule.AGENT, JSON.readTree("{\"op\": \"poll\", \"host\": \"node1\"}"));
            assertThrows(RequestRefusedException.class, () -> access.request(viewer, Rule.AGENT, JSON.readTree("{\"op\": \"poll\"}")));
            assertThrows(RequestRefusedException.class, () -> access.request(node2, Rule.CLAIM, JSON.readTree(
                    "{\"op\": \"claim\", \"wpar\": \"app1\", \"host\": \"node2\"}")));
            access.request(node2, Rule.CLAIM, JSON.readTree("{\"op\": \"claim\", \"wpar\": \"db1\", \"host\": \"node2\"}"));
            access.request(Principal.local("anyone"), Rule.ADMIN, JSON.readTree("{\"op\": \"prune\"}")); // open loopback server
        }
    }
}
