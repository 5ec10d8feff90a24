// ${NAME} references in an app's command argv, expanded from the instance's environment without any shell.
package dev.berth.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.InvalidSpecException;

/**
 * Expands <code>${NAME}</code> in each argument of an app's command from the environment the instance
 * gets (after {@code RANDOM_PORT} resolution), the way a Procfile's {@code $PORT} works, but
 * without a shell: each argument stays one argument, whatever the value holds.
 *
 * <p>The rules, per argument, left to right:
 * <ul>
 *   <li><code>${NAME}</code>, NAME of {@code A-Z a-z 0-9 _} not starting with a digit, becomes the
 *       variable's value;</li>
 *   <li><code>$${</code> is a literal <code>${</code> (so <code>$${HOME}</code> reaches the program, or an
 *       {@code sh -c} script, as <code>${HOME}</code>);</li>
 *   <li>any other {@code $} is literal: {@code $PORT}, {@code $$} and {@code $1} reach the
 *       program unchanged (a shell, if the command starts one, expands them);</li>
 *   <li><code>${</code> followed by anything but NAME and <code>}</code> is an error.</li>
 * </ul>
 * A bare {@code $NAME} of a known variable in a command that starts no shell is refused at check
 * time: no shell would expand it, so it is the Procfile habit {@code $PORT} gone wrong (the program
 * would get the five characters {@code $PORT}); the error says to write <code>${PORT}</code>.
 * Known names, checked when the spec is checked: the keys of the spec's {@code env} and
 * {@link #BERTH_VARIABLES}. Only {@code command} is expanded; {@code setup} and {@code exec} argv
 * are passed as they are. Stateless and thread-safe.
 */
public final class ArgvExpansion {
    /** The variables every backend adds to an instance's environment, which a command may reference. */
    public static final Set<String> BERTH_VARIABLES = BerthEnv.NAMES;
    /** The most bytes (UTF-8) of one argument once expanded, as for the argv of a spec. */
    public static final int MAX_ARGUMENT_BYTES = 128 * 1024 - 1;
    /** The most bytes (UTF-8) of a whole command once expanded. */
    public static final int MAX_COMMAND_BYTES = 1 << 20;

    private static final String RULES = "write ${NAME} (NAME of A-Z a-z 0-9 _, not starting with a digit) for a variable, "
            + "or $${ for a literal ${";
    /** What a check assumes for values known only at launch: the longest a port or a BERTH_ value can be. */
    private static final String PORT_STAND_IN = "65535";
    private static final String BERTH_STAND_IN = "x".repeat(255);
    private static final int NAMES_SHOWN = 20;

    private ArgvExpansion() {
    }

    /**
     * The command with every <code>${NAME}</code> replaced by {@code env}'s value.
     *
     * @throws IllegalArgumentException naming the argument's index when a reference is malformed,
     *                                  names a variable {@code env} lacks, or the result is too long;
     *                                  values are never quoted
     */
    public static List<String> expand(List<String> argv, Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        return expandAll(argv, name -> {
            String value = env.get(name);
            if (value == null) {
                throw new IllegalArgumentException("no variable " + name + " in the instance's environment; it has "
                        + shown(env.keySet()));
            }
            return value;
        });
    }

    /**
     * The spec's command expanded for one instance, as a backend launches it.
     *
     * @param env  the environment the instance gets, {@code RANDOM_PORT} resolved
     * @param what the instance, for the message (e.g. {@code "app 'web' instance 'web-1'"})
     * @throws BackendException naming {@code what} and the argument when {@link #expand} refuses it
     */
    public static List<String> command(AppSpec spec, Map<String, String> env, String what) {
        try {
            return expand(spec.command(), env);
        } catch (IllegalArgumentException e) {
            throw new BackendException(what + ": cannot expand the command: " + e.getMessage(), e);
        }
    }

    /**
     * Checks the spec's command: well-formed references, each to a key of its env or one of
     * {@link #BERTH_VARIABLES}, and a result within the sizes allowed (a {@code RANDOM_PORT} counted
     * as 5 characters, a BERTH_ value as 255).
     *
     * @throws InvalidSpecException naming the app, {@code command[i]}, the argument and what is allowed
     */
    public static void check(AppSpec spec) {
        List<String> command = spec.command();
        boolean shell = !command.isEmpty() && SHELLS.contains(command.get(0).substring(command.get(0).lastIndexOf('/') + 1));
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            String bare = shell ? null : bareReference(arg, spec);
            if (bare != null) {
                throw new InvalidSpecException("command[" + i + "]", arg, "'$" + bare + "' would reach the program as "
                        + "it is: no shell runs to expand it; write ${" + bare + "} (Berth expands it), or start a shell "
                        + "(sh -c '... \"$" + bare + "\"')").in("app '" + spec.name() + "'");
            }
            try {
                expandOne(arg, name -> standIn(spec, name));
            } catch (IllegalArgumentException e) {
                throw new InvalidSpecException("command[" + i + "]", arg, e.getMessage()).in("app '" + spec.name() + "'");
            }
        }
        try {
            expandAll(command, name -> standIn(spec, name));
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("command", String.join(" ", command), e.getMessage()).in("app '" + spec.name() + "'");
        }
    }

    /** Programs that expand {@code $NAME} themselves: a bare reference in their argv is theirs. */
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "busybox");

    /** The first NAME of a bare {@code $NAME} in {@code arg} that names a variable the instance gets; null if none. */
    private static String bareReference(String arg, AppSpec spec) {
        int i = arg.indexOf('$');
        while (i >= 0 && i + 1 < arg.length()) {
            if (arg.startsWith("$$", i)) {
                i = arg.indexOf('$', i + 2);
                continue;
            }
            int end = nameEnd(arg, i + 1);
            String name = arg.substring(i + 1, end);
            if (!name.isEmpty() && (spec.env().containsKey(name) || BERTH_VARIABLES.contains(name))) {
                return name;
            }
            i = arg.indexOf('$', Math.max(end, i + 1));
        }
        return null;
    }

    private static String standIn(AppSpec spec, String name) {
        String value = spec.env().get(name);
        if (value != null) {
            return AppSpec.RANDOM_PORT.equals(value) ? PORT_STAND_IN : value;
        }
        if (BERTH_VARIABLES.contains(name)) {
            return BERTH_STAND_IN;
        }
        Set<String> known = new TreeSet<>(spec.env().keySet());
        known.addAll(BERTH_VARIABLES);
        throw new IllegalArgumentException("${" + name + "} names no variable of the instance's environment: "
                + "a command may use the app's env keys and Berth's own (" + shown(known) + "); " + RULES);
    }

    private static List<String> expandAll(List<String> argv, Function<String, String> lookup) {
        Objects.requireNonNull(argv, "argv");
        List<String> out = new ArrayList<>(argv.size());
        long total = 0;
        for (int i = 0; i < argv.size(); i++) {
            String expanded;
            try {
                expanded = expandOne(argv.get(i), lookup);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("command[" + i + "]: " + e.getMessage(), e);
            }
            total += utf8(expanded) + 1;
            if (total > MAX_COMMAND_BYTES) {
                throw new IllegalArgumentException("the command expands to more than " + MAX_COMMAND_BYTES
                        + " bytes (at command[" + i + "]); at most " + MAX_COMMAND_BYTES + " are allowed");
            }
            out.add(expanded);
        }
        return List.copyOf(out);
    }

    /** One argument expanded; {@code lookup} gives a name's value or throws. */
    private static String expandOne(String arg, Function<String, String> lookup) {
        Objects.requireNonNull(arg, "argument");
        if (!arg.contains("${")) {
            return arg;
        }
        StringBuilder out = new StringBuilder(arg.length());
        int i = 0;
        while (i < arg.length()) {
            char c = arg.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
            } else if (arg.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (arg.startsWith("${", i)) {
                int end = nameEnd(arg, i + 2);
                if (end == i + 2 || end >= arg.length() || arg.charAt(end) != '}') {
                    throw new IllegalArgumentException("'${' at character " + i + " does not start a reference; " + RULES);
                }
                out.append(lookup.apply(arg.substring(i + 2, end)));
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
            if (out.length() > MAX_ARGUMENT_BYTES) {
                break;
            }
        }
        if (utf8(out) > MAX_ARGUMENT_BYTES) {
            throw new IllegalArgumentException("the argument expands to more than " + MAX_ARGUMENT_BYTES
                    + " bytes; at most " + MAX_ARGUMENT_BYTES + " are allowed");
        }
        return out.toString();
    }

    /** The index after the longest NAME starting at {@code from} (itself when there is none). */
    private static int nameEnd(String s, int from) {
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i);
            boolean letter = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            boolean digit = c >= '0' && c <= '9';
            if (!(letter || (digit && i > from))) {
                break;
            }
            i++;
        }
        return i;
    }

    private static long utf8(CharSequence s) {
        return s.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    private static String shown(Set<String> names) {
        Set<String> sorted = new TreeSet<>(names);
        if (sorted.size() <= NAMES_SHOWN) {
            return String.join(", ", sorted);
        }
        return String.join(", ", sorted.stream().limit(NAMES_SHOWN).toList()) + " and " + (sorted.size() - NAMES_SHOWN) + " more";
    }
}
