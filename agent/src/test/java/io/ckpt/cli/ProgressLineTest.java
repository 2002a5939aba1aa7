package io.ckpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ckpt.agent.net.ProgressNotice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the CLI shows a long request's progress notices on stderr. */
class ProgressLineTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String err() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void describesOpPhaseCountsDetailAndTime() {
        assertEquals("verify: checking chunks 1,234 of 5,000 (pack 12), " + Units.duration(5_000_000_000L),
                ProgressLine.describe(new ProgressNotice("verify", "checking chunks",
                        1234, 5000, "pack 12", 5000)));
        assertEquals("gc: forgetting unused chunks 2,000, " + Units.duration(0),
                ProgressLine.describe(new ProgressNotice("gc", "forgetting unused chunks", 2000, -1, null, 0)));
        assertEquals("relocate: started, " + Units.duration(0),
                ProgressLine.describe(new ProgressNotice("relocate", "started", 0, -1, null, 0)));
    }

    @Test
    void escapesWhatTheServerSentBeforeItReachesTheTerminal() {
        String line = ProgressLine.describe(new ProgressNotice("prune", "planning", 0, 2, "WPAR a\u001b[2Jb", 0));
        assertFalse(line.contains("\u001b"), line);
    }

    @Test
    void intoAPipeTheFirstNoticeIsALineAndTheNextOnesWaitFiveSeconds() {
        ProgressLine p = new ProgressLine(err, false);
        p.accept(new ProgressNotice("verify", "checking chunks", 1, 10, null, 0));
        p.accept(new ProgressNotice("verify", "checking chunks", 2, 10, null, 250));
        p.finish();
        assertEquals(1, err().lines().count(), err());
        assertTrue(err().startsWith("verify: checking chunks 1 of 10"), err());
    }

    @Test
    void onATerminalTheLineIsRedrawnThenCleared() {
        ProgressLine p = new ProgressLine(err, true);
        p.accept(new ProgressNotice("gc", "compacting packs", 1, 3, "pack 7", 0));
        p.accept(new ProgressNotice("gc", "compacting packs", 2, 3, "pack 8", 0));
        p.finish();
        assertTrue(err().contains("\rgc: compacting packs 2 of 3 (pack 8)"), err());
        assertTrue(err().endsWith("\r"), "cleared before the command's own output");
        assertFalse(err().contains("\n"), "no newline: one line redrawn in place");
    }
}
