// One running instance as a host's listing (the liveness and precheck scripts) names it.
package dev.berth.backend.ssh;

import java.time.Instant;

import dev.berth.api.Endpoint;
import dev.berth.spi.RunningInstance;

/** What one line of the liveness script says of a running instance. Immutable. */
record Seen(String id, RunningInstance running) {
    /** Parses "A id pid ticks v1 app release node port startedAt workDir ports", or null when malformed. */
    static Seen parse(String line, SshHost host) {
        String[] f = line.split(" ");
        if (f.length != 12 || !f[0].equals("A") || !"v1".equals(f[4])) {
            return null;
        }
        try {
            String id = f[1];
            if (!Names.isSegment(id) || !Names.isSegment(f[5]) || !Names.isSegment(f[6])
                    || !f[2].matches("[0-9]{1,10}") || !f[3].matches("[0-9]{1,20}")) {
                return null;
            }
            Endpoint endpoint = f[8].equals("-") ? null : new Endpoint(host.address(), Integer.parseInt(f[8]));
            Instant at = Instant.ofEpochMilli(Long.parseLong(f[9]));
            return new Seen(id, new RunningInstance(id, f[5], f[6], host.id(), endpoint, f[2] + ":" + f[3], at));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
