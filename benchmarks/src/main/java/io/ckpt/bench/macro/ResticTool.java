package io.ckpt.bench.macro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * restic with a local repository. restic always encrypts; versions before 0.17 have no
 * --insecure-no-password, so a fixed password is given. Repository format 2 with
 * {@code --compression auto} (zstd where it helps), its cache inside the work directory.
 */
final class ResticTool implements Tool {
    private final String restic;
    private final Path work;
    private final Path repo;
    private final Map<String, String> env;

    ResticTool(String restic, Path work) {
        this.restic = restic;
        this.work = work;
        this.repo = work.resolve("repo");
        this.env = Map.of("RESTIC_PASSWORD", "ckpt-macro-benchmark", "RESTIC_REPOSITORY", repo.toString(),
                "RESTIC_CACHE_DIR", work.resolve("cache").toString());
    }

    @Override
    public String name() {
        return "restic";
    }

    @Override
    public void init() throws IOException {
        Files.createDirectories(work);
        ChildRun.check(List.of(restic, "init", "--repository-version", "2"), work, env, work.resolve("restic.log"));
    }

    @Override
    public Step backup(int index, Path checkpointDir) throws IOException {
        ChildRun.Result r = ChildRun.check(List.of(restic, "backup", "--json", "--compression", "auto", "."),
                checkpointDir, env, work.resolve("restic.log"));
        long added = 0;
        for (String line : r.stdout().split("\n")) {
            if (line.contains("\"summary\"")) {
                JsonNode s = new ObjectMapper().readTree(line);
                added = s.has("data_added_packed") ? s.path("data_added_packed").asLong() : s.path("data_added").asLong();
            }
        }
        return new Step(r, added, 0);
    }

    @Override
    public Step restore(Path target) throws IOException {
        ChildRun.Result r = ChildRun.check(List.of(restic, "restore", "latest", "--target", target.toString()),
                work, env, work.resolve("restic.log"));
        return new Step(r, 0, 0);
    }

    @Override
    public long repositoryBytes() throws IOException {
        return Tool.treeBytes(repo);
    }
}
