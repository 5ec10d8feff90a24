// Reading a preset's options: each value checked for its type, and an error that names the option, the value and what is allowed.
package dev.berth.hooks;

import dev.berth.api.InvalidSpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typed reads of a preset's options for the built-in modules. */
public final class Options {
    private Options() {
    }

    /** The option {@code name} as text; {@code dflt} when absent (null: required). */
    public static String text(Map<String, Object> options, String name, String dflt) {
        Object v = options.get(name);
        if (v == null) {
            if (dflt == null) {
                throw new InvalidSpecException("options." + name, null, "required: a text");
            }
            return dflt;
        }
        if (!(v instanceof String s)) {
            throw new InvalidSpecException("options." + name, v, "a text");
        }
        return s;
    }

    /** The option {@code name} as a whole number within {@code min..max}; {@code dflt} when absent. */
    public static long number(Map<String, Object> options, String name, long dflt, long min, long max) {
        Object v = options.get(name);
        if (v == null) {
            return dflt;
        }
        long n;
        if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
            n = num.longValue();
        } else if (v instanceof String s && s.matches("-?[0-9]{1,18}")) {
            n = Long.parseLong(s);
        } else {
            throw new InvalidSpecException("options." + name, v, "a whole number " + min + "-" + max);
        }
        if (n < min || n > max) {
            throw new InvalidSpecException("options." + name, v, "a whole number " + min + "-" + max);
        }
        return n;
    }

    /** The option {@code name} as a non-empty list of texts (required). */
    public static List<String> texts(Map<String, Object> options, String name) {
        Object v = options.get(name);
        if (!(v instanceof List<?> list) || list.isEmpty()) {
            throw new InvalidSpecException("options." + name, v, "required: a non-empty list of texts");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s) || s.indexOf('\0') >= 0) {
                throw new InvalidSpecException("options." + name, v, "a list of texts (without NUL)");
            }
            out.add(s);
        }
        return out;
    }
}
