package io.ckpt.server.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.ckpt.errors.ErrorCodes;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.RequestRefusedException;
import io.ckpt.query.CatalogQueries;
import io.ckpt.security.Access;
import java.io.IOException;

/**
 * Runs one REQUEST: parses it (within {@link CatalogQueries#REQUEST_LIMITS}), finds its
 * declaration in {@link Requests} (none: BAD_REQUEST, and nothing runs), then on the op's threads
 * looks up the object it touches and has {@link Access} judge it by the op's rule, runs the
 * handler with the request as authorised (its {@code wpar} the checkpoint's real one), audits, and
 * answers. Every failure, the refusal included, is answered with an ERROR and the connection stays
 * open. One per server; the per-connection state is the {@link Caller}'s.
 */
public final class RequestDispatcher {
    private final RequestServices services;

    public RequestDispatcher(RequestServices services) {
        this.services = services;
    }

    /** Dispatches the REQUEST frame {@code json} from {@code caller}. Called on the connection's event loop. */
    public void dispatch(Caller caller, String json) {
        JsonNode req;
        try {
            req = CatalogQueries.parse(json);
        } catch (RequestRefusedException e) {
            caller.refuse(e);
            return;
        }
        String name = req.path("op").asText("");
        Requests.Op op = Requests.find(name).orElse(null);
        if (op == null) {
            caller.refuse(new RequestRefusedException(ErrorCode.BAD_REQUEST, "unknown request op '" + name + "'"));
            return;
        }
        switch (op.runs()) {
            case EVENT_LOOP -> run(op, caller, req);
            case REQUEST_WORKERS -> services.requestWorkers().execute(() -> run(op, caller, req));
            case RESTORE_WORKERS -> services.restoreWorkers().execute(() -> run(op, caller, req));
        }
    }

    /**
     * Answers the read {@code req} for {@code caller} on the calling thread, by the same
     * declaration, lookup and access check as {@link #dispatch}: the HTTP API's way in
     * ({@code GET /api/v1/checkpoints} is the op {@code list}). Only ops declared
     * {@link Requests.Http#GET} are served (reads that answer with JSON); anything else is BAD_REQUEST.
     * Throws what {@code dispatch} would answer as an ERROR.
     */
    public String read(Caller caller, JsonNode req) throws Exception {
        String name = req.path("op").asText("");
        Requests.Op op = Requests.find(name).filter(o -> o.http() == Requests.Http.GET)
                .orElseThrow(() -> new RequestRefusedException(ErrorCode.BAD_REQUEST, "op '" + name + "' is not served over HTTP"));
        Access.Target target = services.access().target(op.rule(), req);
        services.access().request(caller.principal(), target);
        return op.handler().handle(services, caller, target.request());
    }

    private void run(Requests.Op op, Caller caller, JsonNode req) {
        JsonNode named = req;
        try {
            Access.Target target = services.access().target(op.rule(), req);
            named = target.request();
            services.access().request(caller.principal(), target);
            String answer;
            if (op.takes() == Requests.Takes.MINUTES) {
                // Ended before the answer is written: no progress notice follows it.
                try (LongRequest running = caller.longRequest(op.name())) {
                    answer = op.handler().handle(services, running, named);
                }
            } else {
                answer = op.handler().handle(services, caller, named);
            }
            audit(op, caller, named, answer, null);
            if (answer != null) {
                caller.respond(answer);
            }
        } catch (Throwable t) {
            audit(op, caller, named, null, t);
            caller.refuse(t);
        }
    }

    /** Records the op as its declaration says: {@code failure} null when it was answered with {@code answer}. */
    private void audit(Requests.Op op, Caller caller, JsonNode req, String answer, Throwable failure) {
        switch (op.audit()) {
            case NONE -> { }
            case REQUEST -> {
                if (failure == null) {
                    services.audit().request(caller.actor(), req, parseQuietly(answer), null, null);
                } else {
                    services.audit().request(caller.actor(), req, null, ErrorCodes.codeOf(failure),
                            ErrorCodes.messageOf(failure));
                }
            }
            case CREDENTIAL_CHANGE -> services.audit().hostCredentials(caller.actor(),
                    op.name().substring("host_".length()), req.path("host").asText(""),
                    failure == null ? null : ErrorCodes.messageOf(failure), null);
        }
    }

    private static JsonNode parseQuietly(String json) {
        try {
            return json == null ? MissingNode.getInstance() : CatalogQueries.mapper().readTree(json);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
