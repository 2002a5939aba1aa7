package io.ckpt.agent.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.net.SelectedRestore;
import io.ckpt.protocol.ProtocolVersion;
import java.io.IOException;

/**
 * The server as a restore and start uses it: JSON requests and restores. Each call may use a
 * connection of its own, since a restart and its health check can outlast the server's idle
 * timeout. Tests put a fake in its place.
 */
public interface ServerLink {
    /** Sends one JSON request and returns the answer; a refusal is a {@link io.ckpt.agent.net.ClientException}. */
    JsonNode request(JsonNode request) throws IOException;

    /** Streams checkpoint {@code id} into {@code receiver}. */
    void restore(long id, CkptClient.RestoreReceiver receiver) throws IOException;

    /**
     * Begins the restore of the checkpoint {@code select} (a {@code select} request) chooses: the
     * checkpoint and its parts, then its data on {@link SelectedRestore#receive}. This default asks
     * {@code select}, then {@code show}, then restores by id (three round trips): links without the
     * one-round-trip restore (a server before protocol version 3, a datastore read in process) use it.
     */
    default SelectedRestore begin(ObjectNode select) throws IOException {
        JsonNode checkpoint = request(select).path("checkpoint");
        long id = checkpoint.path("id").asLong();
        JsonNode parts = request(select.objectNode().put("op", "show").put("id", id)).path("parts");
        return new SelectedRestore(checkpoint, parts, receiver -> restore(id, receiver));
    }

    /**
     * Sends a {@code fetch} (chunks of one part by sequence ranges) and returns their bytes as a
     * stream; closing it ends the call. Links that cannot fetch throw (the caller restores whole).
     */
    default java.io.InputStream fetch(JsonNode request) throws IOException {
        throw new IOException("this server link cannot fetch chunks");
    }

    /** The server at the other end of {@code client}, every call on that one connection (a plain restore). */
    static ServerLink over(CkptClient client) {
        return new ServerLink() {
            @Override
            public JsonNode request(JsonNode request) throws IOException {
                return client.request(request);
            }

            @Override
            public void restore(long id, CkptClient.RestoreReceiver receiver) throws IOException {
                client.restore(id, receiver);
            }

            @Override
            public SelectedRestore begin(ObjectNode select) throws IOException {
                return ProtocolVersion.hasRestoreSelector(client.protocolVersion()) ? client.restore(select)
                        : ServerLink.super.begin(select);
            }
        };
    }

    /** The server at {@code hostPort}, one connection per call, introduced as {@code hostId}, with {@code credentials}. */
    static ServerLink connecting(String hostPort, String hostId, io.ckpt.agent.net.ClientCredentials credentials) {
        return new ServerLink() {
            @Override
            public JsonNode request(JsonNode request) throws IOException {
                try (CkptClient c = CkptClient.connect(hostPort, hostId, credentials)) {
                    return c.request(request);
                }
            }

            @Override
            public void restore(long id, CkptClient.RestoreReceiver receiver) throws IOException {
                try (CkptClient c = CkptClient.connect(hostPort, hostId, credentials)) {
                    c.restore(id, receiver);
                }
            }

            @Override
            public java.io.InputStream fetch(JsonNode request) throws IOException {
                CkptClient c = CkptClient.connect(hostPort, hostId, credentials);
                try {
                    java.io.InputStream in = c.fetch(request);
                    return new java.io.FilterInputStream(in) {
                        @Override
                        public void close() throws IOException {
                            try {
                                super.close();
                            } finally {
                                c.close();
                            }
                        }
                    };
                } catch (IOException | RuntimeException e) {
                    c.close();
                    throw e;
                }
            }
        };
    }
}
