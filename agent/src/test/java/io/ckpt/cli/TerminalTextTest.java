package io.ckpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** What a name looks like on a terminal: controls escaped, everything else as it is. */
class TerminalTextTest {
    @Test
    void printableNamesIncludingNonAsciiAreLeftAsTheyAre() {
        String name = "web01/état/日本語 file=1";
        assertSame(name, TerminalText.of(name));
    }

    @Test
    void controlsAreEscapedAndABackslashIsDoubledSoEveryEscapeIsOneCharacter() {
        assertEquals("a\\x1b[2Jb\\x07\\n\\r\\t\\x7f\\x9b\\u202e\\u2028\\\\n", TerminalText.of("a\u001b[2Jb\u0007\n\r\t\u007f\u009b\u202e\u2028\\n"));
    }

    @Test
    void jsonKeepsItsEscapesAndGetsOnlyTheControlsJsonLetsThrough() {
        assertEquals("{\"r\":\"a\\\\b\\u001b\\u009b\\u202e\"}", TerminalText.json("{\"r\":\"a\\\\b\\u001b\u009b\u202e\"}"));
    }
}
