package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;

/** Formats the origin of an error: {@code "apps/web.yml line 7"}. Stateless. */
final class Where {
    private Where() {
    }

    /** {@code origin line N}, {@code origin}, {@code line N}, or null when nothing is known. */
    static String at(String origin, int line) {
        if (origin == null) {
            return line > 0 ? "line " + line : null;
        }
        return line > 0 ? origin + " line " + line : origin;
    }

    /** {@code e} prefixed by {@link #at}, when that says anything. */
    static InvalidSpecException locate(InvalidSpecException e, String origin, int line) {
        String where = at(origin, line);
        return where == null ? e : e.in(where);
    }

    /** The 1-based line {@code line} of {@code text}, trimmed; empty when out of range. */
    static String lineText(String text, int line) {
        String[] lines = text.split("\r\n|\r|\n", -1);
        return line >= 1 && line <= lines.length ? lines[line - 1].strip() : "";
    }
}
