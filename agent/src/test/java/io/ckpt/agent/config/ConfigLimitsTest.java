package io.ckpt.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent config's size and count limits: each refused with the place and the limit named. */
class ConfigLimitsTest {
    private static final String HEAD = "state-dir: /var/lib/ckpt-agent\nwpars:\n";

    private static void assertError(String expected, String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfigTest.parse(yaml));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void fileOverAMebibyteIsRefusedBeforeItIsRead(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("agent.yaml"), HEAD + "#".repeat(1 << 20));
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.load(file, HostEnvironment.of(null, "node1")));
        assertEquals(file + ": file of " + Files.size(file) + " bytes, more than the limit of 1048576 (is this the agent"
                + " config?)", e.getMessage());
    }

    @Test
    void textOverAMebibyteIsRefused() {
        assertError("agent.yaml: file of 1048614 bytes, more than the limit of 1048576 (is this the agent config?)",
                HEAD + "#".repeat(1 << 20));
    }

    @Test
    void nestingDeeperThanSixteenLevelsIsRefusedWhereItHappens() {
        assertError("agent.yaml:4:29: wpars[0].source.a[0][0][0][0][0][0][0][0][0][0][0][0]: nested deeper than 16 levels",
                HEAD + "  - name: w1\n    source: {a: " + "[".repeat(14) + "]".repeat(14) + "}\n");
    }

    @Test
    void mappingWithMoreThan256KeysIsRefused() {
        StringBuilder y = new StringBuilder(HEAD + "  - name: w1\n    source:\n");
        for (int i = 0; i < 257; i++) {
            y.append("      k").append(i).append(": v\n");
        }
        assertError("agent.yaml:261:7: wpars[0].source: more than 256 keys in one mapping", y.toString());
    }

    @Test
    void listWithMoreThan4096ItemsIsRefused() {
        StringBuilder y = new StringBuilder(HEAD + "  - name: w1\n    labels: [");
        for (int i = 0; i < 4097; i++) {
            y.append(i == 0 ? "" : ",").append('x');
        }
        y.append("]\n");
        assertError("agent.yaml:4:8206: wpars[0].labels: more than 4096 items in one list", y.toString());
    }

    @Test
    void moreThan1024WparsAreRefused() {
        StringBuilder y = new StringBuilder(HEAD);
        for (int i = 0; i < 1025; i++) {
            y.append("  - name: w").append(i).append('\n');
        }
        assertError("agent.yaml:3:3: wpars: 1025 WPARs, more than the limit of 1024 for one agent", y.toString());
    }

    @Test
    void valueOrKeyPastItsLengthLimitIsRefused() {
        assertError("agent.yaml:3:11: wpars[0].name: value of 70000 characters, more than the limit of 65536",
                HEAD + "  - name: " + "w".repeat(70_000) + "\n");
        assertError("agent.yaml:3:5: wpars[0]: key of 300 characters, more than the limit of 256",
                HEAD + "  - " + "k".repeat(300) + ": v\n");
    }
}
