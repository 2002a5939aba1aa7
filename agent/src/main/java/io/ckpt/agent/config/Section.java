package io.ckpt.agent.config;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A mapping of the config file, under its key path, whose keys are checked against the schema when it is opened:
 * the first unknown key, in file order, is an error naming it and the keys allowed there.
 */
final class Section {
    private final String file;
    private final String path;
    private final YamlNode.Mapping mapping;

    Section(String file, String path, YamlNode.Mapping mapping, Set<String> known) throws ConfigException {
        this.file = file;
        this.path = path;
        this.mapping = mapping;
        for (YamlNode.Entry e : mapping.entries()) {
            if (!known.contains(e.key())) {
                throw new ConfigException(file, e.keyMark(), keyPath(e.key()),
                        "unknown key (expected one of: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    /** The whole document, which must be a mapping (an empty document counts as an empty mapping). */
    static Section root(String file, YamlNode root, Set<String> known) throws ConfigException {
        if (root instanceof YamlNode.Empty e) {
            return new Section(file, "", new YamlNode.Mapping(e.mark(), List.of()), known);
        }
        return new ConfigValue(file, "", root).section(known);
    }

    /** {@code key} under this section's path. */
    String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The path of this section, such as {@code wpars[0].schedule}. */
    String path() {
        return path;
    }

    YamlNode.Mark mark() {
        return mapping.mark();
    }

    /** The value of {@code key}; empty if the key is absent or its value is empty or null. */
    Optional<ConfigValue> get(String key) {
        for (YamlNode.Entry e : mapping.entries()) {
            if (e.key().equals(key)) {
                return e.value() instanceof YamlNode.Empty ? Optional.empty()
                        : Optional.of(new ConfigValue(file, keyPath(key), e.value()));
            }
        }
        return Optional.empty();
    }

    boolean has(String key) {
        return get(key).isPresent();
    }

    /** The value of {@code key}, or an error at this section saying it is required and {@code why}. */
    ConfigValue require(String key, String why) throws ConfigException {
        Optional<ConfigValue> v = get(key);
        if (v.isEmpty()) {
            throw error(key, "required: " + why);
        }
        return v.get();
    }

    /** An error about {@code key} that has no value of its own to point at: placed at this section. */
    ConfigException error(String key, String problem) {
        return new ConfigException(file, mapping.mark(), keyPath(key), problem);
    }
}
