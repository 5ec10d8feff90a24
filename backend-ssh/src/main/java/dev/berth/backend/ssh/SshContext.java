// What the parts of one SSH backend share: its hosts, settings, clock, known instances, and whether it is closed.
package dev.berth.backend.ssh;

import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the parts of one {@link SshBackend} share: the link to each host by node id (in the order
 * given), the settings, the clock, the instances known, and whether the backend is closed.
 * Thread-safe: everything here is immutable or thread-safe itself.
 */
final class SshContext {
    private final Map<String, HostLink> links;
    private final SshOptions options;
    private final Clock clock;
    private final KnownInstances known = new KnownInstances();
    private volatile boolean closed;

    SshContext(Map<String, HostLink> links, SshOptions options, Clock clock) {
        this.links = Collections.unmodifiableMap(new LinkedHashMap<>(links));
        this.options = options;
        this.clock = clock;
    }

    /** Every host's link, by node id, in the order given; unmodifiable. */
    Map<String, HostLink> links() {
        return links;
    }

    SshOptions options() {
        return options;
    }

    Clock clock() {
        return clock;
    }

    KnownInstances known() {
        return known;
    }

    boolean closed() {
        return closed;
    }

    /** Marks the backend closed; false if it was already. */
    boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the SSH backend over " + links.keySet() + " is closed");
        }
    }

    /** Daemon threads named {@code name-1}, {@code name-2}, ... */
    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
