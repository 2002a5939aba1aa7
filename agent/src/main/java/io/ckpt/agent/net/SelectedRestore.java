package io.ckpt.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * A restore whose checkpoint the server has chosen: the checkpoint and its parts (as {@code show}
 * lists them), known before any data; {@link #receive} then takes the data. Over a protocol
 * version 3 connection all of it came from one request ({@link CkptClient#restore(JsonNode)}); the
 * data is already on its way, so a caller that does not want it closes the connection.
 */
public record SelectedRestore(JsonNode checkpoint, JsonNode parts, Data data) {
    /** Takes a restore's data, once. */
    @FunctionalInterface
    public interface Data {
        void receive(CkptClient.RestoreReceiver receiver) throws IOException;
    }

    /** The chosen checkpoint's id. */
    public long id() {
        return checkpoint.path("id").asLong();
    }

    /** Streams the checkpoint into {@code receiver}: its header, then part by part. */
    public void receive(CkptClient.RestoreReceiver receiver) throws IOException {
        data.receive(receiver);
    }
}
