package io.ckpt.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The line format of the datastore's append-only logs (the catalog journal, the audit log):
 * {@code CRC32C(8 hex) SP JSON LF}, the CRC over the JSON's UTF-8 bytes. Layout: docs/FORMAT.md,
 * "Journal".
 */
public final class CrcLine {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CrcLine() {}

    /** One line, LF included. */
    public static byte[] encode(ObjectNode event) throws IOException {
        byte[] json = JSON.writeValueAsBytes(event);
        CRC32C crc = new CRC32C();
        crc.update(json);
        byte[] prefix = String.format("%08x ", crc.getValue()).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[prefix.length + json.length + 1];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(json, 0, out, prefix.length, json.length);
        out[out.length - 1] = '\n';
        return out;
    }

    /** The JSON object of one line (without its LF), or null when the line is damaged or not an object. */
    public static JsonNode decode(String line) {
        if (line.length() < 10 || line.charAt(8) != ' ') {
            return null;
        }
        byte[] json = line.substring(9).getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(json);
        try {
            if (Long.parseLong(line.substring(0, 8), 16) != crc.getValue()) {
                return null;
            }
            JsonNode n = JSON.readTree(json);
            return n != null && n.isObject() ? n : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }
}
