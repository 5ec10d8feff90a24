// The environment an owned nginx and the commands the router runs get: a few harmless variables, nothing else.
package dev.berth.router.nginx;

import java.util.List;
import java.util.Map;

/**
 * The environment of every process the router starts (nginx itself, {@code nginx -t}, the reload
 * command): {@link #PASSED} copied from this JVM's environment, nothing else, so that no secret the
 * host application holds in its environment (a {@code MASTER_PASS}, a token) reaches nginx, its
 * workers or their {@code /proc/<pid>/environ}. Stateless; thread-safe.
 */
final class ProxyEnvironment {
    /** The only variables passed on; PATH gets {@link #DEFAULT_PATH} when this JVM has none. */
    static final List<String> PASSED = List.of("PATH", "LANG", "LC_ALL", "TZ");
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private ProxyEnvironment() {
    }

    /** Replaces {@code pb}'s environment with {@link #PASSED} from this JVM's environment; returns {@code pb}. */
    static ProcessBuilder restrict(ProcessBuilder pb) {
        return restrict(pb, System.getenv());
    }

    /** Replaces {@code pb}'s environment with {@link #PASSED} from {@code from}; returns {@code pb}. */
    static ProcessBuilder restrict(ProcessBuilder pb, Map<String, String> from) {
        Map<String, String> env = pb.environment();
        env.clear();
        for (String name : PASSED) {
            String value = from.get(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        env.putIfAbsent("PATH", DEFAULT_PATH);
        return pb;
    }
}
