// Validation of the names and paths that reach a remote shell or become path segments on a host.
package dev.berth.backend.ssh;

import java.util.regex.Pattern;

/**
 * Validates the names and paths that reach a remote shell or become path segments on a host.
 * Everything checked here is later passed as a quoted argument too: validation keeps paths
 * predictable (no "..", no separators in names), quoting keeps the shell out of it. Stateless.
 */
final class Names {
    /** A path segment: starts with a letter or digit, so never "." or "..", and no separators. */
    static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final String SEGMENT_ALLOWED = "1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit";
    /** An absolute path of plain segments: what a base dir on a host may be. */
    static final Pattern ABSOLUTE_PATH = Pattern.compile("(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127})+");
    static final String PATH_ALLOWED = "an absolute path of segments of A-Z a-z 0-9 . _ - (no '..', no spaces), not '/'";
    /** An IP address or DNS name, as the Endpoint record allows. */
    static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.:_-]{1,253}");
    /** A POSIX user name. */
    static final Pattern USER = Pattern.compile("[A-Za-z_][A-Za-z0-9._-]{0,31}");
    /** An env key, as AppSpec allows. */
    static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private Names() {
    }

    /** Returns {@code value} when it is a safe path segment, else throws naming the field. */
    static String segment(String field, String value) {
        if (value == null || !SEGMENT.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " '" + printable(value) + "' is not allowed: must be "
                    + SEGMENT_ALLOWED);
        }
        return value;
    }

    static boolean isSegment(String value) {
        return value != null && SEGMENT.matcher(value).matches();
    }

    /** Whether the value is an absolute path without "." or ".." segments and without odd characters. */
    static boolean isAbsolutePath(String value) {
        if (value == null || !ABSOLUTE_PATH.matcher(value).matches()) {
            return false;
        }
        for (String s : value.substring(1).split("/")) {
            if (s.equals(".") || s.equals("..")) {
                return false;
            }
        }
        return true;
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
