package dev.berth.router.haproxy;

import dev.berth.api.Endpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One server as haproxy's {@code show servers state} reports it (format version 1: backend id and
 * name, server id and name, address, operational state, administrative state, ..., port at column
 * 19). Immutable.
 *
 * @param adminState haproxy's administrative flags: 0x01 forced maintenance, 0x04 disabled in the
 *                   configuration, 0x08 forced drain, ...
 */
record ServerState(String backend, String server, String address, int operationalState, int adminState,
        int port) {
    /** Forced maintenance: set by {@code state maint} and by {@code disabled} in the configuration. */
    static final int FORCED_MAINT = 0x01;
    /**
     * Maintenance from elsewhere (inherited, resolution, health); 0x04, "disabled in the
     * configuration", is left out: it stays set after {@code state ready}, without effect.
     */
    static final int OTHER_MAINT = 0x02 | 0x20 | 0x40;
    /** Drain flags (forced, inherited). */
    static final int DRAIN = 0x08 | 0x10;

    /** Parses the answer of {@code show servers state [backend]}; unknown lines are skipped. */
    static Map<String, ServerState> parse(String answer) {
        Map<String, ServerState> states = new HashMap<>();
        for (String line : answer.split("\n")) {
            String[] f = line.strip().split(" ");
            if (line.startsWith("#") || f.length < 19) {
                continue;
            }
            try {
                ServerState s = new ServerState(f[1], f[3], f[4], Integer.parseInt(f[5]), Integer.parseInt(f[6]),
                        Integer.parseInt(f[18]));
                states.put(s.backend() + "/" + s.server(), s);
            } catch (NumberFormatException e) {
                // not a server line
            }
        }
        return states;
    }

    /** Where the reported states differ from {@code backend}'s slots; empty when they all agree. */
    static List<String> mismatches(Layout.Backend backend, Map<String, ServerState> states) {
        List<String> wrong = new ArrayList<>();
        for (int slot = 1; slot <= backend.slots(); slot++) {
            String name = backend.name() + "/srv" + slot;
            ServerState s = states.get(name);
            Endpoint want = backend.used().get(slot);
            if (s == null) {
                wrong.add(name + " is missing");
            } else if (want == null) {
                if ((s.adminState() & FORCED_MAINT) == 0) {
                    wrong.add(name + " should be in maintenance (admin state " + s.adminState() + ")");
                }
            } else if ((s.adminState() & (FORCED_MAINT | OTHER_MAINT | DRAIN)) != 0) {
                wrong.add(name + " should be ready for " + want + " (admin state " + s.adminState() + ")");
            } else if (s.port() != want.port() || (Planner.isIpAddress(want.host())
                    && !sameAddress(s.address(), Planner.bare(want.host())))) {
                wrong.add(name + " should be " + want + ", is " + s.address() + ":" + s.port());
            }
        }
        return wrong;
    }

    private static boolean sameAddress(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            // both are IP literals here: no name lookup happens
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
