package dev.berth.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Field validation shared by the value types. Package-private: each record exposes its own rules. */
final class Checks {
    static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    static final Pattern RESOURCE = Pattern.compile("[a-zA-Z][a-zA-Z0-9_]{0,31}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,62})");
    static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9._-]{0,63}");

    /** Most labels of a node or of a constraint. */
    static final int MAX_LABELS = 64;

    private Checks() {
    }

    static String dnsLabel(String field, String value) {
        if (value == null || !DNS_LABEL.matcher(value).matches()) {
            throw new InvalidSpecException(field, value,
                    "must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
        return value;
    }

    static <T> T notNull(String field, T value) {
        if (value == null) {
            throw new InvalidSpecException(field, null, "a value is required");
        }
        return value;
    }

    static String noControl(String field, String value) {
        notNull(field, value);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
                throw new InvalidSpecException(field, value, "must not contain NUL, newlines or other control characters");
            }
        }
        return value;
    }

    static List<String> argv(String field, List<String> argv, boolean mayBeEmpty) {
        notNull(field, argv);
        if (!mayBeEmpty && argv.isEmpty()) {
            throw new InvalidSpecException(field, "[]", "must name a program: a non-empty argv list");
        }
        if (argv.size() > Sizes.MAX_ARGS) {
            Sizes.argv(field, argv); // throws: checked before the elements are looked at
        }
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            notNull(field + "[" + i + "]", arg);
            if (arg.indexOf('\0') >= 0) {
                throw new InvalidSpecException(field + "[" + i + "]", arg, "must not contain NUL");
            }
        }
        if (!argv.isEmpty() && argv.get(0).isBlank()) {
            throw new InvalidSpecException(field + "[0]", argv.get(0), "the program name must not be blank");
        }
        Sizes.argv(field, argv);
        return List.copyOf(argv);
    }

    static Map<String, String> labels(String field, Map<String, String> labels) {
        notNull(field, labels);
        if (labels.size() > MAX_LABELS) {
            throw new InvalidSpecException(field, labels.size() + " labels", "must have at most " + MAX_LABELS + " labels");
        }
        labels.forEach((k, v) -> {
            if (k == null || !LABEL_KEY.matcher(k).matches()) {
                throw new InvalidSpecException(field, k, "label keys are 1-63 of A-Z a-z 0-9 . _ / -, starting with a letter or digit");
            }
            if (v == null || !LABEL_VALUE.matcher(v).matches()) {
                throw new InvalidSpecException(field + "." + k, v, "label values are 0-63 of A-Z a-z 0-9 . _ -");
            }
        });
        return Map.copyOf(labels);
    }

    /**
     * Returns {@code d} when it lies from {@code min} to {@code max} (both included), else throws
     * naming the field, the value and the range. Compares without arithmetic, so no duration,
     * however large, can overflow here.
     */
    static Duration within(String field, Duration d, Duration min, Duration max) {
        notNull(field, d);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new InvalidSpecException(field, text(d), "must be from " + text(min) + " to " + text(max));
        }
        return d;
    }

    /**
     * The shortest exact text of {@code d} in manifest units ({@code 0s}, {@code 500us},
     * {@code 1500ms}, {@code 2m}, {@code 1d}), for messages; never overflows.
     */
    static String text(Duration d) {
        if (d.isNegative()) {
            return d.getSeconds() == Long.MIN_VALUE ? d.toString() : "-" + text(d.negated());
        }
        long s = d.getSeconds();
        int n = d.getNano();
        if (n == 0) {
            if (s == 0) {
                return "0s";
            }
            if (s % 86_400 == 0) {
                return s / 86_400 + "d";
            }
            if (s % 3_600 == 0) {
                return s / 3_600 + "h";
            }
            return s % 60 == 0 ? s / 60 + "m" : s + "s";
        }
        // below a second: the sub-second part decides the unit, the seconds are scaled to it
        String whole = s == 0 ? "" : Long.toString(s);
        if (n % 1_000_000 == 0) {
            return join(whole, n / 1_000_000, 3) + "ms";
        }
        if (n % 1_000 == 0) {
            return join(whole, n / 1_000, 6) + "us";
        }
        return join(whole, n, 9) + "ns";
    }

    private static String join(String seconds, int fraction, int digits) {
        if (seconds.isEmpty()) {
            return Integer.toString(fraction);
        }
        String f = Integer.toString(fraction);
        return seconds + "0".repeat(digits - f.length()) + f;
    }
}
