package io.ckpt.bench.macro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        try {
            server = ServerProcess.start(java, serverJar, datastore, work, serverJvm);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the ckpt server", e);
        }
    }

    @Override
    public Step backup(int index, Path checkpointDir) throws IOException {
        double cpu = server.cpuSeconds();
        ChildRun.Result r = ChildRun.check(client("push", "--wpar", WPAR, "--json", checkpointDir.toString()),
                work, Map.of(), work.resolve("client.log"));
        JsonNode json = new ObjectMapper().readTree(r.stdout());
        return new Step(r, json.path("stored_bytes").asLong(), server.cpuSeconds() - cpu, json.path("bytes_sent").asLong(-1));
    }

    @Override
    public Step restore(Path target) throws IOException {
        double cpu = server.cpuSeconds();
        ChildRun.Result r = ChildRun.check(client("restore", "--wpar", WPAR, "--latest", "--to", target.toString(), "--json"),
                work, Map.of(), work.resolve("client.log"));
        return new Step(r, 0, server.cpuSeconds() - cpu);
    }

    private List<String> client(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-jar", clientJar.toString(),
                args[0], "--server", server.address()));
        cmd.addAll(List.of(args).subList(1, args.length));
        return cmd;
    }

    @Override
    public long repositoryBytes() throws IOException {
        return Tool.treeBytes(datastore);
    }

    @Override
    public ServerProcess.Peaks serverPeaks() throws IOException {
        return server.peaks(jcmd);
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.close();
        }
    }
}
