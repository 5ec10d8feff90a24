package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as manifests write them: a whole number and a unit ({@code 500ms}, {@code 5s},
 * {@code 2m}, {@code 1h}, {@code 1d}; also {@code us} and {@code ns}), or ISO-8601
 * ({@code PT5S}). Formatting picks the largest unit that holds the duration exactly, which is the
 * shortest exact form. Stateless.
 */
public final class Durations {
    /** What a duration field accepts, for error messages. */
    static final String ALLOWED = "must be a duration such as 500ms, 5s, 2m, 1h (units ns, us, ms, s, m, h, d) or ISO-8601 such as PT5S";

    /**
     * The longest duration any field takes before its own ceiling applies: what fits in 64-bit
     * nanoseconds (about 292 years), so that no later arithmetic on it can overflow.
     */
    static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);
    /** Why a duration beyond {@link #LONGEST} is refused, for error messages. */
    static final String TOO_LONG = "is too long: a duration must be at most 106751d (about 292 years; every field has "
            + "a lower ceiling of its own)";

    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
    private static final Pattern SIMPLE = Pattern.compile("(-?[0-9]{1,30})(ns|us|ms|s|m|h|d)");
    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);
    private static final String[] UNITS = {"d", "h", "m", "s", "ms", "us", "ns"};
    private static final long[] UNIT_NANOS = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L,
            1_000_000_000L, 1_000_000L, 1_000L, 1L};

    private Durations() {
    }

    /** The duration written in {@code text}, or null when it is not one or is longer than {@link #LONGEST}. */
    static Duration parse(String text) {
        try {
            return parse(text, "duration");
        } catch (InvalidSpecException e) {
            return null;
        }
    }

    /**
     * The duration written in {@code text}, or null when it is not one.
     *
     * @throws InvalidSpecException naming {@code field} when it is longer than {@link #LONGEST}
     *                              (either way round)
     */
    static Duration parse(String text, String field) {
        Matcher m = SIMPLE.matcher(text);
        if (m.matches()) {
            BigInteger nanos = new BigInteger(m.group(1)).multiply(BigInteger.valueOf(unitNanos(m.group(2))));
            if (nanos.abs().compareTo(MAX_NANOS) > 0) {
                throw new InvalidSpecException(field, text, TOO_LONG);
            }
            return Duration.ofNanos(nanos.longValueExact());
        }
        if (text.startsWith("P") || text.startsWith("-P") || text.startsWith("p") || text.startsWith("-p")) {
            Duration d;
            try {
                d = Duration.parse(text);
            } catch (DateTimeParseException e) {
                if (e.getCause() instanceof ArithmeticException) {
                    throw new InvalidSpecException(field, text, TOO_LONG); // beyond even Duration's range
                }
                return null;
            }
            if (d.compareTo(LONGEST) > 0 || d.compareTo(LONGEST.negated()) < 0) {
                throw new InvalidSpecException(field, text, TOO_LONG);
            }
            return d;
        }
        return null;
    }

    /** The shortest exact text of {@code d}: e.g. {@code 0s}, {@code 1500ms}, {@code 2m}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        BigInteger nanos = BigInteger.valueOf(d.getSeconds()).multiply(NANOS_PER_SECOND)
                .add(BigInteger.valueOf(d.getNano()));
        for (int i = 0; i < UNITS.length; i++) {
            BigInteger[] qr = nanos.divideAndRemainder(BigInteger.valueOf(UNIT_NANOS[i]));
            if (qr[1].signum() == 0) {
                return qr[0] + UNITS[i];
            }
        }
        throw new AssertionError("every duration is a whole number of nanoseconds");
    }

    private static long unitNanos(String unit) {
        for (int i = 0; i < UNITS.length; i++) {
            if (UNITS[i].equals(unit)) {
                return UNIT_NANOS[i];
            }
        }
        throw new IllegalArgumentException(unit);
    }
}
