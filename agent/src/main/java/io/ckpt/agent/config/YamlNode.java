package io.ckpt.agent.config;

import java.util.List;

/** A YAML document as a tree of mappings, lists and scalars, each knowing where in the file it starts. */
sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar, YamlNode.Empty {

    /** Where the node starts. */
    Mark mark();

    /** How an error message names this kind of node: "a mapping", "a list", "a value", "nothing". */
    String kind();

    /** A 1-based line and column. */
    record Mark(int line, int column) {
        static final Mark START = new Mark(1, 1);
    }

    /** One {@code key: value} of a mapping. */
    record Entry(String key, Mark keyMark, YamlNode value) {}

    /** A mapping, entries in file order, keys unique. */
    record Mapping(Mark mark, List<Entry> entries) implements YamlNode {
        public Mapping {
            entries = List.copyOf(entries);
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** A list. */
    record Sequence(Mark mark, List<YamlNode> items) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /** A string, number or boolean, as written (without quotes). */
    record Scalar(Mark mark, String text) implements YamlNode {
        @Override
        public String kind() {
            return "a value";
        }
    }

    /** An empty value or YAML null ({@code key:}, {@code key: ~}, {@code key: null}): the same as leaving it out. */
    record Empty(Mark mark) implements YamlNode {
        @Override
        public String kind() {
            return "nothing";
        }
    }
}
