package io.ckpt.it.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.Sha256;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One server per datastore, and a dead server's lock does not keep the next one out. */
class LockTest {
    @Test
    void secondServerOnTheSameDatastoreRefusesToStartAndNamesTheHolder(@TempDir Path dir) throws IOException {
        Path datastore = dir.resolve("datastore");
        try (ServerProcess first = ServerProcess.start(datastore)) {
            ServerProcess.Exited second = ServerProcess.on(datastore).startExpectingExit();

            assertEquals(1, second.exitCode(), second.log());
            assertTrue(second.log().contains("pid " + first.pid()), "names the holder, pid " + first.pid() + ": " + second.log());
            assertFalse(second.log().contains("listening on"), second.log());
            assertTrue(first.isAlive(), "the first server keeps running");
            Cli.against(first).run("list", "--json").assertOk();
        }
    }

    @Test
    void lockOfAKilledServerIsTakenOverByTheNextOne(@TempDir Path dir) throws IOException {
        Path datastore = dir.resolve("datastore");
        Path image = MemoryImage.ofSize(91, 2L << 20).writeTo(dir.resolve("lock.img"));
        ServerProcess first = ServerProcess.start(datastore);
        long id;
        try (first) {
            id = Cli.against(first).run("push", "--wpar", "lock01", "--json", image.toString()).assertOk().json().path("id").asLong();
            first.kill9();
        }

        try (ServerProcess next = first.restart()) {
            Path restored = dir.resolve("restored.img");
            Cli.against(next).run("restore", "--wpar", "lock01", "--id", Long.toString(id), "--to", restored.toString()).assertOk();
            assertEquals(Sha256.of(image), Sha256.of(restored));
        }
    }
}
