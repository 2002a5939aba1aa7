package io.ckpt.agent.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A command line with placeholders, parsed once at load time and rendered to an argv (no shell is involved).
 *
 * <p>Syntax, a small subset of {@code sh}: words are split on whitespace; {@code '...'} quotes literally;
 * {@code "..."} quotes with {@code \"} and {@code \\} as the only escapes; outside quotes a backslash escapes the next
 * character; quoted and unquoted parts next to each other make one word ({@code --label="a b"}); {@code ""} is an
 * empty word. A placeholder {@code {name}} may stand anywhere, quoted or not, also inside a word
 * ({@code {statedir}/img}); its value is substituted as it is and never split into more words. <code>{{</code> and
 * <code>}}</code> write literal braces, and {@code ${VAR}} is left alone for a shell ({@code sh -c '... ${VAR}'}).
 * Pipes, redirections and variables need an explicit {@code sh -c '...'}.
 */
public final class CommandTemplate {
    /** The name of the WPAR. */
    public static final String WPAR = "wpar";
    /** The directory the checkpoint is written to. */
    public static final String STATEDIR = "statedir";
    /** The log file of this step. */
    public static final String LOGFILE = "logfile";

    private final String text;
    private final List<List<Piece>> words;
    private final Set<String> placeholders;

    private record Piece(String text, boolean placeholder) {}

    private CommandTemplate(String text, List<List<Piece>> words) {
        this.text = text;
        this.words = words;
        this.placeholders = words.stream().flatMap(List::stream).filter(Piece::placeholder).map(Piece::text)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /**
     * Parses {@code text}, allowing only the placeholders in {@code allowed}. The exception's message names the
     * unknown placeholder or the unterminated quote.
     */
    public static CommandTemplate parse(String text, Set<String> allowed) {
        List<List<Piece>> words = new Tokenizer(text, allowed).words();
        if (words.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        return new CommandTemplate(text, words);
    }

    /**
     * The argv with every placeholder replaced by its value in {@code values}.
     *
     * @throws IllegalArgumentException if a placeholder this template uses has no value
     */
    public List<String> render(Map<String, String> values) {
        List<String> argv = new ArrayList<>(words.size());
        for (List<Piece> word : words) {
            StringBuilder b = new StringBuilder();
            for (Piece p : word) {
                if (p.placeholder()) {
                    String v = values.get(p.text());
                    if (v == null) {
                        throw new IllegalArgumentException("no value for {" + p.text() + "} in command '" + text + "'");
                    }
                    b.append(v);
                } else {
                    b.append(p.text());
                }
            }
            argv.add(b.toString());
        }
        return List.copyOf(argv);
    }

    /** The placeholders this template uses, in order of first use. */
    public Set<String> placeholders() {
        return Set.copyOf(placeholders);
    }

    /** The template as written in the config. */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CommandTemplate c && c.text.equals(text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text);
    }

    @Override
    public String toString() {
        return text;
    }

    /** Splits a template into words of literal and placeholder pieces. */
    private static final class Tokenizer {
        private final String text;
        private final Set<String> allowed;
        private final List<List<Piece>> words = new ArrayList<>();
        private List<Piece> word;
        private final StringBuilder literal = new StringBuilder();
        private int i;

        Tokenizer(String text, Set<String> allowed) {
            this.text = text;
            this.allowed = allowed;
        }

        List<List<Piece>> words() {
            while (i < text.length()) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c)) {
                    endWord();
                    i++;
                } else if (c == '\'') {
                    quoted('\'');
                } else if (c == '"') {
                    quoted('"');
                } else if (c == '\\') {
                    if (i + 1 >= text.length()) {
                        throw new IllegalArgumentException("command '" + text + "' ends with a lone backslash");
                    }
                    startWord();
                    literal.append(text.charAt(i + 1));
                    i += 2;
                } else {
                    startWord();
                    plain();
                }
            }
            endWord();
            return words;
        }

        private void quoted(char quote) {
            startWord();
            int open = i++;
            while (i < text.length() && text.charAt(i) != quote) {
                char c = text.charAt(i);
                if (quote == '"' && c == '\\' && i + 1 < text.length()
                        && (text.charAt(i + 1) == '"' || text.charAt(i + 1) == '\\')) {
                    literal.append(text.charAt(i + 1));
                    i += 2;
                } else {
                    plain();
                }
            }
            if (i >= text.length()) {
                throw new IllegalArgumentException("command '" + text + "' has an unterminated " + quote
                        + " quote (opened at character " + (open + 1) + ")");
            }
            i++;
        }

        /** Consumes one character at {@code i}, or a whole placeholder or brace escape. */
        private void plain() {
            char c = text.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < text.length() && text.charAt(i + 1) == c) {
                literal.append(c);
                i += 2;
                return;
            }
            if (c == '{' && (i == 0 || text.charAt(i - 1) != '$')) {
                int close = text.indexOf('}', i);
                String name = close < 0 ? "" : text.substring(i + 1, close);
                if (name.matches("[A-Za-z_][A-Za-z0-9_-]*")) {
                    if (!allowed.contains(name)) {
                        throw new IllegalArgumentException("unknown placeholder {" + name + "} (this command may use "
                                + allowed.stream().sorted().map(a -> "{" + a + "}").collect(Collectors.joining(", ")) + ")");
                    }
                    flushLiteral();
                    word.add(new Piece(name, true));
                    i = close + 1;
                    return;
                }
            }
            literal.append(c);
            i++;
        }

        private void startWord() {
            if (word == null) {
                word = new ArrayList<>();
            }
        }

        private void flushLiteral() {
            if (literal.length() > 0) {
                word.add(new Piece(literal.toString(), false));
                literal.setLength(0);
            }
        }

        private void endWord() {
            if (word != null) {
                flushLiteral();
                words.add(List.copyOf(word));
                word = null;
            }
        }
    }
}
