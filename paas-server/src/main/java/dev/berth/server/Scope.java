// What a control API token may do: read, deploy, or everything.
package dev.berth.server;

/**
 * What a control API token may do. Each scope includes the ones before it: {@link #DEPLOY} can
 * read, {@link #ADMIN} can deploy.
 */
public enum Scope {
    /** Every GET: apps, instances, releases, logs, nodes, traffic, events. */
    READ,
    /** Also deploy, scale, stop/start/restart, rollback, env and domains. */
    DEPLOY,
    /** Everything: also remove apps and instances, kill, exec, and read an instance's environment. */
    ADMIN;

    /** Whether a token of this scope may do what {@code needed} allows. */
    public boolean allows(Scope needed) {
        return compareTo(needed) >= 0;
    }

    /** The scope named {@code name} (read, deploy, admin; any case). */
    static Scope parse(String name, String where) {
        for (Scope s : values()) {
            if (s.name().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException(where + ": scope '" + name + "' is not one of read, deploy, admin");
    }
}
