// POSIX shell quoting of argv lists, for the few places where a command must pass through sh -c.
package dev.berth.support;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Quotes arguments for a POSIX shell so that it splits a command line back into exactly the
 * argv it came from: an argument made only of characters no shell treats specially is passed as
 * is; any other is wrapped in single quotes (inside which sh takes every byte literally), each
 * embedded single quote written as {@code '\''}; the empty string becomes {@code ''}. NUL cannot
 * pass through a shell and is refused. Stateless and thread-safe.
 */
public final class ShellWords {
    /** Characters that never mean anything to sh, in any position (no '=', '~', '#', glob or brace chars). */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+:,./-]+");

    private ShellWords() {
    }

    /** One argument, quoted for a POSIX shell. */
    public static String quote(String arg) {
        if (arg == null) {
            throw new IllegalArgumentException("argument null is not allowed: must be a string");
        }
        if (arg.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an argument with NUL is not allowed: a shell argument cannot contain NUL");
        }
        if (SAFE.matcher(arg).matches()) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    /** A command line that a POSIX shell splits back into exactly {@code argv}. */
    public static String join(List<String> argv) {
        if (argv == null || argv.isEmpty()) {
            throw new IllegalArgumentException("argv " + argv + " is not allowed: must be a non-empty list");
        }
        StringBuilder sb = new StringBuilder();
        for (String arg : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(quote(arg));
        }
        return sb.toString();
    }
}
