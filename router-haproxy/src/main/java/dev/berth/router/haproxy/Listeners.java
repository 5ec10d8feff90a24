package dev.berth.router.haproxy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which process still holds a listening TCP socket, from Linux's {@code /proc}: after a reload the
 * new worker serves the new configuration, but until the old worker has let go of the (shared)
 * listening sockets it may still accept connections and answer them with the old one. Stateless;
 * thread-safe.
 */
final class Listeners {
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    private static final String LISTEN = "0A";

    private Listeners() {
    }

    /** The socket inodes listening on any of {@code ports} (any address). */
    static Set<String> inodes(Set<Integer> ports) {
        Set<String> hexPorts = new HashSet<>();
        for (int p : ports) {
            hexPorts.add(String.format(Locale.ROOT, "%04X", p));
        }
        Set<String> inodes = new HashSet<>();
        for (Path table : TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (IOException e) {
                continue;
            }
            for (String line : lines) {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                String[] f = line.strip().split("\\s+");
                if (f.length < 10 || !f[3].equals(LISTEN)) {
                    continue;
                }
                int colon = f[1].lastIndexOf(':');
                if (colon > 0 && hexPorts.contains(f[1].substring(colon + 1))) {
                    inodes.add(f[9]);
                }
            }
        }
        return inodes;
    }

    /**
     * Whether process {@code pid} holds one of the sockets {@code inodes}; {@code false} when it is
     * gone, and when its descriptors cannot be read (another user's process) — then nothing can be
     * told and nothing is waited for.
     */
    static boolean holds(long pid, Set<String> inodes) {
        if (inodes.isEmpty()) {
            return false;
        }
        Set<String> links = new HashSet<>();
        for (String inode : inodes) {
            links.add("socket:[" + inode + "]");
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (links.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
