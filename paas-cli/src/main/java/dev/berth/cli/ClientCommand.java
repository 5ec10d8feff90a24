// The base of the commands that talk to a server: the shared options, and one method to do the work.
package dev.berth.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A command that talks to the control API ({@link Connection}); answers its exit code. */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Override
    public final Integer call() throws Exception {
        return run(connection.client());
    }

    /** Does the work; 0 when it went as asked, 1 when it did not. */
    abstract int run(ApiClient api) throws Exception;

    /** Prints {@code answer} as JSON with {@code --json}, else as {@code text} prints it for people; 0. */
    int show(com.fasterxml.jackson.databind.JsonNode answer, java.util.function.Consumer<java.io.PrintWriter> text) {
        if (connection.json) {
            connection.printJson(answer);
        } else {
            text.accept(connection.out());
            connection.out().flush();
        }
        return 0;
    }

    /**
     * {@code arg} split at its first {@code =} into name and value; a usage error (exit 2) when it
     * has none or no name. The value is never quoted in the error: it may be a secret.
     */
    String[] nameValue(String arg, String what) {
        int eq = arg.indexOf('=');
        if (eq <= 0) {
            throw new picocli.CommandLine.ParameterException(connection.spec.commandLine(),
                    what + "'" + arg.replaceAll("=.*", "=...") + "' is not NAME=VALUE");
        }
        return new String[] {arg.substring(0, eq), arg.substring(eq + 1)};
    }

    /** {@code s} as a path segment (app names, ids and domains are checked by the server; this only escapes). */
    static String seg(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
