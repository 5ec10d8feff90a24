// The environment an owned proxy and the commands a router runs get: a few harmless variables, nothing else.
package dev.berth.support;

import java.util.List;
import java.util.Map;

/**
 * The environment of every process a router starts (the proxy itself, its config check, its
 * reload command): {@link #PASSED} copied from this JVM's environment, nothing else, so that no
 * secret the host application holds in its environment (a {@code MASTER_PASS}, a token) reaches
 * the proxy, its workers or their {@code /proc/<pid>/environ}. Stateless; thread-safe.
 */
public final class ProxyEnvironment {
    /** The only variables passed on; PATH gets {@link #DEFAULT_PATH} when this JVM has none. */
    public static final List<String> PASSED = List.of("PATH", "LANG", "LC_ALL", "TZ");
    /** The PATH a proxy gets when this JVM has none. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private ProxyEnvironment() {
    }

    /** Replaces {@code pb}'s environment with {@link #PASSED} from this JVM's environment; returns {@code pb}. */
    public static ProcessBuilder restrict(ProcessBuilder pb) {
        return restrict(pb, System.getenv());
    }

    /** Replaces {@code pb}'s environment with {@link #PASSED} from {@code from}; returns {@code pb}. */
    public static ProcessBuilder restrict(ProcessBuilder pb, Map<String, String> from) {
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
