package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.agent.upload.PartSource;
import io.ckpt.protocol.NameLimits;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "push",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Uploads a checkpoint image of a WPAR: one file, a statefile directory, or a stream on stdin ('-'). The server stores each distinct chunk once; the checkpoint becomes visible only when every byte is durable. Prints the new checkpoint's id on stdout (a summary goes to stderr); ids are unique across the datastore.",
            "",
            "When the server already runs its most uploads at once (ckpt server --max-uploads), the upload waits its turn and 'waiting for an upload slot (N ahead)' is printed on stderr as the queue moves; a full queue or a wait past the server's --upload-wait is refused as 'server busy' (exit 1).",
            "",
            "A directory is sent as every regular file, directory and symbolic link in it, with relative paths, permission bits and modification times; links are stored as links, never followed. Other file types (sockets, devices, FIFOs) are skipped with a warning.",
            "",
            "Files and directories go in delta mode by default: the client cuts them into chunks, asks the server which ones it lacks and sends only those, so a checkpoint that differs little from the previous one sends little. A stream on stdin goes in stream mode (the server cuts it). A server that does not speak delta mode (protocol version 1) gets stream mode, with a one-line notice."
        },
        footer = {
            "",
            "Examples:",
            "  ckpt push --wpar web01 /var/ckpt/web01/state",
            "  tar -C /wpars/web01 -cf - . | ckpt push --wpar web01 --name rootfs.tar -",
            "  ckpt push --wpar web01 --rate-limit 50MiB/s /var/ckpt/web01/state",
            "  ckpt push --wpar db01 --taken-at 2026-11-01T03:00:00Z \\",
            "            --label imported=yes old.img",
            "  ckpt push --wpar db01 --mode stream db01.img     # send every byte",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 9 not authenticated.",
            ""
        })
final class PushCommand extends ClientCommand {
    @Option(names = "--wpar", required = true, paramLabel = "NAME", description = "The WPAR this checkpoint belongs to.")
    String wpar;

    @Option(names = "--taken-at", paramLabel = "TIME",
            description = "When the checkpoint was taken (default: now), for importing older statefiles: ISO-8601"
                    + " (2026-11-01T03:00:00Z; without an offset in local time) or relative (2h ago, yesterday 14:00).")
    String takenAt;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label to attach; repeatable.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--kind", paramLabel = "KIND", defaultValue = "manual",
            description = "Checkpoint kind: manual, scheduled, final, ... (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "stdin",
            description = "Part name for a stream read from stdin (default: ${DEFAULT-VALUE}).")
    String streamName;

    @Option(names = "--key", paramLabel = "KEY",
            description = "Idempotency key: a push repeated with the same key and WPAR (a retry after a lost answer) does"
                    + " not store a second checkpoint but prints the first one's id.")
    String key = "";

    @Option(names = "--health", paramLabel = "HEALTH", defaultValue = "unknown",
            description = "Health to record: good, bad or unknown (default: ${DEFAULT-VALUE}).")
    String health;

    @Option(names = "--rate-limit", paramLabel = "RATE", defaultValue = "off",
            description = "Send no faster than this, e.g. 50MiB/s or 512KiB/s (default: ${DEFAULT-VALUE}). The server may"
                    + " also cap each host (ckpt server --host-upload-rate).")
    String rateLimit;

    @Option(names = "--mode", paramLabel = "MODE",
            description = "Upload mode: 'delta' (send only the chunks the server lacks) or 'stream' (send every byte;"
                    + " the server chunks). Default: delta for a file or directory, stream for stdin.")
    String mode;

    @Option(names = "--json", description = "Print the new checkpoint as JSON (id, sizes, duration, upload_mode, bytes_sent: the bytes"
                    + " that crossed the wire); no progress line.")
    boolean json;

    @Parameters(index = "0", paramLabel = "PATH|-", description = "File or directory to upload, or '-' for stdin.")
    String path;

    @Override
    int run() throws Exception {
        checkNames();
        long taken = parseTakenAt();
        List<PartSource> entries;
        try {
            entries = "-".equals(path) ? List.of() : PartSource.scan(Path.of(path), "",
                    p -> err.println("ckpt: warning: skipping " + TerminalText.of(p.toString()) + ": not a regular file, directory or symbolic link"));
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCode.NOT_FOUND, "no such file or directory: " + path);
        }
        CheckpointSender.Mode uploadMode;
        try {
            uploadMode = mode != null ? CheckpointSender.Mode.parse(mode)
                    : "-".equals(path) ? CheckpointSender.Mode.STREAM : CheckpointSender.Mode.DELTA;
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.USAGE, "--mode: " + e.getMessage());
        }
        long total = entries.stream().mapToLong(PartSource::size).sum();
        Progress progress = new Progress(err, !json, "uploading", "-".equals(path) ? 0 : total);
        JsonNode result;
        long rate;
        try {
            rate = io.ckpt.agent.config.ByteRate.parse(rateLimit).bytesPerSecond();
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.USAGE, "--rate-limit " + e.getMessage());
        }
        try (CkptClient c = client.connect()) {
            c.rateLimit(rate);
            // Over the server's --max-uploads the upload waits its turn; say so, so a quiet terminal is not a hang.
            c.onUploadWait(ahead -> err.println("ckpt: waiting for an upload slot (" + ahead + " ahead)"));
            List<CheckpointSender.Part> parts = "-".equals(path)
                    ? List.of(new CheckpointSender.Part(new PartInfo(streamName, PartType.STREAM, 0600, taken, ""), () -> System.in))
                    : entries.stream().map(CheckpointSender.Part::of).toList();
            try {
                result = CheckpointSender.send(c, new io.ckpt.protocol.Frame.UploadBegin(wpar, taken, kind,
                        io.ckpt.protocol.Frame.UploadBegin.MODE_STREAM, labels, key, health, ""), parts, progress::add,
                        uploadMode, notice -> {
                            progress.finish();
                            err.println(notice);
                        });
            } finally {
                progress.finish();
            }
        }
        return report(result, progress);
    }

    private int report(JsonNode result, Progress progress) throws IOException {
        long elapsed = progress.elapsedNanos();
        if (json) {
            ObjectNode o = ((ObjectNode) result).deepCopy();
            o.put("duration_ms", elapsed / 1_000_000);
            o.put("new_stored_bytes", result.path("stored_bytes").asLong());
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            long logical = result.path("logical_bytes").asLong();
            long stored = result.path("stored_bytes").asLong();
            if (result.path("duplicate").asBoolean(false)) {
                err.printf("checkpoint %d of WPAR %s already holds key %s; nothing sent%n",
                        result.path("id").asLong(), wpar, key);
                out.println(result.path("id").asLong());
                return ExitCode.OK;
            }
            err.printf("checkpoint %d of WPAR %s: %s in %d part(s), %s new stored (%.1f%%), %s at %s%s%n",
                    result.path("id").asLong(), wpar, Units.bytes(logical), result.path("parts").asInt(),
                    Units.bytes(stored), logical == 0 ? 0.0 : stored * 100.0 / logical,
                    Units.duration(elapsed), Units.rate(logical, elapsed),
                    "delta".equals(result.path("upload_mode").asText())
                            ? ", delta mode: " + Units.bytes(result.path("bytes_sent").asLong()) + " of chunks sent" : "");
            out.println(result.path("id").asLong());
        }
        return ExitCode.OK;
    }

    /** Refuses names longer than the server accepts before anything is read or sent (exit 2). */
    private void checkNames() throws CliException {
        ClientOptions.checkLength("--wpar", wpar, NameLimits.MAX_WPAR);
        ClientOptions.checkLength("--kind", kind, NameLimits.MAX_KIND);
        ClientOptions.checkLength("--key", key, NameLimits.MAX_UPLOAD_KEY);
        if (labels.size() > NameLimits.MAX_LABELS) {
            throw new CliException(ExitCode.USAGE, labels.size() + " --label options; the server accepts at most "
                    + NameLimits.MAX_LABELS);
        }
        for (String l : labels) {
            ClientOptions.checkLength("--label", l, NameLimits.MAX_LABEL_LENGTH);
        }
    }

    private long parseTakenAt() throws CliException {
        return takenAt == null ? System.currentTimeMillis() : TimeArgument.parse("--taken-at", takenAt).toEpochMilli();
    }

}
