package io.ckpt.it.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.agent.net.CkptClient;
import io.ckpt.it.Cli;
import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A file that was readable when the tree was walked but not when its part is sent (its mode
 * changed, or it was removed) fails the push with the cause in words and what became of the
 * upload, in delta mode (DeltaPartSender) and in stream mode, not with its bare path (issue 21, item 7).
 *
 * <p>The moment between walk and send is made, not waited for: the server takes one upload at a
 * time, a held upload takes it, so the push has walked its tree and waits for a slot (the server
 * logs it) while the file is changed; then the slot is given back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnreadableAtSendTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private ServerProcess server;

    @BeforeAll
    void startServer(@TempDir Path classDir) throws IOException {
        server = ServerProcess.on(classDir.resolve("datastore"))
                .args("--max-uploads", "1", "--upload-queue", "4", "--upload-wait", "120").start();
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "--mode {0}, file {1}")
    @CsvSource({"delta, made unreadable", "stream, made unreadable", "delta, removed", "stream, removed"})
    void aFileThatCannotBeReadWhenSentSaysWhyAndThatNothingWasStored(String mode, String change, @TempDir Path dir)
            throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("a-first"), "sent first");
        Path victim = Files.writeString(tree.resolve("b-victim"), "readable when walked");
        String wpar = "unreadable-" + mode + "-" + change.replace(' ', '-');
        boolean denied = change.equals("made unreadable");

        try (CkptClient holder = CkptClient.connect(server.address(), "holder")) {
            holder.beginUpload("held", System.currentTimeMillis(), "manual", List.of());
            int mark = server.logMark();
            Path stderrFile = dir.resolve("stderr");
            Process push = push(mode, wpar, tree, stderrFile, denied);
            server.awaitLog(mark, Pattern.compile("upload for WPAR " + wpar + " from .* waits for an upload slot"), WAIT);
            if (denied) {
                Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("---------"));
            } else {
                Files.delete(victim);
            }
            holder.commit();

            assertTrue(push.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "push did not exit");
            String stderr = Files.readString(stderrFile, StandardCharsets.UTF_8);
            assertEquals(1, push.exitValue(), stderr);
            String cause = denied ? "permission denied" : "no longer exists";
            assertTrue(stderr.contains("ckpt: " + victim + ": " + cause + " (part 'b-victim')"), stderr);
            assertTrue(stderr.contains("upload aborted, nothing stored"), stderr);
        }
        // The WPAR is known now (its upload began), but it holds no checkpoint, complete or not.
        assertEquals(0, Cli.against(server).run("list", "--all", "--wpar", wpar, "--json").assertOk().json().path("checkpoints").size());
    }

    /**
     * {@code ckpt push}, started. Root reads any file; to meet the mode like anyone, it runs without
     * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (as CliEdgesTest does).
     */
    private Process push(String mode, String wpar, Path tree, Path stderr, boolean dropCapabilities) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (dropCapabilities && "root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"));
        }
        cmd.addAll(List.of(ServerProcess.javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", ChildClasspath.client(), "io.ckpt.cli.CkptMain",
                "push", "--server", server.address(), "--wpar", wpar, "--mode", mode, tree.toString()));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile()).start();
        p.getOutputStream().close();
        return p;
    }
}
