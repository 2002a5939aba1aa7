package io.ckpt.agent.config;

/**
 * The configuration file cannot be used. The message is one line:
 * {@code FILE:LINE:COLUMN: KEY: PROBLEM}, such as
 * {@code agent.yaml:14:17: wpars[1].schedule.interval: '90x' is not a duration (use 30s, 15m, 1h, 1d)}.
 * The line and column are omitted when the problem has no place in the file (it cannot be read), the key when it
 * is not about one key (a YAML syntax error).
 */
public final class ConfigException extends Exception {
    private final String file;
    private final int line;
    private final int column;
    private final String key;
    private final String problem;

    /**
     * @param line 1-based, or 0 if unknown
     * @param column 1-based, or 0 if unknown
     * @param key the key path ({@code wpars[0].schedule.cron}), or empty
     */
    public ConfigException(String file, int line, int column, String key, String problem, Throwable cause) {
        super(format(file, line, column, key, problem), cause);
        this.file = file;
        this.line = line;
        this.column = column;
        this.key = key;
        this.problem = problem;
    }

    ConfigException(String file, YamlNode.Mark at, String key, String problem) {
        this(file, at.line(), at.column(), key, problem, null);
    }

    private static String format(String file, int line, int column, String key, String problem) {
        StringBuilder b = new StringBuilder(file);
        if (line > 0) {
            b.append(':').append(line).append(':').append(column);
        }
        b.append(": ");
        if (!key.isEmpty()) {
            b.append(key).append(": ");
        }
        return b.append(problem).toString();
    }

    /** The file as it was named to {@link AgentConfig#load}. */
    public String file() {
        return file;
    }

    /** The 1-based line, or 0 if the problem has no place in the file. */
    public int line() {
        return line;
    }

    /** The 1-based column, or 0 if the problem has no place in the file. */
    public int column() {
        return column;
    }

    /** The key path, such as {@code wpars[0].schedule.cron}, or empty. */
    public String key() {
        return key;
    }

    /** What is wrong, without the place. */
    public String problem() {
        return problem;
    }
}
