package io.ckpt.agent.config;

import io.ckpt.agent.schedule.Cadence;
import io.ckpt.agent.schedule.CronExpression;
import io.ckpt.agent.schedule.SkipWindow;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The schema of the agent's config file, top level and the parts shared by {@code defaults} and each WPAR
 * ({@code schedule}, {@code timeouts}); {@link WparParser} reads the WPARs.
 */
final class ConfigParser {
    private static final Set<String> TOP = Set.of("server", "host-id", "credentials", "state-dir", "control", "spool",
            "upload", "defaults", "wpars");
    private static final Set<String> SERVER = Set.of("address", "tls-ca", "token-file", "tls-cert");
    private static final Set<String> SPOOL = Set.of("max-bytes", "max-checkpoints", "max-checkpoints-per-wpar");
    private static final Set<String> UPLOAD = Set.of("retries", "backoff", "max-backoff", "rate-limit", "mode");
    private static final Set<String> DEFAULTS = Set.of("schedule", "timeouts");
    private static final Set<String> SCHEDULE = Set.of("interval", "cron", "jitter", "skip");
    private static final Set<String> TIMEOUTS = Set.of("checkpoint", "filesystem", "health", "restart");

    /** Most WPARs one agent runs: far more than a host holds, few enough to schedule and report on. */
    static final int MAX_WPARS = 1024;

    private final String file;
    private final HostEnvironment env;

    ConfigParser(String file, HostEnvironment env) {
        this.file = file;
        this.env = env;
    }

    AgentConfig parse(YamlNode root) throws ConfigException {
        Section top = Section.root(file, root, TOP);
        Endpoint server = server(top);
        ServerAuth serverAuth = serverAuth(top);
        String hostId = hostId(top);
        Optional<ConfigValue> credentials = top.get("credentials");
        if (credentials.isPresent()) {
            credentials.get().requireMapping();
        }
        Path stateDir = absolutePath(top.require("state-dir", "the directory for the spool and working files"));
        Endpoint control = top.get("control").isPresent() ? top.get("control").get().parse(Endpoint::parse)
                : AgentConfig.DEFAULT_CONTROL;
        SpoolLimits spool = spool(top.get("spool"));
        UploadPolicy upload = upload(top.get("upload"));

        ScheduleConfig defaultSchedule = ScheduleConfig.DEFAULT;
        Timeouts defaultTimeouts = Timeouts.DEFAULT;
        if (top.has("defaults")) {
            Section defaults = top.get("defaults").get().section(DEFAULTS);
            defaultSchedule = schedule(defaults.get("schedule"), defaultSchedule);
            defaultTimeouts = timeouts(defaults.get("timeouts"), defaultTimeouts);
        }

        ConfigValue wparList = top.require("wpars", "the WPARs to checkpoint, a list of at least one");
        List<ConfigValue> items = wparList.list();
        if (items.isEmpty()) {
            throw wparList.error("at least one WPAR is required");
        }
        if (items.size() > MAX_WPARS) {
            throw wparList.error(items.size() + " WPARs, more than the limit of " + MAX_WPARS + " for one agent");
        }
        List<WparConfig> wpars = new WparParser(this, defaultSchedule, defaultTimeouts).parse(items);
        return new AgentConfig(server, hostId, stateDir, control, spool, upload, wpars, serverAuth);
    }

    private Endpoint server(Section top) throws ConfigException {
        if (top.has("server")) {
            ConfigValue v = top.get("server").get();
            if (v.isMapping()) {
                Section s = v.section(SERVER);
                if (s.has("address")) {
                    return s.get("address").get().parse(Endpoint::parse);
                }
                return defaultServer(top);
            }
            return v.parse(Endpoint::parse);
        }
        return defaultServer(top);
    }

    /** {@code server.tls-ca}, {@code server.token-file}, {@code server.tls-cert}: absolute paths, read when connecting. */
    private ServerAuth serverAuth(Section top) throws ConfigException {
        if (!top.has("server") || !top.get("server").get().isMapping()) {
            return ServerAuth.NONE;
        }
        Section s = top.get("server").get().section(SERVER);
        Path ca = s.has("tls-ca") ? absolutePath(s.get("tls-ca").get()) : null;
        Path token = s.has("token-file") ? absolutePath(s.get("token-file").get()) : null;
        Path cert = s.has("tls-cert") ? absolutePath(s.get("tls-cert").get()) : null;
        if (cert != null && (ca == null || token == null)) {
            throw s.error("tls-cert", "a client certificate needs tls-ca and token-file too (the token protects it)");
        }
        return new ServerAuth(ca, token, cert);
    }

    private Endpoint defaultServer(Section top) throws ConfigException {
        if (env.serverVariable().isPresent()) {
            try {
                return Endpoint.parse(env.serverVariable().get());
            } catch (IllegalArgumentException e) {
                throw top.error("server", "not set, and $CKPT_SERVER is not usable: " + e.getMessage());
            }
        }
        return AgentConfig.DEFAULT_SERVER;
    }

    private String hostId(Section top) throws ConfigException {
        if (top.has("host-id")) {
            ConfigValue v = top.get("host-id").get();
            String id = v.text();
            if (id.isEmpty() || id.length() > 255 || id.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw v.error("'" + id + "' is not a host id: use 1 to 255 characters without spaces");
            }
            return id;
        }
        return env.hostName().get().orElseThrow(() -> top.error("host-id", "not set, and the hostname cannot be found: set host-id"));
    }

    private SpoolLimits spool(Optional<ConfigValue> value) throws ConfigException {
        if (value.isEmpty()) {
            return SpoolLimits.DEFAULT;
        }
        Section s = value.get().section(SPOOL);
        ByteSize maxBytes = SpoolLimits.DEFAULT.maxBytes();
        if (s.has("max-bytes")) {
            ConfigValue v = s.get("max-bytes").get();
            maxBytes = v.parse(ByteSize::parse);
            if (maxBytes.bytes() == 0) {
                throw v.error("must be more than 0");
            }
        }
        int maxCheckpoints = s.has("max-checkpoints") ? s.get("max-checkpoints").get().integer(1, 100_000)
                : SpoolLimits.DEFAULT.maxCheckpoints();
        int perWpar = s.has("max-checkpoints-per-wpar") ? s.get("max-checkpoints-per-wpar").get().integer(1, 100_000)
                : maxCheckpoints;
        return new SpoolLimits(maxBytes, maxCheckpoints, perWpar);
    }

    private UploadPolicy upload(Optional<ConfigValue> value) throws ConfigException {
        if (value.isEmpty()) {
            return UploadPolicy.DEFAULT;
        }
        Section s = value.get().section(UPLOAD);
        int retries = s.has("retries") ? s.get("retries").get().integer(0, 100) : UploadPolicy.DEFAULT.retries();
        Duration backoff = UploadPolicy.DEFAULT.backoff();
        if (s.has("backoff")) {
            backoff = atLeast(s.get("backoff").get(), Duration.ofSeconds(1));
        }
        Duration maxBackoff = UploadPolicy.DEFAULT.maxBackoff();
        if (s.has("max-backoff")) {
            maxBackoff = duration(s.get("max-backoff").get());
        }
        if (maxBackoff.compareTo(backoff) < 0) {
            ConfigValue at = s.get("max-backoff").orElseGet(() -> s.get("backoff").get());
            throw at.error("max-backoff " + DurationSyntax.format(maxBackoff) + " is less than backoff "
                    + DurationSyntax.format(backoff));
        }
        ByteRate rateLimit = s.has("rate-limit") ? s.get("rate-limit").get().parse(ByteRate::parse) : ByteRate.OFF;
        String mode = UploadPolicy.AUTO;
        if (s.has("mode")) {
            ConfigValue m = s.get("mode").get();
            mode = m.text();
            if (!List.of("stream", "delta", UploadPolicy.AUTO).contains(mode)) {
                throw m.error("mode '" + mode + "' is not stream, delta or auto");
            }
        }
        return new UploadPolicy(retries, backoff, maxBackoff, rateLimit, mode);
    }

    /** A {@code schedule:} mapping over what it inherits; absent: the inherited schedule. */
    ScheduleConfig schedule(Optional<ConfigValue> value, ScheduleConfig inherited) throws ConfigException {
        if (value.isEmpty()) {
            return inherited;
        }
        Section s = value.get().section(SCHEDULE);
        Optional<ConfigValue> interval = s.get("interval");
        Optional<ConfigValue> cron = s.get("cron");
        if (interval.isPresent() && cron.isPresent()) {
            ConfigValue later = before(interval.get(), cron.get()) ? cron.get() : interval.get();
            throw later.error("set interval or cron, not both");
        }
        Cadence cadence = inherited.cadence();
        if (interval.isPresent()) {
            cadence = new Cadence.Every(atLeast(interval.get(), Duration.ofSeconds(1)));
        } else if (cron.isPresent()) {
            cadence = new Cadence.Cron(cron.get().parse(CronExpression::parse));
        }
        Duration jitter = s.has("jitter") ? duration(s.get("jitter").get()) : inherited.jitter();
        List<SkipWindow> skip = inherited.skip();
        if (s.has("skip")) {
            ConfigValue skipValue = s.get("skip").get();
            List<SkipWindow> windows = new ArrayList<>();
            for (ConfigValue w : skipValue.list()) {
                windows.add(w.parse(SkipWindow::parse));
            }
            try {
                SkipWindow.requireTimeToRun(windows);
            } catch (IllegalArgumentException e) {
                throw skipValue.error(e.getMessage());
            }
            skip = windows;
        }
        return new ScheduleConfig(cadence, jitter, skip);
    }

    /** A {@code timeouts:} mapping over what it inherits, key by key. */
    Timeouts timeouts(Optional<ConfigValue> value, Timeouts inherited) throws ConfigException {
        if (value.isEmpty()) {
            return inherited;
        }
        Section s = value.get().section(TIMEOUTS);
        Duration oneSecond = Duration.ofSeconds(1);
        return new Timeouts(
                s.has("checkpoint") ? atLeast(s.get("checkpoint").get(), oneSecond) : inherited.checkpoint(),
                s.has("filesystem") ? atLeast(s.get("filesystem").get(), oneSecond) : inherited.filesystem(),
                s.has("health") ? atLeast(s.get("health").get(), oneSecond) : inherited.health(),
                s.has("restart") ? atLeast(s.get("restart").get(), oneSecond) : inherited.restart());
    }

    Duration duration(ConfigValue v) throws ConfigException {
        return v.parse(DurationSyntax::parse);
    }

    Duration atLeast(ConfigValue v, Duration min) throws ConfigException {
        Duration d = duration(v);
        if (d.compareTo(min) < 0) {
            throw v.error("must be at least " + DurationSyntax.format(min));
        }
        return d;
    }

    Path absolutePath(ConfigValue v) throws ConfigException {
        Path p = v.parse(Path::of);
        if (!p.isAbsolute()) {
            throw v.error("'" + p + "' is not an absolute path");
        }
        return p.normalize();
    }

    CommandTemplate template(ConfigValue v, Set<String> placeholders) throws ConfigException {
        String text = v.nonBlankText();
        try {
            return CommandTemplate.parse(text, placeholders);
        } catch (IllegalArgumentException e) {
            throw v.error(e.getMessage());
        }
    }

    private static boolean before(ConfigValue a, ConfigValue b) {
        return a.mark().line() < b.mark().line()
                || a.mark().line() == b.mark().line() && a.mark().column() < b.mark().column();
    }
}
