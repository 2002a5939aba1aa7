package io.ckpt.agent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.agent.config.ServerAuth;
import io.ckpt.agent.config.UploadPolicy;
import io.ckpt.agent.net.ClientException;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The uploader's thread and a final checkpoint's {@link Uploader#uploadNow} (issue 20, defect 3). */
class UploaderTest {
    private static SpoolEntry add(Spool spool, String wpar, long takenAt, String kind) throws IOException {
        Spool.Staging s = spool.stage(wpar);
        Files.createDirectories(s.parts().resolve("state"));
        Files.write(s.parts().resolve("state/mem.img"), new byte[64]);
        return s.commit(takenAt, kind, "good", "", List.of());
    }

    /** A loopback port nothing listens on: connections are refused at once. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * With the server unreachable, the uploader thread backs off for an hour after its first
     * failure. A final checkpoint handed to uploadNow must not wait for that backoff: it is tried at
     * once (and here fails at once, the server being down). Before the fix the thread slept holding
     * the send lock and uploadNow blocked for the whole backoff; the 60 s bound only turns that hang
     * into a failure.
     */
    @Test
    void finalCheckpointIsTriedAtOnceWhileTheThreadBacksOff(@TempDir Path dir) throws Exception {
        Spool spool = new Spool(dir.resolve("spool"), 1L << 30, 100);
        add(spool, "db01", 1000, "scheduled");
        UploadPolicy hour = new UploadPolicy(0, Duration.ofHours(1), Duration.ofHours(1));
        Uploader.Settings settings = new Uploader.Settings("127.0.0.1:" + closedPort(), "host-a", hour, ServerAuth.NONE);
        Uploader uploader = new Uploader(spool, new AgentState(dir.resolve("state.json")), () -> settings);
        Thread t = new Thread(uploader, "uploader");
        t.start();
        try {
            while (t.getState() != Thread.State.TIMED_WAITING) { // failed once, now in its backoff
                Thread.sleep(10);
            }
            SpoolEntry fin = add(spool, "web01", 2000, "final");
            ClientException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> assertThrows(ClientException.class, () -> uploader.uploadNow(fin)));
            assertTrue(e.isUnreachable(), "refused connection reported as unreachable: " + e.getMessage());
            assertTrue(spool.entries().stream().anyMatch(x -> x.seq() == fin.seq()), "a failed final upload stays spooled");
        } finally {
            uploader.close();
            t.join();
        }
    }
}
