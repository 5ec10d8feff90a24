package dev.berth.core.internal.manifest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
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
    private static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxDocumentLength(ManifestBytes.MAX_BYTES)
                    .maxStringLength(ManifestBytes.MAX_BYTES)
                    .maxNumberLength(1000)
                    .maxNestingDepth(MAX_DEPTH + 2) // value() says it first, with the field and line
                    .build())
            .build();

    private JsonReader() {
    }

    /** The single JSON value in {@code text}. */
    static Tree read(String text, String origin) {
        ManifestBytes.check(text, origin);
        try (JsonParser p = FACTORY.createParser(text)) {
            try {
                JsonToken first = p.nextToken();
                if (first == null) {
                    throw Where.locate(new InvalidSpecException("document", "", "must be a JSON object"), origin, 1);
                }
                Tree tree = value(p, "", origin, 0);
                if (p.nextToken() != null) {
                    JsonLocation at = p.currentTokenLocation();
                    throw Where.locate(new InvalidSpecException("syntax", Where.token(text, line(at), at.getColumnNr() - 1),
                            "must be valid JSON: one value only, nothing after it"), origin, line(at));
                }
                return tree;
            } catch (JsonProcessingException e) {
                // a broken limit (a number too long) comes without a location: the parser knows where it is
                JsonLocation at = e.getLocation() != null ? e.getLocation() : p.currentLocation();
                int line = line(at);
                throw Where.locate(new InvalidSpecException("syntax", Where.token(text, line, at.getColumnNr() - 1),
                        "must be valid JSON: " + Where.problem(String.valueOf(e.getOriginalMessage()))), origin, line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int line(JsonLocation loc) {
        return Math.max(loc.getLineNr(), 0);
    }

    private static String child(String path, String key) {
        String shown = Where.shortKey(key); // paths only name fields in errors
        return path.isEmpty() ? shown : path + "." + shown;
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
