package io.ckpt.bench.macro;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real ckpt server process (server/target/ckpt-server.jar) on a free loopback port, logging its
 * garbage collections so that the peak heap can be read afterwards.
 */
final class ServerProcess implements AutoCloseable {
    /** Peak resident set (VmHWM), peak heap in use and peak heap committed, in bytes. */
    record Peaks(long rssBytes, long heapUsedBytes, long heapCommittedBytes) {}

    private static final Pattern GC_LINE = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");
    private static final Pattern HEAP_INFO = Pattern.compile("total (\\d+)K, used (\\d+)K");

    private final Process process;
    private final Path gcLog;
    private final int port;
    private long lastRss;

    private ServerProcess(Process process, Path gcLog, int port) {
        this.process = process;
        this.gcLog = gcLog;
        this.port = port;
    }

    static ServerProcess start(String java, Path jar, Path datastore, Path work, List<String> jvmOptions)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path gcLog = work.resolve("server-gc.log");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xlog:gc:file=" + gcLog));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toString(), "--datastore", datastore.toString(), "--listen", "127.0.0.1:" + port));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("server.log").toFile())).start();
        ServerProcess server = new ServerProcess(p, gcLog, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("ckpt server exited " + p.exitValue() + " on start; see " + work.resolve("server.log"));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return server;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException("ckpt server did not listen on port " + port + " within 60 s");
                }
                Thread.sleep(100);
            }
        }
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    double cpuSeconds() {
        return ChildRun.ProcStat.cpuSeconds(process.pid());
    }

    /** Peaks so far: heap from the GC log (before each collection) and from jcmd GC.heap_info now. */
    Peaks peaks(String jcmd) throws IOException {
        lastRss = Math.max(lastRss, ChildRun.ProcStat.peakRss(process.pid()));
        long used = 0;
        long committed = 0;
        if (Files.exists(gcLog)) {
            for (String line : Files.readAllLines(gcLog)) {
                Matcher m = GC_LINE.matcher(line);
                if (m.find()) {
                    used = Math.max(used, bytes(m.group(1), m.group(2)));
                    committed = Math.max(committed, bytes(m.group(5), m.group(6)));
                }
            }
        }
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            Matcher m = HEAP_INFO.matcher(out);
            if (m.find()) {
                committed = Math.max(committed, Long.parseLong(m.group(1)) * 1024);
                used = Math.max(used, Long.parseLong(m.group(2)) * 1024);
            }
        } catch (IOException | InterruptedException e) {
            // jcmd missing (a JRE): the GC log alone gives the peaks
        }
        return new Peaks(lastRss, used, committed);
    }

    private static long bytes(String n, String unit) {
        long v = Long.parseLong(n);
        return switch (unit) {
            case "K" -> v << 10;
            case "M" -> v << 20;
            default -> v << 30;
        };
    }

    @Override
    public void close() throws IOException {
        process.destroy(); // SIGTERM: the server shuts down cleanly
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
