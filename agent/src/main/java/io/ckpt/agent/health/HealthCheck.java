package io.ckpt.agent.health;

import io.ckpt.agent.config.CommandTemplate;
import io.ckpt.agent.config.HealthCheckConfig;
import io.ckpt.agent.process.CommandResult;
import io.ckpt.agent.process.CommandRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A WPAR's health check: a command that must exit 0 and/or a process that must be running. Run
 * around checkpoints by the daemon, and after a restart by {@code io.ckpt.agent.restore}.
 */
public final class HealthCheck {
    /** The verdict, as stored with the checkpoint: good or bad, and why. */
    public record Verdict(String health, String reason) {
        public static final Verdict UNKNOWN = new Verdict("unknown", "");
        /** The server keeps at most 4096 characters of a reason; the tail says the most. */
        public static final int MAX_REASON = 4000;

        public Verdict {
            if (reason.length() > MAX_REASON) {
                reason = "..." + reason.substring(reason.length() - MAX_REASON + 3);
            }
        }

        public boolean good() {
            return "good".equals(health);
        }
    }

    private HealthCheck() {}

    /** What {@link #await} found: the last verdict and how many checks it took. */
    public record Waited(Verdict verdict, int checks) {}

    /**
     * Runs the check every {@code retry} until it passes or {@code wait} is over (at least once):
     * a restarted application may need a while before it answers healthy.
     */
    public static Waited await(HealthCheckConfig cfg, String wpar, Duration timeout, Duration wait, Duration retry) {
        long deadline = System.nanoTime() + wait.toNanos();
        int checks = 0;
        Verdict v;
        while (true) {
            v = run(cfg, wpar, timeout);
            checks++;
            long left = deadline - System.nanoTime();
            if (v.good() || left <= 0) {
                return new Waited(v, checks);
            }
            try {
                Thread.sleep(Math.min(retry.toMillis(), Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Waited(v, checks);
            }
        }
    }

    public static Verdict run(HealthCheckConfig cfg, String wpar, Duration timeout) {
        if (cfg.process().isPresent() && !processRunning(cfg.process().get())) {
            return new Verdict("bad", "process '" + cfg.process().get() + "' is not running");
        }
        if (cfg.command().isPresent()) {
            CommandTemplate t = cfg.command().get();
            try {
                CommandResult r = CommandRunner.run(t.render(Map.of(CommandTemplate.WPAR, wpar)), timeout, (Path) null);
                if (!r.ok()) {
                    return new Verdict("bad", "health check " + r.describe());
                }
            } catch (IOException e) {
                return new Verdict("bad", "health check could not run: " + e.getMessage());
            }
        }
        return new Verdict("good", "");
    }

    /**
     * Whether a process whose executable is named {@code name} runs on this host. Where the JDK
     * cannot tell a process's executable (AIX), {@code ps -e -o comm=} is asked instead.
     */
    static boolean processRunning(String name) {
        boolean[] known = {false};
        boolean found = ProcessHandle.allProcesses().anyMatch(p -> p.info().command().map(c -> {
            known[0] = true;
            return c.equals(name) || c.endsWith("/" + name);
        }).orElse(false));
        if (found || known[0]) {
            return found;
        }
        try {
            Process ps = new ProcessBuilder("ps", "-e", "-o", "comm=").redirectErrorStream(true).start();
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(ps.getInputStream())).lines()) {
                return lines.map(String::strip).anyMatch(c -> c.equals(name) || c.endsWith("/" + name));
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** Two verdicts on one checkpoint (before and after it) as one: bad beats good; unknown means not checked. */
    public static Verdict worse(Verdict a, Verdict b) {
        if ("bad".equals(a.health()) || "unknown".equals(b.health())) {
            return a;
        }
        if ("bad".equals(b.health()) || "unknown".equals(a.health())) {
            return b;
        }
        return a;
    }
}
