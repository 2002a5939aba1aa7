package io.ckpt.bench.macro;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * One backup tool under test: sets up an empty repository, backs up one checkpoint directory,
 * restores the newest into a directory, and says how many bytes its repository takes.
 */
interface Tool extends AutoCloseable {
    /**
     * One backup or restore: the command's measurements, what the tool says it stored, server CPU,
     * and the bytes the client says it sent (-1 when the tool does not say).
     */
    record Step(ChildRun.Result run, long toolStoredBytes, double serverCpuSeconds, long sentBytes) {
        Step(ChildRun.Result run, long toolStoredBytes, double serverCpuSeconds) {
            this(run, toolStoredBytes, serverCpuSeconds, -1);
        }
    }

    String name();

    void init() throws IOException;

    Step backup(int index, Path checkpointDir) throws IOException;

    /** Restores the newest backup; its files end up somewhere under {@code target}. */
    Step restore(Path target) throws IOException;

    /** Bytes of every file under the repository (for ckpt: datastore and catalog). */
    long repositoryBytes() throws IOException;

    /** Peak server RSS and heap, for a tool with a server; else empty. */
    default ServerPeaks.Peaks serverPeaks() throws IOException {
        return null;
    }

    @Override
    default void close() throws IOException {}

    static long treeBytes(Path root) throws IOException {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // a file removed while walking (a temp file): not stored
                }
            }).sum();
        }
    }
}
