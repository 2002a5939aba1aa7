package io.ckpt.bench.macro;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * borg with a local repository, no encryption ({@code init -e none}), LZ4 ({@code -C lz4}) and
 * its default chunker (buzhash, 2 MiB average). Its cache and config live in the work directory.
 */
final class BorgTool implements Tool {
    private final String borg;
    private final Path work;
    private final Path repo;
    private final Map<String, String> env;

    BorgTool(String borg, Path work) {
        this.borg = borg;
        this.work = work;
        this.repo = work.resolve("repo");
        this.env = Map.of("BORG_REPO", repo.toString(), "BORG_BASE_DIR", work.resolve("base").toString(),
                "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes", "BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes");
    }

    @Override
    public String name() {
        return "borg";
    }

    @Override
    public void init() throws IOException {
        Files.createDirectories(work);
        ChildRun.check(List.of(borg, "init", "-e", "none"), work, env, work.resolve("borg.log"));
    }

    @Override
    public Step backup(int index, Path checkpointDir) throws IOException {
        ChildRun.Result r = ChildRun.check(List.of(borg, "create", "--json", "-C", "lz4", "::cp-" + index, "."),
                checkpointDir, env, work.resolve("borg.log"));
        long dedup = new ObjectMapper().readTree(r.stdout()).path("archive").path("stats").path("deduplicated_size").asLong();
        return new Step(r, dedup, 0);
    }

    @Override
    public Step restore(Path target) throws IOException {
        Files.createDirectories(target);
        String last = new ObjectMapper().readTree(ChildRun.check(List.of(borg, "list", "--json", "--last", "1"),
                work, env, work.resolve("borg.log")).stdout()).path("archives").path(0).path("name").asText();
        ChildRun.Result r = ChildRun.check(List.of(borg, "extract", "::" + last), target, env, work.resolve("borg.log"));
        return new Step(r, 0, 0);
    }

    @Override
    public long repositoryBytes() throws IOException {
        return Tool.treeBytes(repo);
    }
}
