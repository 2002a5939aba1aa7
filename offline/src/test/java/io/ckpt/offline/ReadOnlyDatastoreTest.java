package io.ckpt.offline;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.agent.offline.OfflineDatastore;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadOnlyDatastoreTest {
    @Test
    void theClientFindsThisModuleThroughItsServiceFile() {
        assertInstanceOf(ReadOnlyDatastore.class, OfflineDatastore.find().orElseThrow(
                () -> new AssertionError("no OfflineDatastore on the class path: META-INF/services entry missing")));
    }

    @Test
    void auditOfADirectoryWithoutTheDatastoreMarkerNamesIt(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> new ReadOnlyDatastore().audit(dir,
                new ObjectMapper().createObjectNode().put("op", "audit")));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("not a ckpt datastore"),
                e.getMessage());
    }

    @Test
    void restoreFromADirectoryWithoutTheDatastoreMarkerNamesIt(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> new ReadOnlyDatastore().open(dir, null));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
}
