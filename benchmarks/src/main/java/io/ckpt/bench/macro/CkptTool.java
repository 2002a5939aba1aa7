package io.ckpt.bench.macro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ckpt.testkit.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ckpt as an operator runs it: a server process, and the client CLI ({@code ckpt push --json},
 * {@code ckpt restore --latest}) as one process per command, with the JVM options bin/ckpt uses
 * (serial GC; without its class-data-sharing archive, so that no run pays for making one).
 */
final class CkptTool implements Tool {
    static final String WPAR = "bench";

    private final String java;
    private final String jcmd;
    private final Path serverJar;
    private final Path clientJar;
    private final Path work;
    private final Path datastore;
    private final List<String> serverJvm;
    private ServerProcess server;
    private ServerPeaks peaks;

    CkptTool(String java, String jcmd, Path serverJar, Path clientJar, Path work, List<String> serverJvm) {
        this.java = java;
        this.jcmd = jcmd;
        this.serverJar = serverJar;
        this.clientJar = clientJar;
        this.work = work;
        this.datastore = work.resolve("datastore");
        this.serverJvm = serverJvm;
    }

    @Override
    public String name() {
        return "ckpt";
    }

    @Override
    public void init() throws IOException {
        Files.createDirectories(work);
        Path gcLog = work.resolve("server-gc.log");
        List<String> jvm = new ArrayList<>(List.of("-Xlog:gc:file=" + gcLog));
        jvm.addAll(serverJvm);
        // The JVM's default heap, as a user who runs bin/ckpt server gets it; the log is written to
        // work/server.log when the server stops.
        server = ServerProcess.on(datastore).java(java).jar(serverJar).heap(null).jvmOptions(jvm).start();
        peaks = new ServerPeaks(server.pid(), gcLog);
    }

    @Override
    public Step backup(int index, Path checkpointDir) throws IOException {
        double cpu = ChildRun.ProcStat.cpuSeconds(server.pid());
        ChildRun.Result r = ChildRun.check(client("push", "--wpar", WPAR, "--json", checkpointDir.toString()),
                work, Map.of(), work.resolve("client.log"));
        JsonNode json = new ObjectMapper().readTree(r.stdout());
        return new Step(r, json.path("stored_bytes").asLong(), ChildRun.ProcStat.cpuSeconds(server.pid()) - cpu, json.path("bytes_sent").asLong(-1));
    }

    @Override
    public Step restore(Path target) throws IOException {
        double cpu = ChildRun.ProcStat.cpuSeconds(server.pid());
        ChildRun.Result r = ChildRun.check(client("restore", "--wpar", WPAR, "--latest", "--to", target.toString(), "--json"),
                work, Map.of(), work.resolve("client.log"));
        return new Step(r, 0, ChildRun.ProcStat.cpuSeconds(server.pid()) - cpu);
    }

    private List<String> client(String... args) {
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-jar", clientJar.toString(),
                args[0], "--server", server.address()));
        cmd.addAll(List.of(args).subList(1, args.length));
        return cmd;
    }

    @Override
    public long repositoryBytes() throws IOException {
        return Tool.treeBytes(datastore);
    }

    @Override
    public ServerPeaks.Peaks serverPeaks() throws IOException {
        return peaks.peaks(jcmd);
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.terminate(); // SIGTERM: the server shuts down cleanly
            Files.writeString(work.resolve("server.log"), server.log());
            server.close();
        }
    }
}
