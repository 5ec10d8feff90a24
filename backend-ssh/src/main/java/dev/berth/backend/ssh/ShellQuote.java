// POSIX shell quoting for the SSH hosts: argv lists (through paas-support's ShellWords) and env files as a remote sh reads them back exactly.
package dev.berth.backend.ssh;

import dev.berth.support.ShellWords;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * POSIX shell quoting of argv lists: how every command reaches a remote shell. An argument made
 * only of characters no shell treats specially is passed as is; any other is wrapped in single
 * quotes, inside which a POSIX shell takes every byte literally (spaces, {@code ; $ ` " \},
 * newlines, non-ASCII), with each embedded single quote written as {@code '\''}. The empty string
 * becomes {@code ''}. NUL cannot be passed through a shell and is refused. An env becomes
 * {@code KEY='value'} lines for a shell to source. Stateless and thread-safe.
 */
final class ShellQuote {
    private ShellQuote() {
    }

    /** One argument, quoted for a POSIX shell ({@link ShellWords#quote}; NUL refused naming the argument). */
    static String quote(String arg) {
        if (arg != null && arg.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("argument '" + Names.printable(arg)
                    + "' is not allowed: a shell argument cannot contain NUL");
        }
        return ShellWords.quote(arg);
    }

    /** A command line that a POSIX shell splits back into exactly {@code argv}. */
    static String join(List<String> argv) {
        if (argv != null) {
            argv.forEach(ShellQuote::quote); // NUL named as the SSH backend names it
        }
        return ShellWords.join(argv);
    }

    /** The env as sh assignments ({@code KEY='value'} lines) that the instance's shell sources with {@code set -a}. */
    static InputStream envFile(Map<String, String> env) {
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> {
            if (!Names.ENV_KEY.matcher(k).matches()) {
                throw new IllegalArgumentException("env key '" + Names.printable(k) + "' is not allowed: keys are 1-128 "
                        + "of A-Z a-z 0-9 _, not starting with a digit");
            }
            sb.append(k).append('=').append(quote(v)).append('\n');
        });
        return new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
