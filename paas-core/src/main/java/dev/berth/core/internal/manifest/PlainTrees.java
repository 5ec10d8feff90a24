package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plain Java trees (maps, lists, strings, numbers, booleans) to and from {@link Tree}s. Stateless. */
final class PlainTrees {
    private static final long NEGATIVE_ZERO_BITS = Double.doubleToRawLongBits(-0.0);

    private PlainTrees() {
    }

    /** A Java number as the tree holds it: whole doubles as longs (for readable YAML), others as doubles. */
    static Object number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15 && Double.doubleToRawLongBits(v) != NEGATIVE_ZERO_BITS) {
            return (long) v;
        }
        return v;
    }

    /** A plain Java tree as a {@link Tree} without lines. */
    static Tree read(Object o, String path) {
        if (o == null) {
            return new Tree.Val(null, "null", 0);
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Tree> entries = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new InvalidSpecException(path.isEmpty() ? "app" : path, e.getKey(), "keys must be text");
                }
                entries.put(key, read(e.getValue(), path.isEmpty() ? key : path + "." + key));
            }
            return new Tree.Obj(entries, Map.of(), 0);
        }
        if (o instanceof List<?> l) {
            List<Tree> items = new ArrayList<>();
            for (Object item : l) {
                items.add(read(item, path + "[" + items.size() + "]"));
            }
            return new Tree.Arr(items, 0);
        }
        if (o instanceof String s) {
            return new Tree.Val(s, s, 0);
        }
        if (o instanceof Boolean b) {
            return new Tree.Val(b, b.toString(), 0);
        }
        if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
            long n = ((Number) o).longValue();
            return new Tree.Val(n, Long.toString(n), 0);
        }
        if (o instanceof BigInteger b) {
            return new Tree.Val(b.bitLength() < 64 ? (Object) b.longValue() : b, b.toString(), 0);
        }
        if (o instanceof Double || o instanceof Float || o instanceof BigDecimal) {
            double d = ((Number) o).doubleValue();
            return new Tree.Val(d, o.toString(), 0);
        }
        throw new InvalidSpecException(path.isEmpty() ? "app" : path, o.getClass().getSimpleName() + " " + o,
                "must be a map, list, text, number or boolean");
    }
}
