package io.ckpt.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Text from the server (WPAR and part names, labels, host ids, error messages) made safe to print
 * on a terminal: every control character is written as an escape, so a name cannot move the
 * cursor, retitle the window, or split one output line into two.
 *
 * <p>{@code \n}, {@code \r}, {@code \t} and {@code \\} keep their usual escapes; any other C0 or
 * C1 control and DEL becomes {@code \xHH}; Unicode format characters (bidirectional overrides such
 * as U+202E, zero-width joiners) and the line and paragraph separators become {@code \\uHHHH}.
 * A backslash is doubled so that an escape in the output always means one character of the name.
 * JSON output needs none of this (Jackson escapes what JSON requires and a script reads it).
 */
final class TerminalText {
    private TerminalText() {}

    /** {@code s} with control characters escaped; null stays "null", as printing it would. */
    static String of(String s) {
        if (s == null) {
            return "null";
        }
        if (s.codePoints().allMatch(c -> c != '\\' && !isControl(c))) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (!isControl(c)) {
                        b.appendCodePoint(c);
                    } else if (c < 0x100) {
                        b.append(String.format("\\x%02x", c));
                    } else {
                        b.append(String.format("\\u%04x", c));
                    }
                }
            }
        });
        return b.toString();
    }

    /**
     * JSON text (already escaped as JSON requires) made safe to print: the controls JSON lets
     * through raw (DEL, C1, format characters) become {@code \\uHHHH}, so the line stays valid JSON.
     */
    static String json(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (isControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    /** The node's text ({@link JsonNode#asText()}), escaped. */
    static String of(JsonNode node) {
        return of(node.asText());
    }

    private static boolean isControl(int c) {
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }
}
