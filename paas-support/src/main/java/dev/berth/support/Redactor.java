// Secrets hidden in text shown to people: an app's env values become ***.
package dev.berth.support;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Hides secrets in text shown to people (a pusher's remote lines, an exited instance's output): every occurrence of one of an app's env values (of at
 * least {@value #MIN_CHARS} characters, longest first) becomes {@code ***}. Shorter values (a
 * {@code 1}, a {@code on}) would blank out ordinary words and are too short to be secrets worth the
 * name. Immutable and thread-safe.
 */
public final class Redactor {
    /** Shorter values are not hidden. */
    public static final int MIN_CHARS = 4;
    public static final String MASK = "***";

    private final List<String> secrets;

    /** Hides each of {@code values} of at least {@link #MIN_CHARS} characters ({@code RANDOM_PORT} excepted). */
    public Redactor(Collection<String> values) {
        this.secrets = values.stream().filter(Objects::nonNull).filter(v -> v.length() >= MIN_CHARS)
                .filter(v -> !v.equals("RANDOM_PORT")).distinct()
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    /** {@code text} with every secret replaced by {@code ***}. */
    public String apply(String text) {
        String out = text == null ? "" : text;
        for (String s : secrets) {
            if (out.contains(s)) {
                out = out.replace(s, MASK);
            }
        }
        return out;
    }
}
