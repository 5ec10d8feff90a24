package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads YAML text into a {@link Tree} with SnakeYAML's node API, so that every value keeps its
 * line. Nothing is constructed from tags: only mappings, sequences and plain data are accepted.
 * Duplicate keys and syntax errors are reported with file and line. Stateless and thread-safe.
 *
 * <p>Scalars: {@code true/false} (and YAML 1.1's {@code yes/no/on/off}) are booleans, decimal
 * integers are numbers, decimal floats are numbers, {@code ~}/{@code null}/empty is nothing,
 * everything else is text. A field that wants text takes any scalar as written.
 */
final class YamlReader {
    private static final int MAX_DEPTH = 64;
    private static final int MAX_ALIASES = 50;
    /** At most this many values (mappings, lists, scalars) per document, aliases expanded. */
    static final int MAX_VALUES = 250_000;
    /** The most digits a whole number may have (as Jackson's default for JSON). */
    private static final int MAX_DIGITS = 1000;
    private static final Pattern BARE_STAR = Pattern.compile("(^|[:\\[,-]\\s*)\\*\\s*($|[,\\]])");
    private static final Pattern DECIMAL_INT = Pattern.compile("[-+]?[0-9][0-9_]*");
    private static final Pattern DECIMAL_FLOAT = Pattern.compile("[-+]?([0-9][0-9_]*)?\\.?[0-9_]*([eE][-+]?[0-9]+)?");

    private YamlReader() {
    }

    /** The document in {@code text}, or null when it holds none. */
    static Tree read(String text, String origin) {
        ManifestBytes.check(text, origin);
        ManifestBytes.checkYamlLines(text, origin);
        LoaderOptions options = new LoaderOptions();
        options.setProcessComments(false);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setCodePointLimit(ManifestBytes.MAX_BYTES); // a code point is at least one byte
        options.setNestingDepthLimit(MAX_DEPTH + 2); // convert() says it first, with the field and line
        options.setAllowRecursiveKeys(false);
        Node root;
        try {
            root = new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = mark == null ? 0 : mark.getLine() + 1;
            String problem = e.getProblem() != null ? e.getProblem() : firstLine(e.getMessage());
            if (e.getContext() != null) {
                problem = e.getContext() + ": " + problem;
            }
            String hint = BARE_STAR.matcher(Where.lineText(text, line)).find() ? " (quote \"*\": a bare * starts a YAML alias)" : "";
            throw Where.locate(new InvalidSpecException("syntax", Where.token(text, line, mark == null ? -1 : mark.getColumn()),
                    "must be valid YAML: " + Where.problem(problem) + hint), origin, line);
        } catch (YAMLException e) {
            throw Where.locate(new InvalidSpecException("syntax", "", "must be valid YAML: " + Where.problem(firstLine(e.getMessage()))),
                    origin, 0);
        }
        return root == null ? null : convert(root, "", origin, 0, new int[] {MAX_VALUES});
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private static String child(String path, String key) {
        String shown = Where.shortKey(key); // paths only name fields in errors
        return path.isEmpty() ? shown : path + "." + shown;
    }

    /** {@code budget[0]}: how many more values may be made; aliases share nodes, the tree copies them. */
    private static Tree convert(Node node, String path, String origin, int depth, int[] budget) {
        String field = path.isEmpty() ? "document" : path;
        if (depth > MAX_DEPTH) {
            throw Where.locate(new InvalidSpecException(field, "...", "must not nest deeper than " + MAX_DEPTH + " levels"),
                    origin, line(node));
        }
        if (--budget[0] < 0) {
            throw Where.locate(new InvalidSpecException(field, "...", "a manifest may hold at most " + MAX_VALUES
                    + " values, counting each use of an alias (*name) as a copy"), origin, line(node));
        }
        if (node instanceof MappingNode map) {
            requireTag(node, Tag.MAP, field, origin);
            Map<String, Tree> entries = new LinkedHashMap<>();
            Map<String, Integer> keyLines = new LinkedHashMap<>();
            for (NodeTuple t : map.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode keyNode)) {
                    throw Where.locate(new InvalidSpecException(field, "a " + t.getKeyNode().getNodeId() + " key",
                            "keys must be plain text"), origin, line(t.getKeyNode()));
                }
                String key = keyNode.getValue();
                int keyLine = line(keyNode);
                if (entries.containsKey(key)) {
                    throw Where.locate(new InvalidSpecException(child(path, key), key,
                            "each key may appear once in a mapping (first at line " + keyLines.get(key) + ")"), origin, keyLine);
                }
                keyLines.put(key, keyLine);
                entries.put(key, convert(t.getValueNode(), child(path, key), origin, depth + 1, budget));
            }
            return new Tree.Obj(entries, keyLines, line(node));
        }
        if (node instanceof SequenceNode seq) {
            requireTag(node, Tag.SEQ, field, origin);
            List<Tree> items = new ArrayList<>();
            for (Node item : seq.getValue()) {
                items.add(convert(item, path + "[" + items.size() + "]", origin, depth + 1, budget));
            }
            return new Tree.Arr(items, line(node));
        }
        ScalarNode scalar = (ScalarNode) node;
        return new Tree.Val(scalarValue(scalar, field, origin), scalar.getValue(), line(node));
    }

    private static void requireTag(Node node, Tag expected, String field, String origin) {
        if (!node.getTag().equals(expected)) {
            throw Where.locate(new InvalidSpecException(field, node.getTag().getValue(),
                    "tags are not supported: write plain mappings, lists and scalars"), origin, line(node));
        }
    }

    private static Object scalarValue(ScalarNode node, String field, String origin) {
        Tag tag = node.getTag();
        String text = node.getValue();
        if (tag.equals(Tag.NULL)) {
            return null;
        }
        if (tag.equals(Tag.BOOL)) {
            String t = text.toLowerCase(Locale.ROOT);
            return t.equals("true") || t.equals("yes") || t.equals("on");
        }
        if (tag.equals(Tag.INT) && DECIMAL_INT.matcher(text).matches()) {
            if (text.length() > MAX_DIGITS) {
                throw Where.locate(new InvalidSpecException(field, text, "numbers may have at most " + MAX_DIGITS + " digits"),
                        origin, line(node));
            }
            BigInteger big = new BigInteger(text.replace("_", "").replace("+", ""));
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        if (tag.equals(Tag.FLOAT) && DECIMAL_FLOAT.matcher(text).matches()) {
            try {
                return Double.parseDouble(text.replace("_", ""));
            } catch (NumberFormatException e) {
                return text;
            }
        }
        if (tag.equals(Tag.FLOAT)) {
            String t = text.toLowerCase(Locale.ROOT);
            if (t.endsWith(".nan")) {
                return Double.NaN;
            }
            if (t.endsWith(".inf")) {
                return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            return text;
        }
        if (!tag.getValue().startsWith(Tag.PREFIX)) {
            throw Where.locate(new InvalidSpecException(field, tag.getValue(),
                    "tags are not supported: write plain mappings, lists and scalars"), origin, line(node));
        }
        return text;
    }
}
