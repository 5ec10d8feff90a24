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
        return List.copyOf(argv);
    }

    static Map<String, String> labels(String field, Map<String, String> labels) {
        notNull(field, labels);
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

    static Duration positive(String field, Duration d) {
        notNull(field, d);
        if (d.isNegative() || d.isZero()) {
            throw new InvalidSpecException(field, d, "must be a positive duration");
        }
        return d;
    }

    static Duration notNegative(String field, Duration d) {
        notNull(field, d);
        if (d.isNegative()) {
            throw new InvalidSpecException(field, d, "must not be negative");
        }
        return d;
    }
}
