package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Typed reads of {@link Tree} values for the decoders: each either returns the value or throws an
 * {@link InvalidSpecException} naming the field, the value as written (secrets hidden) and what is
 * allowed. Also renders values for error messages. Stateless.
 */
final class TreeValues {
    /** Env values are secrets: errors name the key and the wrong kind, never the value. */
    static final String HIDDEN = "value hidden";
    private static final int RENDER_MAX = 120;

    private TreeValues() {
    }

    /** The value under {@code key}; null when absent or null. */
    static Tree get(Tree.Obj o, String key) {
        Tree t = o.entries().get(key);
        return t == null || isNull(t) ? null : t;
    }

    static boolean isNull(Tree t) {
        return t instanceof Tree.Val v && v.isNull();
    }

    static void checkKeys(Tree.Obj o, String path, Set<String> allowed, String allowedText) {
        for (Map.Entry<String, Tree> e : o.entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                String key = Where.shortKey(e.getKey());
                String field = path.isEmpty() ? key : path + "." + key;
                // the key, never its value (a misplaced env entry may be a secret)
                throw new InvalidSpecException(field, key, "not a known field" + (path.isEmpty() ? "" : " of " + path) + ";"
                        + Suggest.didYouMean(key, allowed) + " known fields are " + allowedText);
            }
        }
    }

    static Tree.Obj obj(Tree t, String field, String example) {
        if (t instanceof Tree.Obj o) {
            return o;
        }
        throw new InvalidSpecException(field, render(t), "must be a mapping such as " + example);
    }

    static String text(Tree t, String field) {
        if (t instanceof Tree.Val v && !v.isNull()) {
            return v.value() instanceof String s ? s : v.text();
        }
        throw new InvalidSpecException(field, t instanceof Tree.Val ? null : render(t), "must be text");
    }

    static List<String> textList(Tree t, String field) {
        if (t == null) {
            return List.of();
        }
        if (!(t instanceof Tree.Arr a)) {
            throw new InvalidSpecException(field, render(t), "must be a list such as [a, b]");
        }
        List<String> out = new ArrayList<>();
        for (Tree item : a.items()) {
            out.add(text(item, field + "[" + out.size() + "]"));
        }
        return out;
    }

    static List<String> argv(Tree t, String field) {
        if (t != null && !(t instanceof Tree.Arr)) {
            throw new InvalidSpecException(field, render(t), "must be an argv list such as [node, server.js], not one string");
        }
        return textList(t, field);
    }

    static Map<String, String> textMap(Tree t, String field) {
        if (t == null) {
            return Map.of();
        }
        Tree.Obj o = obj(t, field, "{KEY: value}");
        Map<String, String> out = new LinkedHashMap<>();
        o.entries().forEach((k, v) -> out.put(k, text(v, field + "." + Where.shortKey(k))));
        return out;
    }

    /** A map of secret text values: an error names the key and the kind of value it got, not the value. */
    static Map<String, String> secretMap(Tree t, String field) {
        if (t == null) {
            return Map.of();
        }
        if (!(t instanceof Tree.Obj o)) {
            throw new InvalidSpecException(field, t.kind() + ", " + HIDDEN, "must be a mapping such as {KEY: value}");
        }
        Map<String, String> out = new LinkedHashMap<>();
        o.entries().forEach((k, v) -> {
            if (!(v instanceof Tree.Val val) || val.isNull()) {
                throw new InvalidSpecException(field + "." + Where.shortKey(k), v.kind() + ", " + HIDDEN, "must be text");
            }
            out.put(k, val.value() instanceof String s ? s : val.text());
        });
        return out;
    }

    static Duration duration(Tree t, String field, Duration dflt) {
        if (t == null) {
            return dflt;
        }
        if (t instanceof Tree.Val v && v.value() instanceof String s) {
            Duration d = Durations.parse(s.strip(), field);
            if (d != null) {
                return d;
            }
        }
        throw new InvalidSpecException(field, render(t), Durations.ALLOWED);
    }

    static double number(Tree t, String field, String allowed) {
        if (t instanceof Tree.Val v && v.value() instanceof Number n) {
            return n.doubleValue();
        }
        throw new InvalidSpecException(field, render(t), "must be a number; " + allowed);
    }

    static int integer(Tree t, String field, String allowed) {
        if (t instanceof Tree.Val v) {
            if (v.value() instanceof Long n && n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
                return n.intValue();
            }
            if (v.value() instanceof Long || v.value() instanceof BigInteger) {
                throw new InvalidSpecException(field, v.text(), allowed);
            }
        }
        throw new InvalidSpecException(field, render(t), "must be a whole number; " + allowed);
    }

    static boolean bool(Tree t, String field) {
        if (t instanceof Tree.Val v && v.value() instanceof Boolean b) {
            return b;
        }
        throw new InvalidSpecException(field, render(t), "must be true or false");
    }

    /**
     * {@code read}'s result; a value the API's records refuse with a plain Java exception (an
     * out-of-range number, a duration too long for their arithmetic) becomes an
     * {@link InvalidSpecException} naming {@code field} and the value as written.
     */
    static <T> T refusedAs(String field, Tree t, Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new InvalidSpecException(field, t == null ? null : render(t),
                    "the value is out of range: " + why.replaceAll("[\\s\\x00-\\x1f]+", " ").strip());
        }
    }

    /** A value as shown in an error message: at most about 120 characters, env values hidden. */
    static String render(Tree t) {
        if (t instanceof Tree.Val v) {
            return v.isNull() ? "null" : v.text();
        }
        StringBuilder sb = new StringBuilder();
        if (t instanceof Tree.Arr a) {
            sb.append('[');
            for (int i = 0; i < a.items().size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(render(a.items().get(i)));
                if (sb.length() > RENDER_MAX) {
                    break;
                }
            }
            return sb.append(']').toString();
        }
        Tree.Obj o = (Tree.Obj) t;
        sb.append('{');
        for (Map.Entry<String, Tree> e : o.entries().entrySet()) {
            sb.append(sb.length() == 1 ? "" : ", ").append(Where.shortKey(e.getKey())).append(": ")
                    .append(e.getKey().equals("env") ? "(" + HIDDEN + ")" : render(e.getValue()));
            if (sb.length() > RENDER_MAX) {
                break;
            }
        }
        return sb.append('}').toString();
    }
}
