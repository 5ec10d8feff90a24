package dev.berth.api;

import java.util.List;
import java.util.Map;

/**
 * Size limits of what an instance is started with (argv lists and env), checked before anything
 * reaches {@code execve}: the kernel refuses one string over 128 KiB and an argv plus env over its
 * {@code ARG_MAX}, so these limits stay below both. Package-private; {@link AppSpec} documents them.
 */
final class Sizes {
    /** Most elements of one argv list ({@code command} or {@code setup}). */
    static final int MAX_ARGS = 4096;
    /** Most env entries. */
    static final int MAX_ENV = 4096;
    /** Most UTF-8 bytes of one argument or one {@code KEY=value} env entry (the kernel's limit less its NUL). */
    static final int MAX_STRING_BYTES = 128 * 1024 - 1;
    /** Most UTF-8 bytes of an argv list and the env together, counting one NUL per string. */
    static final int MAX_TOTAL_BYTES = 1024 * 1024;

    private Sizes() {
    }

    /** Checks one argv list's element count and each element's size. */
    static void argv(String field, List<String> argv) {
        if (argv.size() > MAX_ARGS) {
            throw new InvalidSpecException(field, argv.size() + " arguments", "must have at most " + MAX_ARGS + " arguments");
        }
        for (int i = 0; i < argv.size(); i++) {
            long bytes = utf8Length(argv.get(i));
            if (bytes > MAX_STRING_BYTES) {
                throw new InvalidSpecException(field + "[" + i + "]", bytes + " bytes",
                        "must be at most " + MAX_STRING_BYTES + " bytes (UTF-8)");
            }
        }
    }

    /** Checks the env's entry count and each entry's size; values are never echoed (they may be secrets). */
    static void env(Map<String, String> env) {
        if (env.size() > MAX_ENV) {
            throw new InvalidSpecException("env", env.size() + " entries", "must have at most " + MAX_ENV + " entries");
        }
        env.forEach((k, v) -> {
            long bytes = utf8Length(k) + 1 + utf8Length(v);
            if (bytes > MAX_STRING_BYTES) {
                throw new InvalidSpecException("env." + k, "(value hidden, " + bytes + " bytes with its key)",
                        "KEY=value must be at most " + MAX_STRING_BYTES + " bytes (UTF-8)");
            }
        });
    }

    /** Checks that {@code argv} and {@code env} together fit what one process may be given. */
    static void total(String field, List<String> argv, Map<String, String> env) {
        long bytes = 0;
        for (String a : argv) {
            bytes += utf8Length(a) + 1;
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            bytes += utf8Length(e.getKey()) + 1 + utf8Length(e.getValue()) + 1;
        }
        if (bytes > MAX_TOTAL_BYTES) {
            throw new InvalidSpecException(field, bytes + " bytes with the env",
                    "an argv list and the env together must be at most " + MAX_TOTAL_BYTES + " bytes (UTF-8)");
        }
    }

    /** The UTF-8 length of {@code s} without encoding it (an unpaired surrogate counts as '?', 1 byte). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
