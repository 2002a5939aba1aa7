package io.ckpt.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.protocol.ErrorCode;
import io.ckpt.protocol.Frame;
import java.io.IOException;
import java.io.InputStream;

/**
 * One connection's restores and fetches, received frame by frame (docs/PROTOCOL.md, "Restore"):
 * by id (RESTORE_REQUEST), by selector in one round trip (the {@code restore} request, protocol
 * version 3), and the chunk ranges of a {@code fetch} as a stream.
 */
final class RestoreFrames {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClientConnection connection;

    RestoreFrames(ClientConnection connection) {
        this.connection = connection;
    }

    void restore(long checkpointId, CkptClient.RestoreReceiver r) throws IOException {
        connection.write(new Frame.RestoreRequest(checkpointId), "restore of checkpoint " + checkpointId);
        Frame.Response header = connection.expect(Frame.Response.class, "restore");
        r.header(JSON.readTree(header.json()).path("checkpoint"));
        receiveParts(checkpointId, r);
    }

    /** The {@code restore} request with {@code select}'s selector; the caller checked the protocol version. */
    SelectedRestore restore(JsonNode select) throws IOException {
        ObjectNode req = ((ObjectNode) select).deepCopy().put("op", "restore");
        connection.write(new Frame.Request(JSON.writeValueAsString(req)), "restore");
        JsonNode header = JSON.readTree(connection.expect(Frame.Response.class, "restore").json());
        JsonNode checkpoint = header.path("checkpoint");
        long id = checkpoint.path("id").asLong();
        return new SelectedRestore(checkpoint, header.path("parts"), r -> {
            r.header(checkpoint);
            receiveParts(id, r);
        });
    }

    /** Hands a restore's frames to {@code r} until its RESTORE_END. */
    private void receiveParts(long checkpointId, CkptClient.RestoreReceiver r) throws IOException {
        while (true) {
            Frame f = connection.expect(Frame.class, "restore of checkpoint " + checkpointId);
            if (f instanceof Frame.PartBegin p) {
                r.beginPart(p.part());
            } else if (f instanceof Frame.Data d) {
                try {
                    r.data(d.bytes().nioBuffer());
                } finally {
                    d.release();
                }
            } else if (f instanceof Frame.PartEnd e) {
                r.endPart(e.length(), e.sha256());
            } else if (f instanceof Frame.RestoreEnd) {
                return;
            } else {
                throw new ClientException(ErrorCode.BAD_REQUEST, "unexpected " + f.getClass().getSimpleName() + " during restore");
            }
        }
    }

    InputStream fetch(JsonNode request) throws IOException {
        connection.write(new Frame.Request(JSON.writeValueAsString(request)), "fetch");
        connection.expect(Frame.Response.class, "fetch");
        return new InputStream() {
            private Frame.Data current;
            private boolean ended;

            private boolean fill() throws IOException {
                while (!ended && (current == null || !current.bytes().isReadable())) {
                    if (current != null) {
                        current.release();
                        current = null;
                    }
                    Frame f = connection.expect(Frame.class, "fetch");
                    if (f instanceof Frame.Data d) {
                        current = d;
                    } else if (f instanceof Frame.RestoreEnd) {
                        ended = true;
                    } else {
                        throw new ClientException(ErrorCode.BAD_REQUEST, "unexpected " + f.getClass().getSimpleName()
                                + " during a fetch");
                    }
                }
                return !ended;
            }

            @Override
            public int read() throws IOException {
                return fill() ? current.bytes().readByte() & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, current.bytes().readableBytes());
                current.bytes().readBytes(b, off, n);
                return n;
            }

            @Override
            public void close() {
                if (current != null) {
                    current.release();
                    current = null;
                }
            }
        };
    }
}
