// Serve's refusals in Serve's words: the flags to change, never the Java builder options behind them.
package dev.berth.samples;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a refusal of the libraries Serve builds on (routers, git server) so that it names
 * Serve's flags: a router's "choose a free port with {@code httpPort(...)}" becomes "choose a free
 * port with --http-port", a missing nginx names the package and {@code --router}. A builder hint
 * that has no flag is dropped. Anything else passes unchanged. Stateless.
 */
final class FlagHints {
    private static final Pattern PROXY_PORT = Pattern.compile(
            "(nginx|haproxy) router: port (\\d+) on (\\S+) is already in use[^\\n]*", Pattern.DOTALL);
    private static final Pattern GIT_PORT = Pattern.compile(
            "git server: cannot listen on (\\S+):(\\d+): the address is already in use.*", Pattern.DOTALL);
    private static final Pattern NOT_FOUND = Pattern.compile("(nginx|haproxy) router: (nginx|haproxy) not found.*",
            Pattern.DOTALL);
    /** A remaining hint at a builder option: "or set nginxBinary(...)", "with httpsPort(...)". */
    private static final Pattern BUILDER_HINT = Pattern.compile(
            ",? (?:or )?(?:set|point|with) \\w+\\(\\.\\.\\.\\)(?: at \\w+| to another user)?");

    private FlagHints() {
    }

    /** {@code message} naming Serve's flags; {@code httpPort} and {@code gitPort} tell which flag a port is. */
    static String translate(String message, int httpPort, int gitPort) {
        if (message == null) {
            return "failed without a message";
        }
        Matcher m = PROXY_PORT.matcher(message);
        if (m.lookingAt()) {
            int port = Integer.parseInt(m.group(2));
            String flag = port == httpPort ? "--http-port" : port == gitPort ? "--git-port" : null;
            return (flag == null ? "" : flag + ": ") + "port " + port + " is in use (" + m.group(1)
                    + " cannot listen on " + m.group(3) + ":" + port + "): choose a free port"
                    + (flag == null ? "" : " with " + flag) + ", or stop what listens there";
        }
        m = GIT_PORT.matcher(message);
        if (m.lookingAt()) {
            return "--git-port: port " + m.group(2) + " is in use (the git server cannot listen on " + m.group(1) + ":"
                    + m.group(2) + "): choose a free port with --git-port (0 picks one), or stop what listens there";
        }
        m = NOT_FOUND.matcher(message);
        if (m.lookingAt()) {
            return Preflight.notInstalled(m.group(2));
        }
        if (message.startsWith("cluster: '")) { // the manifests' check of --cluster's value
            return "--" + message;
        }
        return BUILDER_HINT.matcher(message).replaceAll("").replace("choose another state dir", "choose another --state");
    }
}
