package io.ckpt.server.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.control.ControlRequests;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Access;
import io.ckpt.security.CredentialRequests;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The access table lists exactly the request ops the server answers: those the connection handler
 * answers itself and those of the catalog queries, control and credential handlers. An op left
 * out of the table is not dispatched at all (ConnectionHandler answers BAD_REQUEST), so a handler
 * that learns an op without a rule fails here rather than in production.
 */
class RequestOpsTest {
    @Test
    void theAccessTableListsEveryOpTheServerDispatchesAndNoOther() {
        Set<String> dispatched = new TreeSet<>(ConnectionHandler.OWN_OPS);
        for (Set<String> ops : java.util.List.of(CatalogQueries.OPS, ControlRequests.OPS, CredentialRequests.OPS)) {
            for (String op : ops) {
                assertTrue(dispatched.add(op), op + " is answered by two handlers");
            }
        }
        assertEquals(dispatched, new TreeSet<>(Access.REQUESTS.keySet()));
    }
}
