package io.ckpt.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.WparConfig;
import io.ckpt.agent.process.CommandResult;
import io.ckpt.agent.process.CommandRunner;
import io.ckpt.agent.spool.Spool;
import io.ckpt.agent.spool.SpoolEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A final checkpoint taken (the WPAR stopped) whose upload failed (issue 20, defect 6): the move
 * cannot go on, so the WPAR is restarted here from the spooled copy of that checkpoint, which
 * holds exactly the state it stopped with (parts/state and parts/fs/NAME, the layout of a
 * restore). The entry is claimed meanwhile, so neither the uploader nor the spool limits touch
 * it; it stays spooled and is uploaded later. The answer says what runs: {@code wpar_state}
 * {@code running}, {@code stopped} (no restart command, or it failed) or {@code unknown} (the
 * restart was killed by its timeout or interrupted).
 */
final class StrandedFinal {
    private static final Logger log = LoggerFactory.getLogger(StrandedFinal.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private StrandedFinal() {}

    /** {@code claimHeld}: the caller holds the entry's claim (left by a failed {@link Uploader#uploadNow}); released here. */
    static ObjectNode restart(WparConfig w, SpoolEntry e, Spool spool, Path logDir, IOException uploadFailure,
            boolean claimHeld) {
        String why = "final checkpoint taken (WPAR " + w.name() + " stopped) but its upload failed: " + uploadFailure.getMessage();
        ObjectNode out = JSON.createObjectNode().put("ok", false);
        if (w.restart().isEmpty()) {
            if (claimHeld) {
                spool.release(e); // the uploader may retry the entry now
            }
            log.error("{}; no restart command in the agent config, so it stays STOPPED; the checkpoint stays spooled", why);
            return out.put("wpar_state", "stopped").put("detail", why + "; WPAR " + w.name()
                    + " is STOPPED (no restart command to restart it from the spooled copy); the checkpoint stays spooled");
        }
        if (!claimHeld && !spool.claim(e)) { // the uploader sends it right now: leave it, it is not ours to restart from
            return out.put("wpar_state", "stopped").put("detail", why + "; WPAR " + w.name() + " is STOPPED: its spooled"
                    + " final checkpoint is being uploaded again by the uploader");
        }
        try {
            Path logfile = logDir.resolve(w.name() + ".log");
            CommandResult r;
            try {
                r = CommandRunner.run(w.restart().get().render(Map.of(CommandTemplate.WPAR, w.name(),
                        CommandTemplate.STATEDIR, e.parts().resolve("state").toString(),
                        CommandTemplate.LOGFILE, logfile.toString())), w.timeouts().restart(), logfile);
            } catch (IOException ex) {
                boolean interrupted = Thread.currentThread().isInterrupted();
                return out.put("wpar_state", interrupted ? "unknown" : "stopped").put("detail", why
                        + "; the restart from the spooled copy could not run: " + ex.getMessage());
            }
            if (r.ok()) {
                log.warn("{}; WPAR {} restarted here from the spooled copy; it stays spooled for upload", why, w.name());
                return out.put("wpar_state", "running").put("detail", why + "; WPAR " + w.name()
                        + " restarted here from that checkpoint (spooled copy), which stays spooled for upload");
            }
            log.error("{}; the restart from the spooled copy failed: {}", why, r.describe());
            return out.put("wpar_state", r.timedOut() ? "unknown" : "stopped").put("detail", why + "; the restart from the"
                    + " spooled copy failed (" + r.describe() + "): WPAR " + w.name() + " is "
                    + (r.timedOut() ? "in an unknown state" : "STOPPED"));
        } finally {
            spool.release(e);
        }
    }
}
