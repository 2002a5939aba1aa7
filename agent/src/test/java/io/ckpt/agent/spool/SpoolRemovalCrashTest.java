package io.ckpt.agent.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kill -9 in the middle of a spool entry's removal (issue 20, defect 2): a child JVM builds an
 * entry of {@link #FILES} files and removes it; the test kills it as soon as the removal has
 * visibly begun. The spool reopened afterwards must never list that entry with fewer files than
 * it had: it is either whole or gone.
 */
class SpoolRemovalCrashTest {
    static final int FILES = 20_000;

    /** The child: builds one entry, says READY, waits for a line, removes it. */
    public static void main(String[] args) throws Exception {
        Spool spool = new Spool(Path.of(args[0]), 1L << 40, 100);
        Spool.Staging s = spool.stage("web01");
        Path state = Files.createDirectories(s.parts().resolve("state"));
        for (int i = 0; i < FILES; i++) {
            Files.write(state.resolve(String.format("f%05d", i)), new byte[] {(byte) i});
        }
        SpoolEntry e = s.commit(1000, "scheduled", "good", "", List.of());
        System.out.println("READY " + e.dir());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        spool.remove(e);
        System.out.println("DONE");
    }

    @Test
    void killDuringRemovalLeavesTheEntryWholeOrGoneNeverPartial(@TempDir Path dir) throws Exception {
        Path spoolDir = dir.resolve("spool");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SpoolRemovalCrashTest.class.getName(), spoolDir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("READY "), "child did not build its entry: " + ready);
            Path entry = Path.of(ready.substring(6));
            // the file a removal that walks the tree deletes first; its absence means removal began
            Path last = entry.resolve("parts/state").resolve(String.format("f%05d", FILES - 1));
            OutputStream in = child.getOutputStream();
            in.write('\n');
            in.flush();
            while (Files.exists(entry) && Files.exists(last) && child.isAlive()) {
                Thread.onSpinWait();
            }
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
        } finally {
            child.destroyForcibly();
        }
        Spool reopened = new Spool(spoolDir, 1L << 40, 100);
        for (SpoolEntry e : reopened.entries()) {
            try (Stream<Path> files = Files.list(e.parts().resolve("state"))) {
                assertEquals(FILES, files.count(), "spool entry " + e.dir() + " listed after a kill mid-removal");
            }
        }
        try (Stream<Path> left = Files.list(spoolDir)) {
            List<String> names = left.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.startsWith(".")), "leftovers cleaned at start: " + names);
        }
    }
}
