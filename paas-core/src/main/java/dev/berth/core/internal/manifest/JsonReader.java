package dev.berth.core.internal.manifest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.berth.api.InvalidSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON text into a {@link Tree} with Jackson's streaming parser, so that every value keeps
 * its line. Duplicate keys, trailing content and syntax errors are reported with file and line.
 * Stateless and thread-safe.
 */
final class JsonReader {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private static final int MAX_DEPTH = 64;

    private JsonReader() {
    }

    /** The single JSON value in {@code text}. */
    static Tree read(String text, String origin) {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw Where.locate(new InvalidSpecException("document", "", "must be a JSON object"), origin, 1);
            }
            Tree tree = value(p, "", origin, 0);
            if (p.nextToken() != null) {
                int line = line(p.currentTokenLocation());
                throw Where.locate(new InvalidSpecException("syntax", Where.lineText(text, line),
                        "must be valid JSON: one value only, nothing after it"), origin, line);
            }
            return tree;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : line(e.getLocation());
            throw Where.locate(new InvalidSpecException("syntax", Where.lineText(text, line),
                    "must be valid JSON: " + e.getOriginalMessage()), origin, line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int line(JsonLocation loc) {
        return Math.max(loc.getLineNr(), 0);
    }

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static Tree value(JsonParser p, String path, String origin, int depth) throws IOException {
        int line = line(p.currentTokenLocation());
        if (depth > MAX_DEPTH) {
            throw Where.locate(new InvalidSpecException(path, "...", "must not nest deeper than " + MAX_DEPTH + " levels"),
                    origin, line);
        }
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Tree> entries = new LinkedHashMap<>();
                Map<String, Integer> keyLines = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int keyLine = line(p.currentTokenLocation());
                    if (entries.containsKey(key)) {
                        throw Where.locate(new InvalidSpecException(child(path, key), key,
                                "each key may appear once in an object (first at line " + keyLines.get(key) + ")"), origin, keyLine);
                    }
                    p.nextToken();
                    keyLines.put(key, keyLine);
                    entries.put(key, value(p, child(path, key), origin, depth + 1));
                }
                return new Tree.Obj(entries, keyLines, line);
            }
            case START_ARRAY: {
                List<Tree> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(value(p, path + "[" + items.size() + "]", origin, depth + 1));
                }
                return new Tree.Arr(items, line);
            }
            case VALUE_STRING:
                return new Tree.Val(p.getText(), p.getText(), line);
            case VALUE_NUMBER_INT: {
                Object n = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : (Object) p.getLongValue();
                return new Tree.Val(n, p.getText(), line);
            }
            case VALUE_NUMBER_FLOAT:
                return new Tree.Val(p.getDoubleValue(), p.getText(), line);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new Tree.Val(t == JsonToken.VALUE_TRUE, p.getText(), line);
            case VALUE_NULL:
                return new Tree.Val(null, "null", line);
            default:
                throw Where.locate(new InvalidSpecException(path.isEmpty() ? "document" : path, p.getText(),
                        "must be a JSON value"), origin, line);
        }
    }
}
