package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.it.Cli;
import io.ckpt.it.MemoryImage;
import io.ckpt.it.restore.PushRestoreTest;
import io.ckpt.testkit.ChildClasspath;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client as a user meets it first: help, and a server that is not there. */
class CliTest {
    @ParameterizedTest(name = "ckpt {0} --help")
    @ValueSource(strings = {"", "push", "list", "show", "restore", "alerts", "audit"})
    void everyClientCommandHelpExitsZero(String subcommand) {
        List<String> args = new ArrayList<>();
        if (!subcommand.isEmpty()) {
            args.add(subcommand);
        }
        args.add("--help");
        Cli.Result r = Cli.standalone().run(args.toArray(String[]::new)).assertOk();
        assertTrue(r.stdout().contains("Usage: ckpt" + (subcommand.isEmpty() ? "" : " " + subcommand)), r::toString);
        assertTrue(r.stdout().contains("Exit status"), () -> "documents the exit statuses: " + r);
    }

    @Test
    void serverHelpExitsZero() throws Exception {
        List<String> cmd = List.of(ServerProcess.javaBinary(), "-cp", ChildClasspath.get(),
                "io.ckpt.server.ServerMain", "--help");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("Usage: ckpt server") && out.contains("--datastore"), out);
    }

    @Test
    void unreachableServerExitsFourWithOneLineSayingHowToStartIt(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        Cli ckpt = Cli.against("127.0.0.1:" + port);
        Path image = MemoryImage.ofSize(121, 64L << 10).writeTo(dir.resolve("x.img"));

        for (String[] args : List.of(new String[] {"list"}, new String[] {"alerts"}, new String[] {"push", "--wpar", "x", image.toString()})) {
            Cli.Result r = ckpt.run(args).assertExit(4);
            PushRestoreTest.assertOneLine(r);
            assertTrue(r.stderr().contains("ckpt server"), () -> "says how to start it: " + r);
            assertTrue(r.stderr().contains("127.0.0.1:" + port), () -> "names the address it tried: " + r);
        }
    }
}
