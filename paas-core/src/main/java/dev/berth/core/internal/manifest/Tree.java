package dev.berth.core.internal.manifest;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed manifest value that remembers the line it came from: a mapping, a sequence or a
 * scalar. YAML, JSON and plain Java trees are all read into this form, so that one decoder serves
 * every format and every error can name its line. Immutable.
 */
sealed interface Tree permits Tree.Obj, Tree.Arr, Tree.Val {

    /** Line of the value, 1-based; 0 when unknown (a tree built in code). */
    int line();

    /** A short name of the kind of value, for "must be a ..." messages. */
    String kind();

    /**
     * A mapping with text keys in document order.
     *
     * @param entries  values by key
     * @param keyLines the line of each key (0 when unknown)
     * @param line     the line where the mapping starts
     */
    record Obj(Map<String, Tree> entries, Map<String, Integer> keyLines, int line) implements Tree {
        public Obj {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            keyLines = Collections.unmodifiableMap(new LinkedHashMap<>(keyLines));
        }

        int keyLine(String key) {
            Integer l = keyLines.get(key);
            return l == null || l == 0 ? line : l;
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** A sequence. */
    record Arr(List<Tree> items, int line) implements Tree {
        public Arr {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /**
     * A scalar.
     *
     * @param value a {@code String}, {@code Long}, {@code java.math.BigInteger}, {@code Double},
     *              {@code Boolean}, or null for an explicit null
     * @param text  the scalar as written (for numbers and booleans given where text is wanted)
     * @param line  its line
     */
    record Val(Object value, String text, int line) implements Tree {
        boolean isNull() {
            return value == null;
        }

        @Override
        public String kind() {
            if (value == null) {
                return "nothing";
            }
            if (value instanceof String) {
                return "text";
            }
            if (value instanceof Boolean) {
                return "a boolean";
            }
            return "a number";
        }
    }
}
