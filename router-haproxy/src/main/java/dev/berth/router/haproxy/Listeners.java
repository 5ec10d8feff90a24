package dev.berth.router.haproxy;

import dev.berth.support.ListeningSockets;
import java.net.InetAddress;
import java.util.Set;

/**
 * Which haproxy process still holds a listening TCP socket ({@link ListeningSockets}, from Linux's
 * {@code /proc}): after a reload the new worker serves the new configuration, but until the old
 * worker has let go of the (shared) listening sockets it may still accept connections and answer
 * them with the old one. Stateless; thread-safe.
 */
final class Listeners {
    private Listeners() {
    }

    /** The socket inodes listening on {@code address} at any of {@code ports}. */
    static Set<String> inodes(InetAddress address, Set<Integer> ports) {
        return ListeningSockets.inodes(address, ports);
    }

    /** An address as {@code /proc/net/tcp} shows it: 32-bit words, each in the machine's byte order. */
    static String hex(byte[] b) {
        return ListeningSockets.hex(b);
    }

    /** The haproxy processes (of this user, readable) that hold one of the sockets {@code inodes}. */
    static Set<Long> holders(Set<String> inodes) {
        return ListeningSockets.holders(inodes, "haproxy");
    }

    /** Whether process {@code pid} holds one of the sockets {@code inodes} (false when gone or unreadable). */
    static boolean holds(long pid, Set<String> inodes) {
        return ListeningSockets.holds(pid, inodes);
    }
}
