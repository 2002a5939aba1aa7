package io.ckpt.agent.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML text into a {@link YamlNode} tree with Jackson's streaming parser, keeping every node's line and column.
 * Rejects what the tree cannot express faithfully: duplicate keys, aliases ({@code *name}), and more than one document.
 * Bounded: a config past {@link #MAX_BYTES}, nested deeper than {@link #MAX_DEPTH}, with more than {@link #MAX_KEYS}
 * keys in a mapping or {@link #MAX_ITEMS} items in a list, or with a key or value past {@link #MAX_KEY_LENGTH} /
 * {@link #MAX_VALUE_LENGTH} characters is refused, with the place named. Real configs are far smaller.
 */
final class YamlTreeReader {
    private static final YAMLFactory FACTORY = new YAMLFactory();
    static final int MAX_BYTES = 1 << 20;
    static final int MAX_DEPTH = 16;
    static final int MAX_KEYS = 256;
    static final int MAX_ITEMS = 4096;
    static final int MAX_KEY_LENGTH = 256;
    static final int MAX_VALUE_LENGTH = 64 << 10;

    private final String file;
    private final YAMLParser parser;

    private YamlTreeReader(String file, YAMLParser parser) {
        this.file = file;
        this.parser = parser;
    }

    /** The document in {@code text}; {@link YamlNode.Empty} if it has none. */
    static YamlNode read(String file, String text) throws ConfigException {
        if (text.length() > MAX_BYTES) {
            throw tooLarge(file, text.length());
        }
        try (YAMLParser parser = FACTORY.createParser(text)) {
            YamlTreeReader reader = new YamlTreeReader(file, parser);
            if (parser.nextToken() == null) {
                return new YamlNode.Empty(YamlNode.Mark.START);
            }
            YamlNode root = reader.node("", 1);
            if (parser.nextToken() != null) {
                throw new ConfigException(file, reader.mark(), "", "a second YAML document ('---'): the config is one document");
            }
            return root;
        } catch (JacksonException e) {
            throw syntaxError(file, e);
        } catch (IOException e) {
            throw new ConfigException(file, 0, 0, "", "cannot parse: " + e, e);
        }
    }

    /** The config of {@code size} bytes (or characters) is past {@link #MAX_BYTES}. */
    static ConfigException tooLarge(String file, long size) {
        return new ConfigException(file, 0, 0, "", "file of " + size + " bytes, more than the limit of " + MAX_BYTES
                + " (is this the agent config?)", null);
    }

    private YamlNode node(String path, int depth) throws IOException, ConfigException {
        YamlNode.Mark at = mark();
        JsonToken token = parser.currentToken();
        if ((token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) && depth > MAX_DEPTH) {
            throw new ConfigException(file, at, path, "nested deeper than " + MAX_DEPTH + " levels");
        }
        switch (token) {
            case START_OBJECT:
                return mapping(at, path, depth);
            case START_ARRAY:
                return sequence(at, path, depth);
            case VALUE_NULL:
                return new YamlNode.Empty(at);
            case VALUE_STRING:
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
            case VALUE_TRUE:
            case VALUE_FALSE:
                if (parser.isCurrentAlias()) {
                    throw new ConfigException(file, at, path, "YAML aliases (*" + parser.getText()
                            + ") are not supported: write the value out, or use the defaults section");
                }
                if (parser.getTextLength() > MAX_VALUE_LENGTH) {
                    throw new ConfigException(file, at, path, "value of " + parser.getTextLength()
                            + " characters, more than the limit of " + MAX_VALUE_LENGTH);
                }
                return new YamlNode.Scalar(at, parser.getText());
            default:
                throw new ConfigException(file, at, path, "unsupported YAML value (" + token + ")");
        }
    }

    private YamlNode mapping(YamlNode.Mark at, String path, int depth) throws IOException, ConfigException {
        List<YamlNode.Entry> entries = new ArrayList<>();
        Map<String, YamlNode.Mark> seen = new HashMap<>();
        while (parser.nextToken() != JsonToken.END_OBJECT) {
            String key = parser.currentName();
            YamlNode.Mark keyMark = mark();
            if (key.length() > MAX_KEY_LENGTH) {
                throw new ConfigException(file, keyMark, path, "key of " + key.length() + " characters, more than the limit of "
                        + MAX_KEY_LENGTH);
            }
            if (entries.size() == MAX_KEYS) {
                throw new ConfigException(file, keyMark, path, "more than " + MAX_KEYS + " keys in one mapping");
            }
            String keyPath = path.isEmpty() ? key : path + "." + key;
            YamlNode.Mark first = seen.putIfAbsent(key, keyMark);
            if (first != null) {
                throw new ConfigException(file, keyMark, keyPath, "duplicate key (first at line " + first.line() + ")");
            }
            parser.nextToken();
            entries.add(new YamlNode.Entry(key, keyMark, node(keyPath, depth + 1)));
        }
        return new YamlNode.Mapping(at, entries);
    }

    private YamlNode sequence(YamlNode.Mark at, String path, int depth) throws IOException, ConfigException {
        List<YamlNode> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            if (items.size() == MAX_ITEMS) {
                throw new ConfigException(file, mark(), path, "more than " + MAX_ITEMS + " items in one list");
            }
            items.add(node(path + "[" + items.size() + "]", depth + 1));
        }
        return new YamlNode.Sequence(at, items);
    }

    private YamlNode.Mark mark() {
        JsonLocation l = parser.currentTokenLocation();
        return new YamlNode.Mark(l.getLineNr(), l.getColumnNr());
    }

    private static ConfigException syntaxError(String file, JacksonException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException m && m.getProblemMark() != null) {
                String context = m.getContext() == null ? "" : m.getContext() + ": ";
                String hint = context.contains("alias") || context.contains("anchor")
                        ? " (quote values that start with * or &, such as cron expressions)" : "";
                return new ConfigException(file, m.getProblemMark().getLine() + 1, m.getProblemMark().getColumn() + 1, "",
                        "YAML syntax: " + context + m.getProblem() + hint, e);
            }
        }
        JsonLocation l = e.getLocation();
        return new ConfigException(file, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), "",
                "YAML syntax: " + e.getOriginalMessage(), e);
    }
}
