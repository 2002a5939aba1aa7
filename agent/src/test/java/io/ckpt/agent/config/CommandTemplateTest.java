package io.ckpt.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CommandTemplateTest {
    private static final Set<String> ALL = Set.of("wpar", "statedir", "logfile");
    private static final Map<String, String> VALUES = Map.of("wpar", "web01", "statedir", "/var/lib/ckpt agent/st", "logfile", "/l");

    private static List<String> render(String template) {
        return CommandTemplate.parse(template, ALL).render(VALUES);
    }

    @Test
    void wordsSplitOnWhitespaceAndPlaceholdersAreReplaced() {
        assertEquals(List.of("/opt/mcr/bin/chkptwpar", "-d", "/var/lib/ckpt agent/st", "-o", "/l", "web01"),
                render("/opt/mcr/bin/chkptwpar  -d {statedir}\t-o {logfile} {wpar}"));
    }

    @Test
    void placeholderValueWithSpacesStaysOneWord() {
        assertEquals(List.of("ls", "/var/lib/ckpt agent/st"), render("ls {statedir}"));
    }

    @Test
    void placeholderInsideAWordIsReplacedInPlace() {
        assertEquals(List.of("tar", "-cf", "/var/lib/ckpt agent/st/web01.tar", "--label=web01-fs"),
                render("tar -cf {statedir}/{wpar}.tar --label={wpar}-fs"));
    }

    @Test
    void quotesGroupWordsAndJoinAdjacentParts() {
        assertEquals(List.of("sh", "-c", "tar -C /wpars/web01 -cf - . | gzip", "--name=a b", ""),
                render("sh -c 'tar -C /wpars/{wpar} -cf - . | gzip' --name=\"a b\" \"\""));
    }

    @Test
    void backslashEscapesOutsideQuotesAndBeforeQuoteInsideDoubleQuotes() {
        assertEquals(List.of("a b", "say \"hi\" \\", "it's"), render("a\\ b \"say \\\"hi\\\" \\\\\" it\\'s"));
        assertEquals(List.of("x\\y"), render("'x\\y'"));
    }

    @Test
    void doubledBracesAndShellVariablesAreLiteral() {
        assertEquals(List.of("awk", "{print $1}", "${HOME}", "{ not a placeholder }"),
                render("awk '{{print $1}}' '${HOME}' '{ not a placeholder }'"));
    }

    @Test
    void placeholdersAreListed() {
        assertEquals(Set.of("statedir", "wpar"), CommandTemplate.parse("x {statedir} {wpar} {wpar}", ALL).placeholders());
    }

    @Test
    void unknownPlaceholderIsRejectedAtParseNamingTheAllowedOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> CommandTemplate.parse("x {wpr}", Set.of("wpar", "logfile")));
        assertEquals("unknown placeholder {wpr} (this command may use {logfile}, {wpar})", e.getMessage());
    }

    @Test
    void unterminatedQuoteAndTrailingBackslashAreRejected() {
        assertEquals("command 'echo \"hi' has an unterminated \" quote (opened at character 6)",
                assertThrows(IllegalArgumentException.class, () -> CommandTemplate.parse("echo \"hi", ALL)).getMessage());
        assertEquals("command 'echo \\' ends with a lone backslash",
                assertThrows(IllegalArgumentException.class, () -> CommandTemplate.parse("echo \\", ALL)).getMessage());
    }

    @Test
    void emptyCommandIsRejected() {
        assertEquals("empty command", assertThrows(IllegalArgumentException.class, () -> CommandTemplate.parse("  ", ALL)).getMessage());
    }

    @Test
    void renderWithoutAValueNamesThePlaceholderAndCommand() {
        var e = assertThrows(IllegalArgumentException.class, () -> CommandTemplate.parse("x {wpar}", ALL).render(Map.of()));
        assertEquals("no value for {wpar} in command 'x {wpar}'", e.getMessage());
    }
}
