package io.ckpt.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.agent.schedule.Cadence;
import io.ckpt.agent.schedule.CronExpression;
import io.ckpt.agent.schedule.SkipWindow;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    private static final HostEnvironment ENV = HostEnvironment.of(null, "node1");

    static AgentConfig parse(String yaml) throws ConfigException {
        return AgentConfig.parse("agent.yaml", yaml, ENV);
    }

    private static Path example() throws URISyntaxException {
        return Path.of(AgentConfigTest.class.getResource("/agent-example.yaml").toURI());
    }

    @Test
    void documentedExampleLoadsWithEveryValue() throws Exception {
        AgentConfig c = AgentConfig.load(example(), ENV);
        assertEquals(new Endpoint("backup.example.net", 7420), c.server());
        assertEquals("aixnode1", c.hostId());
        assertEquals(Path.of("/var/lib/ckpt-agent"), c.stateDir());
        assertEquals(new Endpoint("127.0.0.1", 7430), c.control());
        assertEquals(new SpoolLimits(ByteSize.parse("10GiB"), 24), c.spool());
        assertEquals(new UploadPolicy(5, Duration.ofSeconds(2), Duration.ofMinutes(5)), c.upload());
        assertEquals(List.of("web01", "db01", "cache01", "files01"), c.wpars().stream().map(WparConfig::name).toList());

        WparConfig web = c.wpar("web01").orElseThrow();
        assertEquals(new ScheduleConfig(new Cadence.Every(Duration.ofMinutes(30)), Duration.ofMinutes(5),
                List.of(SkipWindow.parse("01:00-03:00"))), web.schedule());
        SourceConfig.Aix aix = assertInstanceOf(SourceConfig.Aix.class, web.source());
        assertTrue(aix.paused());
        assertEquals(SourceConfig.Aix.PAUSED_COMMAND, aix.command().text());
        assertEquals(Optional.of("/usr/local/sbin/resume-wpar {wpar}"), aix.resumeCommand().map(CommandTemplate::text));
        assertEquals(List.of(
                new FilesystemConfig.Stream("root", CommandTemplate.parse("tar -C /wpars/web01 -cf - .", FilesystemConfig.PLACEHOLDERS)),
                new FilesystemConfig.Directory("data", Path.of("/wpars/web01/data"))), web.filesystems());
        HealthCheckConfig health = web.health().orElseThrow();
        assertEquals(Optional.of("curl -fsS http://127.0.0.1:8080/health"), health.command().map(CommandTemplate::text));
        assertEquals(Optional.of("httpd"), health.process());
        assertEquals(HealthCheckConfig.When.BOTH, health.when());
        assertEquals(Optional.of(SourceConfig.Aix.DEFAULT_RESTART), web.restart().map(CommandTemplate::text));
        assertEquals(Optional.of("/usr/local/sbin/stop-wpar {wpar}"), web.stop().map(CommandTemplate::text));
        assertEquals(new Timeouts(Duration.ofMinutes(20), Duration.ofMinutes(30), Duration.ofSeconds(60), Duration.ofMinutes(10)),
                web.timeouts());

        WparConfig db = c.wpar("db01").orElseThrow();
        assertEquals(new ScheduleConfig(new Cadence.Cron(CronExpression.parse("*/15 * * * *")), Duration.ZERO,
                List.of(SkipWindow.parse("22:00-02:00"))), db.schedule());
        SourceConfig.Command command = assertInstanceOf(SourceConfig.Command.class, db.source());
        assertEquals(List.of("/usr/local/bin/dump-db", "--out", "/s", "--log", "/l", "--name", "db01"),
                command.command().render(Map.of("statedir", "/s", "logfile", "/l", "wpar", "db01")));
        assertEquals(Optional.empty(), db.restart());
        assertEquals(Optional.empty(), db.stop());
        assertEquals(Timeouts.DEFAULT, db.timeouts());

        WparConfig cache = c.wpar("cache01").orElseThrow();
        assertEquals(new ScheduleConfig(new Cadence.Every(Duration.ofHours(1)), Duration.ofMinutes(5), List.of()), cache.schedule());
        SourceConfig.Stdout stdout = assertInstanceOf(SourceConfig.Stdout.class, cache.source());
        assertEquals(List.of("/usr/local/bin/snapshot-cache", "--to-stdout", "--log", "/l", "cache01"),
                stdout.command().render(Map.of("logfile", "/l", "wpar", "cache01")));
        assertEquals(new HealthCheckConfig(Optional.empty(), Optional.of("memcached"), HealthCheckConfig.When.AFTER),
                cache.health().orElseThrow());

        WparConfig files = c.wpar("files01").orElseThrow();
        assertEquals(new Cadence.Cron(CronExpression.parse("@daily")), files.schedule().cadence());
        assertEquals(new SourceConfig.Directory(Path.of("/srv/files01")), files.source());
    }

    @Test
    void serverMappingGivesAddressCaTokenFileAndClientCertificate() throws Exception {
        AgentConfig c = parse("""
                server:
                  address: ckpt.example.org:7420
                  tls-ca: /etc/ckpt/ca.crt
                  token-file: /etc/ckpt/token
                  tls-cert: /etc/ckpt/node1.p12
                state-dir: /var/lib/ckpt-agent
                wpars:
                  - name: web01
                    source: { preset: aix }
                """);
        assertEquals(new Endpoint("ckpt.example.org", 7420), c.server());
        assertEquals(new ServerAuth(Path.of("/etc/ckpt/ca.crt"), Path.of("/etc/ckpt/token"), Path.of("/etc/ckpt/node1.p12")),
                c.serverAuth());
        AgentConfig plain = parse("""
                server: 10.0.0.1:7420
                state-dir: /var/lib/ckpt-agent
                wpars:
                  - name: web01
                    source: { preset: aix }
                """);
        assertEquals(ServerAuth.NONE, plain.serverAuth(), "a scalar server is an address without TLS or credential");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> parse("""
                server: { address: "h:1", tls-cert: /etc/ckpt/node1.p12 }
                state-dir: /var/lib/ckpt-agent
                wpars:
                  - name: web01
                    source: { preset: aix }
                """));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("needs tls-ca and token-file"), e.getMessage());
    }

    @Test
    void minimalConfigGetsEveryDefault() throws Exception {
        AgentConfig c = parse("""
                state-dir: /var/lib/ckpt-agent
                wpars:
                  - name: web01
                    source: { preset: aix }
                """);
        assertEquals(AgentConfig.DEFAULT_SERVER, c.server());
        assertEquals("node1", c.hostId());
        assertEquals(AgentConfig.DEFAULT_CONTROL, c.control());
        assertEquals(SpoolLimits.DEFAULT, c.spool());
        assertEquals(new SpoolLimits(new ByteSize(10L << 30), 24), c.spool());
        assertEquals(UploadPolicy.DEFAULT, c.upload());
        WparConfig web = c.wpars().get(0);
        assertEquals(new ScheduleConfig(new Cadence.Every(Duration.ofHours(1)), Duration.ZERO, List.of()), web.schedule());
        assertEquals(new SourceConfig.Aix(CommandTemplate.parse(SourceConfig.Aix.DEFAULT_COMMAND, SourceConfig.STATEDIR_PLACEHOLDERS),
                false, Optional.empty()), web.source());
        assertEquals(List.of("/opt/mcr/bin/chkptwpar", "-d", "/st", "-o", "/log", "web01"),
                ((SourceConfig.Aix) web.source()).command().render(Map.of("statedir", "/st", "logfile", "/log", "wpar", "web01")));
        assertEquals(Optional.of(SourceConfig.Aix.DEFAULT_RESTART), web.restart().map(CommandTemplate::text));
        assertEquals(Optional.empty(), web.stop(), "no stop command unless configured, also for aix");
        assertEquals(List.of(), web.filesystems());
        assertEquals(Optional.empty(), web.health());
        assertEquals(new Timeouts(Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofSeconds(60), Duration.ofMinutes(10)),
                web.timeouts());
    }

    @Test
    void serverDefaultsToTheEnvironmentVariable() throws Exception {
        AgentConfig c = AgentConfig.parse("agent.yaml", "state-dir: /s\nwpars: [{name: a, source: {preset: aix}}]\n",
                HostEnvironment.of("backup:7000", "node1"));
        assertEquals(new Endpoint("backup", 7000), c.server());
    }

    @Test
    void defaultsApplyKeyByKeyUnderWparOverrides() throws Exception {
        AgentConfig c = parse("""
                state-dir: /s
                defaults:
                  schedule: { cron: "0 * * * *", jitter: 5m, skip: ["01:00-02:00"] }
                  timeouts: { health: 5s }
                wpars:
                  - name: a
                    source: { preset: aix }
                  - name: b
                    source: { preset: aix }
                    schedule: { interval: 2h30m }
                    timeouts: { checkpoint: 1h }
                """);
        WparConfig a = c.wpars().get(0);
        assertEquals(new ScheduleConfig(new Cadence.Cron(CronExpression.parse("0 * * * *")), Duration.ofMinutes(5),
                List.of(SkipWindow.parse("01:00-02:00"))), a.schedule());
        assertEquals(Duration.ofSeconds(5), a.timeouts().health());
        WparConfig b = c.wpars().get(1);
        assertEquals(new ScheduleConfig(new Cadence.Every(Duration.ofMinutes(150)), Duration.ofMinutes(5),
                List.of(SkipWindow.parse("01:00-02:00"))), b.schedule());
        assertEquals(new Timeouts(Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofSeconds(5), Duration.ofMinutes(10)),
                b.timeouts());
    }

    /**
     * How long a restart's health check is repeated (issue 20): a minute unless the WPAR says, so a
     * slowly starting application does not get a good checkpoint marked bad after one early check.
     */
    @Test
    void healthWaitIsAMinuteByDefaultAndSetPerWpar() throws Exception {
        AgentConfig c = parse("""
                state-dir: /s
                wpars:
                  - name: a
                    source: { preset: aix }
                    health: { process: httpd }
                  - name: b
                    source: { preset: aix }
                    health: { process: httpd, wait: 5m }
                """);
        assertEquals(Duration.ofSeconds(60), c.wpars().get(0).health().orElseThrow().restartWait());
        assertEquals(Duration.ofMinutes(5), c.wpars().get(1).health().orElseThrow().restartWait());
    }

    @Test
    void emptyValuesCountAsLeftOut() throws Exception {
        AgentConfig c = parse("server:\ncredentials:\nstate-dir: /s\nspool: ~\nwpars: [{name: a, source: {preset: aix}, health: }]\n");
        assertEquals(AgentConfig.DEFAULT_SERVER, c.server());
        assertEquals(Optional.empty(), c.wpars().get(0).health());
    }

    @Test
    void credentialsAreAcceptedAndIgnored() throws Exception {
        parse("credentials: { token-file: /etc/ckpt/token, anything: [1, 2] }\nstate-dir: /s\nwpars: [{name: a, source: {preset: aix}}]\n");
    }

    @Test
    void uploadBackoffDoublesUpToTheMaximum() {
        UploadPolicy p = new UploadPolicy(10, Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertEquals(List.of(2L, 4L, 8L, 16L, 30L, 30L), List.of(1, 2, 3, 4, 5, 6).stream()
                .map(i -> p.backoffBefore(i).getSeconds()).toList());
    }

    @Test
    void uploadRateLimitIsARatePerSecondOrOff() throws Exception {
        String wpars = "state-dir: /s\nwpars: [{name: a, source: {preset: aix}}]\n";
        assertEquals(new ByteRate(50L << 20), parse("upload: { rate-limit: 50MiB/s }\n" + wpars).upload().rateLimit());
        assertEquals(ByteRate.OFF, parse("upload: { rate-limit: off }\n" + wpars).upload().rateLimit());
        assertEquals(ByteRate.OFF, parse(wpars).upload().rateLimit());
        ConfigException e = assertThrows(ConfigException.class, () -> parse("upload: { rate-limit: 50MiB }\n" + wpars));
        assertEquals("agent.yaml:1:23: upload.rate-limit: '50MiB' is not a rate (use 50MiB/s, 512KiB/s, or off)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> parse("upload: { rate-limit: 0MiB/s }\n" + wpars));
        assertEquals("agent.yaml:1:23: upload.rate-limit: '0MiB/s' must be more than 0 (or off for no limit)", e.getMessage());
        assertEquals("512KiB/s", ByteRate.parse("512KiB/s").toString());
    }

    @Test
    void uploadModeIsDeltaForFilesAndStreamForStdoutUnlessSet() throws Exception {
        String wpars = "state-dir: /s\nwpars: [{name: a, source: {preset: aix}}]\n";
        UploadPolicy auto = parse(wpars).upload();
        assertEquals("delta", auto.modeFor(true));
        assertEquals("stream", auto.modeFor(false));
        UploadPolicy stream = parse("upload: { mode: stream }\n" + wpars).upload();
        assertEquals("stream", stream.modeFor(true));
        UploadPolicy delta = parse("upload: { mode: delta }\n" + wpars).upload();
        assertEquals("delta", delta.modeFor(false));
        ConfigException e = assertThrows(ConfigException.class, () -> parse("upload: { mode: fast }\n" + wpars));
        assertTrue(e.getMessage().contains("upload.mode: mode 'fast' is not stream, delta or auto"), e.getMessage());
    }

    @Test
    void fileIsNamedWhenItCannotBeRead(@TempDir Path dir) {
        Path missing = dir.resolve("agent.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.load(missing, ENV));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void errorsNameTheFileAsGiven(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, "state-dir: /s\nwpars:\n  - name: web01\n    source: { preset: aix }\n    schedule: { interval: 90x }\n");
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.load(file, ENV));
        assertEquals(file + ":5:27: wpars[0].schedule.interval: '90x' is not a duration (use 30s, 15m, 1h, 1d)", e.getMessage());
        assertEquals(file.toString(), e.file());
        assertFalse(e.key().isEmpty());
    }
}
