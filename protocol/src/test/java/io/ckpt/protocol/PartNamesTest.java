package io.ckpt.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A part name that passes cannot reach outside the directory it is restored into. */
final class PartNamesTest {

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {
        "memory.img",
        "statefile/memory.img",
        "var/adm/ras/errlog",
        "a/b/c/d/e/f/g/h",
        ".profile",
        "..hidden",
        "dir.../x..",
        "name with spaces/and-dashes_underscores",
        "Übergabe/日本語.txt",
    })
    void normalRelativeNamesAreAccepted(String name) {
        assertDoesNotThrow(() -> PartNames.check(name));
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"..", "../etc/passwd", "a/../../b", "a/..", "statefile/../../root/.ssh/authorized_keys"})
    void parentComponentIsRefused(String name) {
        assertRefused(name, "'..'");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"/", "/etc/passwd", "//server/share"})
    void absoluteNameIsRefused(String name) {
        assertRefused(name, "absolute");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"a//b", "a/", "statefile/"})
    void emptyComponentIsRefused(String name) {
        assertRefused(name, "empty");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {".", "./a", "a/./b", "a/."})
    void dotComponentIsRefused(String name) {
        assertRefused(name, "'.'");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"a\u0000b", "memory.img\u0000.txt", "\u0000"})
    void nulIsRefused(String name) {
        assertRefused(name, "NUL");
    }

    @Test
    void backslashIsRefused() {
        assertRefused("..\\..\\windows", "backslash");
    }

    @Test
    void emptyOrMissingNameIsRefused() {
        assertRefused("", "empty part name");
        assertRefused(null, "empty part name");
    }

    @Test
    void nameUpToTheMaximumLengthIsAcceptedAndLongerIsRefused() {
        String longest = "d/".repeat(PartNames.MAX_LENGTH / 2 - 1) + "ff";
        assertDoesNotThrow(() -> PartNames.check(longest));
        assertRefused(longest + "f", "longer than " + PartNames.MAX_LENGTH);
    }

    @Test
    void partInfoAppliesTheRule() {
        assertThrows(IllegalArgumentException.class, () -> new PartInfo("../x", PartType.FILE, 0644, 0, ""));
    }

    @Test
    void linkTargetUpToTheMaximumLengthIsAcceptedAndLongerOrWithNulIsRefused() {
        String longest = "../".repeat(PartNames.MAX_LENGTH / 3) + "x";
        assertDoesNotThrow(() -> new PartInfo("l", PartType.SYMLINK, 0120777, 0, longest));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PartInfo("l", PartType.SYMLINK, 0120777, 0, longest + "x"));
        assertTrue(e.getMessage().contains("link target of part l longer than 4096 bytes"), e.getMessage());
        String nonAscii = "é".repeat(PartNames.MAX_LENGTH / 2 + 1); // 2049 chars, 4098 bytes
        assertThrows(IllegalArgumentException.class, () -> new PartInfo("l", PartType.SYMLINK, 0120777, 0, nonAscii));
        e = assertThrows(IllegalArgumentException.class, () -> new PartInfo("l", PartType.SYMLINK, 0120777, 0, "/etc\u0000x"));
        assertTrue(e.getMessage().contains("contains NUL"), e.getMessage());
    }

    private static void assertRefused(String name, String messagePart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PartNames.check(name));
        assertTrue(e.getMessage().contains(messagePart), () -> "message \"" + e.getMessage() + "\" lacks \"" + messagePart + "\"");
    }
}
