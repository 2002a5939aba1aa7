package io.ckpt.agent.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * One value of the config file with its key path, read as the type the schema wants; every failure is a
 * {@link ConfigException} at the value's line and column.
 */
final class ConfigValue {
    private final String file;
    private final String path;
    private final YamlNode node;

    ConfigValue(String file, String path, YamlNode node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    String path() {
        return path;
    }

    YamlNode.Mark mark() {
        return node.mark();
    }

    ConfigException error(String problem) {
        return new ConfigException(file, node.mark(), path, problem);
    }

    /** The value as text: any scalar (a number or boolean as written). */
    String text() throws ConfigException {
        if (node instanceof YamlNode.Scalar s) {
            return s.text();
        }
        throw error("expected a value, found " + node.kind());
    }

    /** A non-blank scalar. */
    String nonBlankText() throws ConfigException {
        String text = text();
        if (text.isBlank()) {
            throw error("must not be empty");
        }
        return text;
    }

    /**
     * The text converted by {@code parse}, whose {@link IllegalArgumentException} message becomes the problem.
     */
    <T> T parse(Function<String, T> parse) throws ConfigException {
        String text = text();
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file, node.mark().line(), node.mark().column(), path, e.getMessage(), e);
        }
    }

    boolean bool() throws ConfigException {
        String text = text();
        if (text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw error("'" + text + "' is not true or false");
    }

    int integer(int min, int max) throws ConfigException {
        String text = text();
        long v;
        try {
            v = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw error("'" + text + "' is not a whole number");
        }
        if (v < min || v > max) {
            throw error(v + " is out of range " + min + ".." + max);
        }
        return (int) v;
    }

    /** The items of a list, each with its path {@code key[i]}; an empty item is an error. */
    List<ConfigValue> list() throws ConfigException {
        if (!(node instanceof YamlNode.Sequence seq)) {
            throw error("expected a list, found " + node.kind());
        }
        List<ConfigValue> items = new ArrayList<>(seq.items().size());
        for (YamlNode item : seq.items()) {
            ConfigValue v = new ConfigValue(file, path + "[" + items.size() + "]", item);
            if (item instanceof YamlNode.Empty) {
                throw v.error("empty list item");
            }
            items.add(v);
        }
        return items;
    }

    /** The value as a mapping whose keys must all be in {@code known}. */
    Section section(Set<String> known) throws ConfigException {
        if (!(node instanceof YamlNode.Mapping m)) {
            throw error("expected a mapping (key: value lines, or { key: value }), found " + node.kind());
        }
        return new Section(file, path, m, known);
    }

    boolean isMapping() {
        return node instanceof YamlNode.Mapping;
    }

    /** Requires a mapping, and ignores what is in it. */
    void requireMapping() throws ConfigException {
        if (!(node instanceof YamlNode.Mapping)) {
            throw error("expected a mapping, found " + node.kind());
        }
    }
}
