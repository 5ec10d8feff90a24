// The environment of setups and instances, RANDOM_PORT values replaced by free ports of the range.
package dev.berth.backend.process;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.support.BerthEnv;
import dev.berth.support.RecentPorts;

/**
 * The environment of setups and instances, with {@code RANDOM_PORT} values replaced by ports of
 * the range that bind on the host and that no live instance of the base dir uses. Thread-safe.
 */
final class Ports {
    private static final List<String> INHERITED_ENV = List.of("PATH", "HOME", "LANG", "TZ", "JAVA_HOME");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");

    private final String host;
    private final int portFrom;
    private final int portTo;
    /** The instance files of live instances, whose ports are taken. */
    private final Supplier<Collection<InstanceFile>> live;
    private final Object lock = new Object();
    /** Ports handed out in the last minute; guarded by lock. */
    private final RecentPorts recent = new RecentPorts();
    /** Where the next search starts, as an offset into the range; guarded by lock. */
    private int cursor;

    Ports(String host, int portFrom, int portTo, Supplier<Collection<InstanceFile>> live) {
        this.host = host;
        this.portFrom = portFrom;
        this.portTo = portTo;
        this.live = live;
        this.cursor = ThreadLocalRandom.current().nextInt(portTo - portFrom + 1);
    }

    private static Map<String, String> baseEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String key : INHERITED_ENV) {
            String v = System.getenv(key);
            if (v != null) {
                env.put(key, v);
            }
        }
        return env;
    }

    /** A setup's environment: the spec's env without RANDOM_PORT values, and the BERTH_ variables. */
    static Map<String, String> setupEnv(AppSpec spec, String node, String release) {
        Map<String, String> env = baseEnv();
        spec.env().forEach((k, v) -> {
            if (!AppSpec.RANDOM_PORT.equals(v)) {
                env.put(k, v);
            }
        });
        BerthEnv.putSetup(env, spec.name(), release, node);
        return env;
    }

    /** An instance's environment, with a free port for each RANDOM_PORT value. */
    Map<String, String> instanceEnv(AppSpec spec, String id, String node, String release) {
        Map<String, String> env = baseEnv();
        Set<Integer> taken = new HashSet<>();
        for (Map.Entry<String, String> e : spec.env().entrySet()) {
            String value = e.getValue();
            if (AppSpec.RANDOM_PORT.equals(value)) {
                value = Integer.toString(allocate(taken, spec.name(), id));
            }
            env.put(e.getKey(), value);
        }
        BerthEnv.putInstance(env, spec.name(), id, release, node);
        return env;
    }

    private int allocate(Set<Integer> taken, String app, String id) {
        synchronized (lock) {
            Set<Integer> used = new HashSet<>(taken);
            used.addAll(recent.recent());
            for (InstanceFile f : live.get()) {
                for (String v : f.env().values()) {
                    if (v != null && DIGITS.matcher(v).matches()) {
                        used.add(Integer.valueOf(v));
                    }
                }
            }
            int span = portTo - portFrom + 1;
            for (int i = 0; i < span; i++) {
                int port = portFrom + Math.floorMod(cursor + i, span);
                if (used.contains(port) || !bindable(port)) {
                    continue;
                }
                cursor = port - portFrom + 1;
                recent.handedOut(port);
                taken.add(port);
                return port;
            }
            throw new BackendException("app '" + app + "' instance '" + id + "': no free port in " + portFrom + "-"
                    + portTo + " on " + host);
        }
    }

    private boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
