package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.protocol.PartInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Restores a complete checkpoint of a WPAR bit for bit. A directory checkpoint comes back as the same tree (modes, times, links); a file or stream checkpoint as one file, or on stdout with '--to -'.",
            "",
            "Every chunk is verified against its SHA-256 on the server and every part again here; the restore is written under a temporary name and moved into place only when all of it arrived intact. A damaged checkpoint fails with its id, part and byte offset, and leaves nothing behind."
        },
        footer = {
            "",
            "TIME is ISO-8601: 2026-11-26T14:00:00Z, 2026-11-26T14:00:00+01:00, or 2026-11-26T14:00:00 (no offset: this machine's time zone). --at picks the newest complete checkpoint taken at or before TIME.",
            "",
            "Examples:",
            "  ckpt restore --wpar web01 --latest --to /var/ckpt/web01/restore",
            "  ckpt restore --wpar web01 --at 2026-11-26T03:00:00Z --to /tmp/web01.img",
            "  ckpt restore --wpar web01 --id 42 --to - > web01.img",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused.",
            ""
        })
final class RestoreCommand extends ClientCommand {
    @Option(names = "--wpar", required = true, paramLabel = "NAME", description = "The WPAR to restore.")
    String wpar;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--id", paramLabel = "ID", description = "This checkpoint.")
        Long id;

        @Option(names = "--latest", description = "The newest complete checkpoint.")
        boolean latest;

        @Option(names = "--at", paramLabel = "TIME", description = "The newest complete checkpoint taken at or before TIME.")
        String at;

        @Option(names = "--last-known-good", description = "The newest complete checkpoint marked good (the LKG).")
        boolean lastKnownGood;
    }

    @Option(names = "--to", required = true, paramLabel = "DIR|FILE|-",
            description = "Where to restore: a directory that does not exist or is empty, a file, or '-' for stdout.")
    String to;

    @Option(names = "--force", description = "Overwrite an existing file (single-file checkpoints).")
    boolean force;

    @Option(names = "--json", description = "Print what was restored as JSON; no progress line.")
    boolean json;

    @Override
    int run() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode sel = m.createObjectNode().put("op", "select").put("wpar", wpar);
        if (which.id != null) {
            sel.put("id", which.id);
        } else if (which.lastKnownGood) {
            sel.put("last_known_good", true);
        } else if (which.at != null) {
            sel.put("at", TimeArgument.parse("--at", which.at).toString());
        } else {
            sel.put("latest", true);
        }
        try (CkptClient c = client.connect()) {
            JsonNode cp = c.request(sel).path("checkpoint");
            long id = cp.path("id").asLong();
            JsonNode parts = c.request(m.createObjectNode().put("op", "show").put("id", id)).path("parts");
            boolean single = parts.size() == 1 && !parts.get(0).path("type").asText().equals("directory")
                    && !parts.get(0).path("type").asText().equals("symlink");
            long total = cp.path("logical_bytes").asLong();
            Path dest = "-".equals(to) ? null : destination(Path.of(to), single, parts);
            if (!json) {
                err.printf("restoring checkpoint %d of WPAR %s taken at %s (%s)%n", id, wpar,
                        Units.utc(cp.path("taken_at").asText()), Units.bytes(total));
            }
            Progress progress = new Progress(err, !json && !"-".equals(to), "restoring", total);
            try {
                if ("-".equals(to)) {
                    if (!single) {
                        throw new CliException(ExitCode.USAGE, "checkpoint " + id + " is a directory of "
                                + parts.size() + " parts; give --to DIR");
                    }
                    c.restore(id, new StdoutWriter(System.out));
                    System.out.flush();
                } else {
                    TreeWriter w = new TreeWriter(dest, single, progress::add);
                    try {
                        c.restore(id, w);
                        w.finish();
                    } catch (IOException | RuntimeException e) {
                        w.discard();
                        throw e;
                    }
                    if (!json) {
                        progress.finish();
                        err.printf("restored to %s in %s (%s)%n", dest, Units.duration(progress.elapsedNanos()),
                                Units.rate(total, progress.elapsedNanos()));
                    }
                }
            } finally {
                progress.finish();
            }
            if (json) {
                ObjectNode o = m.createObjectNode();
                o.set("checkpoint", cp);
                o.put("to", to);
                o.put("duration_ms", progress.elapsedNanos() / 1_000_000);
                out.println(m.writeValueAsString(o));
            }
        }
        return ExitCode.OK;
    }

    private Path destination(Path to, boolean single, JsonNode parts) throws IOException {
        if (single) {
            if (Files.isDirectory(to)) {
                to = to.resolve(Path.of(parts.get(0).path("name").asText()).getFileName());
            }
            if (Files.exists(to, LinkOption.NOFOLLOW_LINKS) && !force) {
                throw new CliException(ExitCode.USAGE, to + " exists; give --force to overwrite it, or another --to");
            }
            if (Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
                throw new CliException(ExitCode.USAGE, to + " is a directory");
            }
            return to; // an existing file is replaced only once the restore has fully arrived
        }
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
                throw new CliException(ExitCode.USAGE, to + " exists and is not a directory");
            }
            try (Stream<Path> s = Files.list(to)) {
                if (s.findAny().isPresent()) {
                    throw new CliException(ExitCode.USAGE, "restore directory " + to
                            + " is not empty; give a new or empty directory");
                }
            }
        }
        return to;
    }


    /** Restore of a single-part checkpoint to stdout; verification as in {@link TreeWriter}. */
    private static final class StdoutWriter implements CkptClient.RestoreReceiver {
        private final WritableByteChannel out;
        private final java.security.MessageDigest sha = io.ckpt.chunk.ChunkDigest.sha256();
        private long written;

        StdoutWriter(OutputStream out) {
            this.out = Channels.newChannel(out);
        }

        @Override
        public void header(JsonNode checkpoint) {}

        @Override
        public void beginPart(PartInfo part) {
            sha.reset();
            written = 0;
        }

        @Override
        public void data(ByteBuffer bytes) throws IOException {
            written += bytes.remaining();
            sha.update(bytes.duplicate());
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        }

        @Override
        public void endPart(long length, byte[] sha256) throws IOException {
            if (written != length || !java.util.Arrays.equals(sha.digest(), sha256)) {
                throw new CliException(ExitCode.CORRUPT, "restore stream arrived damaged (SHA-256 mismatch): discard the output");
            }
        }
    }
}
