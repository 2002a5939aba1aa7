package io.ckpt.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
        "back\\x5Cslash",
        "a\\xFF\\xFEb/-rf",
        "new\nline\tand tab",
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
    void backslashOutsideAnEscapeIsRefused() {
        assertRefused("..\\..\\windows", "backslash");
        assertRefused("a\\", "backslash");
        assertRefused("a\\x4", "backslash");
        assertRefused("a\\u0041", "backslash");
        assertRefused("a\\xff", "backslash"); // lower-case hex is no escape
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"\\x2E\\x2E/etc/passwd", "a/\\x2E\\x2E", "\\x2E", "a\\x2F..\\x2Fb"})
    void escapesCannotSpellDotsOrSlashes(String name) {
        // '.', '/' need no escape, so an escape of them is not the name's one encoding: refused, never read as "..".
        assertThrows(IllegalArgumentException.class, () -> PartNames.check(name));
    }

    @Test
    void anEscapedNulOrLeadingSlashIsRefused() {
        assertRefused("a\\x00b", "NUL");
        assertRefused("\\x2Fetc", "absolute");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"a\\x41", "\\xC3\\xA9", "x\\x0A", "a/b\\x2Fc", "\\x7E"})
    void nonCanonicalEscapesAreRefused(String name) {
        assertRefused(name, "one encoding");
    }

    @Test
    void bytesThatAreNotUtf8AndBackslashesAreEscapedAndComeBack() {
        byte[][] paths = {
            {'a', (byte) 0xff, (byte) 0xfe, 'b'}, "back\\slash".getBytes(StandardCharsets.UTF_8),
            {(byte) 0xc3, '('}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xe9, 't', (byte) 0xe9}, "new\nline\ttab".getBytes(StandardCharsets.UTF_8),
            "d/\uFFFD/日本語".getBytes(StandardCharsets.UTF_8), {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xe2, (byte) 0x82},
        };
        String[] names = {
            "a\\xFF\\xFEb", "back\\x5Cslash", "\\xC3(", "\\xED\\xA0\\x80", "\\xF4\\x90\\x80\\x80", "\\xE9t\\xE9",
            "new\nline\ttab", "d/\uFFFD/日本語", "\\xC0\\xAF", "\\xE2\\x82",
        };
        for (int i = 0; i < paths.length; i++) {
            assertEquals(names[i], PartNames.encode(paths[i]));
            assertArrayEquals(paths[i], PartNames.bytes(names[i]));
        }
    }

    @Test
    void aNameWithoutBackslashReadsAsItsUtf8BytesAsBefore() {
        for (String old : new String[] {"memory.img", "Übergabe/日本語.txt", "100%.txt", "%FF", "new\nline", "-rf"}) {
            assertArrayEquals(old.getBytes(StandardCharsets.UTF_8), PartNames.bytes(old));
            assertEquals(old, PartNames.encode(old.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void componentsUpTo255BytesAreStorableAndLongerAreRefused() {
        String ascii = "x".repeat(255);
        String multiByte = "é".repeat(127) + "x";
        String invalid = "\\xFF".repeat(255); // 1020 characters, 255 bytes
        for (String c : new String[] {ascii, multiByte, invalid}) {
            assertDoesNotThrow(() -> PartNames.checkStorable("d/" + c + "/f"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartNames.checkStorable("d/" + "é".repeat(128)));
        assertTrue(e.getMessage().contains("component of 256 bytes, longer than 255"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PartNames.checkStorable(invalid + "\\xFF"));
        assertDoesNotThrow(() -> PartNames.check("é".repeat(128)), "restore reads an older checkpoint's long component as before");
    }

    @Test
    void theLengthLimitCountsBytesNotEscapes() {
        String longest = "\\xFF/".repeat(PartNames.MAX_LENGTH / 2 - 1) + "\\xFFx"; // 4096 bytes, 14,338 characters
        assertDoesNotThrow(() -> PartNames.check(longest));
        assertRefused(longest + "x", "longer than " + PartNames.MAX_LENGTH);
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
