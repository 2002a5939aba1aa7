package io.ckpt.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Every kind of config error names the file, line, column and key, and says what is wrong. */
class ConfigErrorTest {
    /** A valid head that the WPAR snippets below are appended to. */
    private static final String HEAD = "state-dir: /var/lib/ckpt-agent\nwpars:\n";

    private static void assertError(String expected, String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfigTest.parse(yaml));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void unknownKeyIsNamedWithItsLineAndTheKeysAllowedThere() {
        assertError("agent.yaml:5:5: wpars[0].schedul: unknown key (expected one of: filesystems, health, name, restart,"
                + " schedule, source, stop, timeouts)", HEAD + """
                  - name: web01
                    source: { preset: aix }
                    schedul: { interval: 1h }
                """);
    }

    @Test
    void unknownTopLevelKeyIsNamed() {
        assertError("agent.yaml:2:1: sever: unknown key (expected one of: control, credentials, defaults, host-id, server,"
                + " spool, state-dir, upload, wpars)", "state-dir: /s\nsever: 127.0.0.1:7420\n");
    }

    @Test
    void badDurationNamesTheValue() {
        assertError("agent.yaml:6:17: wpars[0].schedule.interval: '90x' is not a duration (use 30s, 15m, 1h, 1d)", HEAD + """
                  - name: web01
                    source: { preset: aix }
                    schedule:
                      interval: 90x
                """);
    }

    @Test
    void badDurationInDefaultsNamesTheDefaultsKey() {
        assertError("agent.yaml:3:23: defaults.timeouts.health: '1 minute' is not a duration (use 30s, 15m, 1h, 1d)",
                "state-dir: /s\ndefaults:\n  timeouts: { health: 1 minute }\n");
    }

    @Test
    void badSizeNamesTheUnitsAllowed() {
        assertError("agent.yaml:2:21: spool.max-bytes: '10GB' is not a size (use 512MiB, 10GiB; units B, KiB, MiB, GiB, TiB)",
                "state-dir: /s\nspool: { max-bytes: 10GB }\n");
    }

    @Test
    void intervalAndCronTogetherAreRejectedAtTheLaterOne() {
        assertError("agent.yaml:7:13: wpars[0].schedule.cron: set interval or cron, not both", HEAD + """
                  - name: web01
                    source: { preset: aix }
                    schedule:
                      interval: 1h
                      cron: "0 * * * *"
                """);
    }

    @Test
    void commandPresetWithoutCommandSaysWhatItNeeds() {
        assertError("agent.yaml:4:13: wpars[0].source.command: required: the command that writes the checkpoint into {statedir}",
                HEAD + "  - name: web01\n    source: { preset: command }\n");
    }

    @Test
    void stdoutPresetWithoutCommandSaysWhatItNeeds() {
        assertError("agent.yaml:5:7: wpars[0].source.command: required: the command whose standard output is the checkpoint image",
                HEAD + "  - name: web01\n    source:\n      preset: stdout\n");
    }

    @Test
    void directoryPresetWithoutPathSaysWhatItNeeds() {
        assertError("agent.yaml:4:13: wpars[0].source.path: required: the directory to upload as it is",
                HEAD + "  - name: web01\n    source: { preset: directory }\n");
    }

    @Test
    void keyOfAnotherPresetIsRejected() {
        assertError("agent.yaml:4:34: wpars[0].source.path: not used by the aix preset",
                HEAD + "  - name: web01\n    source: { preset: aix, path: /srv/x }\n");
        assertError("agent.yaml:4:53: wpars[0].source.command: not used by the directory preset",
                HEAD + "  - name: web01\n    source: { preset: directory, path: /x, command: \"cp -r /a {statedir}\" }\n");
    }

    @Test
    void unknownPresetListsThePresets() {
        assertError("agent.yaml:4:23: wpars[0].source.preset: 'lpar' is not a preset (use aix, command, stdout or directory)",
                HEAD + "  - name: web01\n    source: { preset: lpar }\n");
    }

    @Test
    void duplicateWparNamePointsAtTheSecondAndTheFirst() {
        assertError("agent.yaml:5:11: wpars[1].name: duplicate WPAR name 'web01' (first at line 3)", HEAD + """
                  - name: web01
                    source: { preset: aix }
                  - name: web01
                    source: { preset: aix }
                """);
    }

    @Test
    void badWparNameStatesTheRule() {
        assertError("agent.yaml:3:11: wpars[0].name: '-web' is not a valid WPAR name: use 1 to 64 letters, digits, '_', '.'"
                + " or '-', starting with a letter or digit", HEAD + "  - name: \"-web\"\n    source: { preset: aix }\n");
    }

    @Test
    void badCronExpressionNamesTheField() {
        assertError("agent.yaml:5:23: wpars[0].schedule.cron: '0 25 * * *' is not a cron expression: hour value 25 is out of"
                + " range 0-23", HEAD + "  - name: web01\n    source: { preset: aix }\n    schedule: { cron: \"0 25 * * *\" }\n");
    }

    @Test
    void unquotedCronStartingWithStarIsAYamlAliasAndTheHintSaysToQuote() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfigTest.parse(
                HEAD + "  - name: web01\n    source: { preset: aix }\n    schedule:\n      cron: */15 * * * *\n"));
        assertEquals(6, e.line());
        assertEquals(14, e.column());
        assertEquals("", e.key());
        assertEquals(true, e.problem().startsWith("YAML syntax: "), e.problem());
        assertEquals(true, e.problem().endsWith("(quote values that start with * or &, such as cron expressions)"), e.problem());
    }

    @Test
    void badSkipWindowShowsTheFormat() {
        assertError("agent.yaml:5:39: wpars[0].schedule.skip[1]: '3am-4am' is not a skip window (use HH:MM-HH:MM, such as 01:00-03:00)",
                HEAD + "  - name: web01\n    source: { preset: aix }\n    schedule: { skip: [\"01:00-02:00\", 3am-4am] }\n");
    }

    @Test
    void skipWindowsCoveringTheWholeDayAreRejected() {
        assertError("agent.yaml:3:21: defaults.schedule.skip: skip windows [00:00-12:00, 12:00-24:00] cover the whole day:"
                + " no checkpoint could ever start", "state-dir: /s\ndefaults:\n  schedule: { skip: [\"00:00-12:00\", \"12:00-24:00\"] }\n");
    }

    @Test
    void missingStateDirIsNamed() {
        assertError("agent.yaml:1:1: state-dir: required: the directory for the spool and working files",
                "wpars:\n  - name: web01\n    source: { preset: aix }\n");
    }

    @Test
    void emptyFileNeedsStateDir() {
        assertError("agent.yaml:1:1: state-dir: required: the directory for the spool and working files", "# nothing yet\n");
    }

    @Test
    void unknownPlaceholderListsTheOnesThatCommandMayUse() {
        assertError("agent.yaml:4:41: wpars[0].source.command: unknown placeholder {statdir} (this command may use {logfile},"
                + " {statedir}, {wpar})", HEAD + "  - name: web01\n    source: { preset: command, command: \"dump --to {statdir}\" }\n");
    }

    @Test
    void streamedSourceCannotUseStatedir() {
        assertError("agent.yaml:4:40: wpars[0].source.command: unknown placeholder {statedir} (this command may use {logfile},"
                + " {wpar})", HEAD + "  - name: web01\n    source: { preset: stdout, command: \"dump {statedir}\" }\n");
    }

    @Test
    void stopCommandCannotUseStatedirAndNeedsACommand() {
        assertError("agent.yaml:5:22: wpars[0].stop.command: unknown placeholder {statedir} (this command may use {logfile},"
                + " {wpar})", HEAD + "  - name: web01\n    source: { preset: aix }\n    stop: { command: \"halt {statedir}\" }\n");
        assertError("agent.yaml:5:11: wpars[0].stop.command: required: the command that stops the WPAR",
                HEAD + "  - name: web01\n    source: { preset: aix }\n    stop: {}\n");
    }

    @Test
    void commandPresetMustWriteIntoStatedir() {
        assertError("agent.yaml:4:41: wpars[0].source.command: does not use {statedir}: the command preset uploads what the"
                + " command writes there", HEAD + "  - name: web01\n    source: { preset: command, command: \"dump {wpar}\" }\n");
    }

    @Test
    void unterminatedQuoteInCommandIsNamed() {
        assertError("agent.yaml:4:40: wpars[0].source.command: command 'dump '{wpar}' has an unterminated ' quote (opened at"
                + " character 6)", HEAD + "  - name: web01\n    source: { preset: stdout, command: \"dump '{wpar}\" }\n");
    }

    @Test
    void pausedAixNeedsAResumeCommand() {
        assertError("agent.yaml:4:13: wpars[0].source.resume-command: required with paused: true: the command that resumes"
                + " the WPAR once its file systems are captured", HEAD + "  - name: web01\n    source: { preset: aix, paused: true }\n");
        assertError("agent.yaml:4:44: wpars[0].source.resume-command: only used with paused: true",
                HEAD + "  - name: web01\n    source: { preset: aix, resume-command: \"resume {wpar}\" }\n");
    }

    @Test
    void booleanMustBeTrueOrFalse() {
        assertError("agent.yaml:4:36: wpars[0].source.paused: 'maybe' is not true or false",
                HEAD + "  - name: web01\n    source: { preset: aix, paused: maybe }\n");
    }

    @Test
    void filesystemNeedsExactlyOneOfCommandAndDirectory() {
        assertError("agent.yaml:5:68: wpars[0].filesystems[0].directory: set command or directory, not both", HEAD
                + "  - name: web01\n    source: { preset: aix }\n    filesystems: [{ name: root, command: \"tar -cf - /\", directory: /x }]\n");
        assertError("agent.yaml:5:19: wpars[0].filesystems[0].command: required, or directory: a command whose standard output"
                + " is the part, or a directory to upload", HEAD
                + "  - name: web01\n    source: { preset: aix }\n    filesystems: [{ name: root }]\n");
    }

    @Test
    void duplicateFilesystemNameIsRejected() {
        assertError("agent.yaml:7:17: wpars[0].filesystems[1].name: duplicate file-system name 'data' (first at line 6)", HEAD + """
                  - name: web01
                    source: { preset: aix }
                    filesystems:
                      - { name: data, directory: /a }
                      - { name: data, directory: /b }
                """);
    }

    @Test
    void healthCheckNeedsSomethingToCheck() {
        assertError("agent.yaml:5:13: wpars[0].health.command: required, or process, or both: a health check needs something"
                + " to check", HEAD + "  - name: web01\n    source: { preset: aix }\n    health: { when: after }\n");
        assertError("agent.yaml:5:37: wpars[0].health.when: 'during' is not before, after or both",
                HEAD + "  - name: web01\n    source: { preset: aix }\n    health: { process: httpd, when: during }\n");
    }

    @Test
    void relativePathIsRejected() {
        assertError("agent.yaml:1:12: state-dir: 'var/lib/ckpt' is not an absolute path", "state-dir: var/lib/ckpt\n");
    }

    @Test
    void badServerAddressShowsTheForm() {
        assertError("agent.yaml:1:9: server: 'backup' is not HOST:PORT (such as 127.0.0.1:7420, or [::1]:7420)",
                "server: backup\nstate-dir: /s\n");
    }

    @Test
    void unusableEnvironmentVariableIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("agent.yaml",
                "state-dir: /s\nwpars: [{name: a, source: {preset: aix}}]\n", HostEnvironment.of("backup", "node1")));
        assertEquals("agent.yaml:1:1: server: not set, and $CKPT_SERVER is not usable: 'backup' is not HOST:PORT"
                + " (such as 127.0.0.1:7420, or [::1]:7420)", e.getMessage());
    }

    @Test
    void missingHostnameAsksForHostId() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("agent.yaml",
                "state-dir: /s\nwpars: [{name: a, source: {preset: aix}}]\n", HostEnvironment.of(null, null)));
        assertEquals("agent.yaml:1:1: host-id: not set, and the hostname cannot be found: set host-id", e.getMessage());
    }

    @Test
    void noWparsIsAnError() {
        assertError("agent.yaml:1:1: wpars: required: the WPARs to checkpoint, a list of at least one", "state-dir: /s\n");
        assertError("agent.yaml:2:8: wpars: at least one WPAR is required", "state-dir: /s\nwpars: []\n");
    }

    @Test
    void wrongShapeSaysWhatWasExpectedAndFound() {
        assertError("agent.yaml:2:8: spool: expected a mapping (key: value lines, or { key: value }), found a value",
                "state-dir: /s\nspool: 10GiB\n");
        assertError("agent.yaml:2:8: wpars: expected a list, found a mapping", "state-dir: /s\nwpars: { name: web01 }\n");
        assertError("agent.yaml:1:12: state-dir: expected a value, found a list", "state-dir: [/a, /b]\n");
        assertError("agent.yaml:1:14: credentials: expected a mapping, found a value", "credentials: secret\n");
    }

    @Test
    void outOfRangeNumberShowsTheRange() {
        assertError("agent.yaml:2:20: upload.retries: 1000 is out of range 0..100",
                "state-dir: /s\nupload: { retries: 1000 }\n");
    }

    @Test
    void maxBackoffBelowBackoffNamesBoth() {
        assertError("agent.yaml:2:38: upload.max-backoff: max-backoff 1s is less than backoff 10s",
                "state-dir: /s\nupload: { backoff: 10s, max-backoff: 1s }\n");
    }

    @Test
    void duplicateKeyPointsAtBothLines() {
        assertError("agent.yaml:2:1: state-dir: duplicate key (first at line 1)", "state-dir: /a\nstate-dir: /b\n");
    }

    @Test
    void yamlAliasIsRejected() {
        assertError("agent.yaml:2:12: state-dir: YAML aliases (*dir) are not supported: write the value out, or use the"
                + " defaults section", "host-id: &dir node\nstate-dir: *dir\n");
    }

    @Test
    void yamlSyntaxErrorHasItsPlace() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfigTest.parse("state-dir: [/a\n"));
        assertEquals(2, e.line());
        assertEquals(true, e.getMessage().startsWith("agent.yaml:2:1: YAML syntax: "), e.getMessage());
    }

    @Test
    void secondDocumentIsRejected() {
        assertError("agent.yaml:3:1: a second YAML document ('---'): the config is one document", "state-dir: /a\n---\nstate-dir: /b\n");
    }

    @Test
    void documentThatIsNotAMappingIsRejected() {
        assertError("agent.yaml:1:1: expected a mapping (key: value lines, or { key: value }), found a list", "- a\n- b\n");
    }
}
