// Validation of the names that become path segments under the base directory.
package dev.berth.backend.process;

import java.util.regex.Pattern;

/** Validates the names that become path segments under the base directory. Stateless. */
final class Names {
    /** A path segment: starts with a letter or digit, so never "." or "..", and no separators. */
    static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final String ALLOWED = "1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit";

    private Names() {
    }

    /** Returns {@code value} when it is a safe path segment, else throws naming the field. */
    static String segment(String field, String value) {
        if (value == null || !SEGMENT.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " '" + printable(value) + "' is not allowed: must be " + ALLOWED);
        }
        return value;
    }

    static boolean isSegment(String value) {
        return value != null && SEGMENT.matcher(value).matches();
    }

    /** The value with control characters escaped and cut to a sane length, for messages. */
    static String printable(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < value.length() && i < 200; i++) {
            char c = value.charAt(i);
            sb.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return value.length() > 200 ? sb + "..." : sb.toString();
    }
}
