package io.ckpt.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.HostEnvironment;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTakerTest {
    private static WparConfig wpar(Path dir, String body) throws Exception {
        String yaml = "server: 127.0.0.1:7420\nhost-id: h1\nstate-dir: " + dir.resolve("state") + "\n"
                + "defaults:\n  timeouts: { checkpoint: 2s }\nwpars:\n  - name: web01\n" + body;
        return AgentConfig.parse("test.yaml", yaml, HostEnvironment.of(null, "h1")).wpars().get(0);
    }

    private static CheckpointTaker taker(Path dir) throws Exception {
        return new CheckpointTaker(new Spool(dir.resolve("spool"), 1L << 30, 10), dir.resolve("logs"));
    }

    @Test
    void commandOutputAndFileSystemsBecomeStateAndFsParts(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("journal.log"), "1\n2\n");
        WparConfig w = wpar(dir, """
                    source: { preset: command, command: "sh -c 'echo memory > {statedir}/mem.img'" }
                    filesystems:
                      - { name: data, directory: %s }
                      - { name: root, command: "sh -c 'echo tar-bytes'" }
                    health: { command: "true" }
                """.formatted(data));
        SpoolEntry e = taker(dir).take(w, 1234, "scheduled");
        assertEquals("memory\n", Files.readString(e.parts().resolve("state/mem.img")));
        assertEquals("1\n2\n", Files.readString(e.parts().resolve("fs/data/journal.log")));
        assertEquals("tar-bytes\n", Files.readString(e.parts().resolve("fs/root")));
        assertEquals("good", e.health());
        assertEquals(1234, e.takenAtMillis());
    }

    @Test
    void commandThatWritesNothingFailsAndSpoolsNothing(@TempDir Path dir) throws Exception {
        CheckpointTaker t = taker(dir);
        WparConfig w = wpar(dir, "    source: { preset: command, command: \"sh -c 'true {statedir}'\" }\n");
        Exception e = assertThrows(CheckpointTaker.Failed.class, () -> t.take(w, 1, "scheduled"));
        assertTrue(e.getMessage().contains("wrote nothing"), e.getMessage());
        assertTrue(new Spool(dir.resolve("spool"), 1L << 30, 10).entries().isEmpty());
    }

    @Test
    void failingCommandIsReportedWithItsStderrTail(@TempDir Path dir) throws Exception {
        WparConfig w = wpar(dir, "    source: { preset: command, command: \"sh -c 'echo WPAR busy >&2; exit 4; true {statedir}'\" }\n");
        Exception e = assertThrows(CheckpointTaker.Failed.class, () -> taker(dir).take(w, 1, "scheduled"));
        assertTrue(e.getMessage().contains("exited 4") && e.getMessage().contains("WPAR busy"), e.getMessage());
    }

    @Test
    void hungCommandIsStoppedAtItsTimeout(@TempDir Path dir) throws Exception {
        WparConfig w = wpar(dir, "    source: { preset: command, command: \"sh -c 'sleep 60; true {statedir}'\" }\n");
        long t0 = System.nanoTime();
        Exception e = assertThrows(CheckpointTaker.Failed.class, () -> taker(dir).take(w, 1, "scheduled"));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "stopped near its 2 s timeout");
    }

    @Test
    void unhealthyWparIsSpooledAsBadWithTheReason(@TempDir Path dir) throws Exception {
        WparConfig w = wpar(dir, """
                    source: { preset: command, command: "sh -c 'echo m > {statedir}/m'" }
                    health: { command: "sh -c 'echo not serving >&2; exit 1'" }
                """);
        SpoolEntry e = taker(dir).take(w, 1, "scheduled");
        assertEquals("bad", e.health());
        assertTrue(e.healthReason().contains("not serving"), e.healthReason());
    }

    @Test
    void directoryPresetCopiesThePointInTime(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/sub"));
        Files.writeString(src.resolve("f"), "v1");
        Files.createSymbolicLink(dir.resolve("src/link"), Path.of("sub/f"));
        WparConfig w = wpar(dir, "    source: { preset: directory, path: " + dir.resolve("src") + " }\n");
        SpoolEntry e = taker(dir).take(w, 1, "scheduled");
        Files.writeString(src.resolve("f"), "v2"); // later changes do not reach the spooled copy
        assertEquals("v1", Files.readString(e.parts().resolve("state/sub/f")));
        assertEquals(Path.of("sub/f"), Files.readSymbolicLink(e.parts().resolve("state/link")));
    }
}
