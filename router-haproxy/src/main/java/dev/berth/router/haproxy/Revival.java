package dev.berth.router.haproxy;

import dev.berth.api.Endpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Puts back up the servers that haproxy's own health checks hold down although the routing table,
 * which lists ready endpoints only, says their endpoint serves: a process that died and was
 * replaced on the same address would otherwise wait {@code rise} checks (up to 4 s) after the apply,
 * and a domain whose servers are all down answers 503 meanwhile. Should the endpoint still be dead,
 * requests to it are retried elsewhere ({@code conn-failure}) until the checks take it down again.
 * Stateless; thread-safe.
 */
final class Revival {
    /** haproxy's operational state of a server its checks took down (SRV_ST_STOPPED). */
    static final int STOPPED = 0;

    private Revival() {
    }

    /**
     * The {@code set server ... health up} commands for {@code layout}'s used slots that
     * {@code states} reports stopped while ready (neither in maintenance nor draining) at the
     * slot's endpoint.
     */
    static List<String> commands(Layout layout, Map<String, ServerState> states) {
        List<String> commands = new ArrayList<>();
        for (Layout.Backend b : layout.backends().values()) {
            for (Map.Entry<Integer, Endpoint> slot : b.used().entrySet()) {
                String name = b.name() + "/srv" + slot.getKey();
                ServerState s = states.get(name);
                if (s != null && s.operationalState() == STOPPED && s.port() == slot.getValue().port()
                        && (s.adminState() & (ServerState.FORCED_MAINT | ServerState.OTHER_MAINT
                                | ServerState.DRAIN)) == 0) {
                    commands.add("set server " + name + " health up");
                }
            }
        }
        return commands;
    }

    /**
     * Asks haproxy on {@code socket} for its server states and puts up what {@link #commands}
     * finds; returns the servers it put up.
     */
    static List<String> revive(Path socket, Layout layout, Duration timeout) throws IOException {
        List<String> commands = commands(layout, ServerState.parse(Cli.call(socket, "show servers state", timeout)));
        if (!commands.isEmpty()) {
            Cli.callAll(socket, commands, timeout);
        }
        return commands.stream().map(c -> c.split(" ")[2]).toList();
    }
}
