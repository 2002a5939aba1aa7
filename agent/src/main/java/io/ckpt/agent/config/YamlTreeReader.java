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
 */
final class YamlTreeReader {
    private static final YAMLFactory FACTORY = new YAMLFactory();

    private final String file;
    private final YAMLParser parser;

    private YamlTreeReader(String file, YAMLParser parser) {
        this.file = file;
        this.parser = parser;
    }

    /** The document in {@code text}; {@link YamlNode.Empty} if it has none. */
    static YamlNode read(String file, String text) throws ConfigException {
        try (YAMLParser parser = FACTORY.createParser(text)) {
            YamlTreeReader reader = new YamlTreeReader(file, parser);
            if (parser.nextToken() == null) {
                return new YamlNode.Empty(YamlNode.Mark.START);
            }
            YamlNode root = reader.node("");
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

    private YamlNode node(String path) throws IOException, ConfigException {
        YamlNode.Mark at = mark();
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT:
                return mapping(at, path);
            case START_ARRAY:
                return sequence(at, path);
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
                return new YamlNode.Scalar(at, parser.getText());
            default:
                throw new ConfigException(file, at, path, "unsupported YAML value (" + token + ")");
        }
    }

    private YamlNode mapping(YamlNode.Mark at, String path) throws IOException, ConfigException {
        List<YamlNode.Entry> entries = new ArrayList<>();
        Map<String, YamlNode.Mark> seen = new HashMap<>();
        while (parser.nextToken() != JsonToken.END_OBJECT) {
            String key = parser.currentName();
            YamlNode.Mark keyMark = mark();
            String keyPath = path.isEmpty() ? key : path + "." + key;
            YamlNode.Mark first = seen.putIfAbsent(key, keyMark);
            if (first != null) {
                throw new ConfigException(file, keyMark, keyPath, "duplicate key (first at line " + first.line() + ")");
            }
            parser.nextToken();
            entries.add(new YamlNode.Entry(key, keyMark, node(keyPath)));
        }
        return new YamlNode.Mapping(at, entries);
    }

    private YamlNode sequence(YamlNode.Mark at, String path) throws IOException, ConfigException {
        List<YamlNode> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            items.add(node(path + "[" + items.size() + "]"));
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
