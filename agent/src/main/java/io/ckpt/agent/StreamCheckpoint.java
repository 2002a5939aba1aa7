package io.ckpt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.ckpt.agent.health.HealthCheck;
import io.ckpt.agent.config.AgentConfig;
import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.FilesystemConfig;
import io.ckpt.agent.config.SourceConfig;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.net.CkptClient;
import io.ckpt.agent.process.CommandRunner;
import io.ckpt.agent.upload.CheckpointSender;
import io.ckpt.agent.upload.PartSource;
import io.ckpt.protocol.Frame;
import io.ckpt.protocol.PartInfo;
import io.ckpt.protocol.PartType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One checkpoint of a WPAR with the stdout preset: the checkpoint command's output (and each
 * streamed file system's) goes straight to the server as it is produced, never to local disk, so
 * there is nothing to spool and nothing to retry: a failed run is a failed checkpoint.
 */
final class StreamCheckpoint {
    private static final Logger log = LoggerFactory.getLogger(StreamCheckpoint.class);

    private final AgentConfig config;

    StreamCheckpoint(AgentConfig config) {
        this.config = config;
    }

    /** The stdout preset: the command's output goes straight to the server, never to local disk. */
    RunRecord run(WparConfig w, SourceConfig.Stdout s, Instant started, String kind) throws IOException {
        long t0 = System.nanoTime();
        Path logfile = config.stateDir().resolve("logs").resolve(w.name() + ".log");
        Files.createDirectories(logfile.getParent());
        HealthCheck.Verdict health = w.health().filter(h -> h.when().before())
                .map(h -> HealthCheck.run(h, w.name(), w.timeouts().health())).orElse(HealthCheck.Verdict.UNKNOWN);
        Map<String, String> vars = Map.of(CommandTemplate.WPAR, w.name(), CommandTemplate.LOGFILE, logfile.toString());
        long now = started.toEpochMilli();
        List<CheckpointSender.Part> parts = new ArrayList<>();
        parts.add(new CheckpointSender.Part(new PartInfo("state", PartType.DIRECTORY, 0700, now, ""), null));
        parts.add(new CheckpointSender.Part(new PartInfo("state/image", PartType.STREAM, 0600, now, ""),
                () -> CommandRunner.open(s.command().render(vars), w.timeouts().checkpoint())));
        for (FilesystemConfig fs : w.filesystems()) {
            if (fs instanceof FilesystemConfig.Stream fss) {
                parts.add(new CheckpointSender.Part(new PartInfo("fs/" + fss.name(), PartType.STREAM, 0600, now, ""),
                        () -> CommandRunner.open(fss.command().render(vars), w.timeouts().filesystem())));
            } else if (fs instanceof FilesystemConfig.Directory d) {
                PartSource.scan(d.directory(), "fs/" + d.name() + "/", p -> log.warn("WPAR {}: skipping {}", w.name(), p))
                        .forEach(p -> parts.add(CheckpointSender.Part.of(p)));
            }
        }
        if (w.health().isPresent() && w.health().get().when().after()) {
            health = HealthCheck.worse(health, HealthCheck.run(w.health().get(), w.name(), w.timeouts().health()));
        }
        AgentConfig c = config;
        AtomicLong sent = new AtomicLong();
        JsonNode result;
        try (CkptClient client = CkptClient.connect(c.server().toString(), c.hostId(), c.serverAuth().credentials())) {
            result = CheckpointSender.send(client, new Frame.UploadBegin(w.name(), now, kind,
                    Frame.UploadBegin.MODE_STREAM, List.of(), UUID.randomUUID().toString(), health.health(),
                    health.reason()), parts, sent::addAndGet, CheckpointSender.Mode.parse(c.upload().modeFor(false)), log::info);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long id = result.path("id").asLong();
        log.info("WPAR {} checkpoint {} streamed in {} ms: {} bytes sent, health {}", w.name(), id, ms, sent.get(), health.health());
        return new RunRecord(w.name(), started, ms, RunRecord.UPLOADED, id, sent.get(), health.health(), health.reason());
    }
}
