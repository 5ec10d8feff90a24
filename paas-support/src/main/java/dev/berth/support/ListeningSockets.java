// Which processes hold a listening TCP socket (from Linux's /proc), and retiring those a dead proxy master left behind.
package dev.berth.support;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which process holds a listening TCP socket, read from Linux's {@code /proc}: the routers use it
 * to wait until an old worker let go of the listening sockets after a reload, and to retire the
 * workers that a killed master left behind (an nginx worker outlives its master and keeps the
 * port, so that a new master could not bind it). Stateless; thread-safe.
 */
public final class ListeningSockets {
    private static final Logger LOG = LoggerFactory.getLogger(ListeningSockets.class);
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    private static final String LISTEN = "0A";

    private ListeningSockets() {
    }

    /** The socket inodes listening on {@code address} at any of {@code ports}. */
    public static Set<String> inodes(InetAddress address, Set<Integer> ports) {
        Set<String> wanted = new HashSet<>();
        for (int p : ports) {
            String port = ":" + String.format(Locale.ROOT, "%04X", p);
            wanted.add(hex(address.getAddress()) + port);
            if (address.getAddress().length == 4) { // also as an IPv4-mapped IPv6 address (a dual-stack socket)
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(address.getAddress(), 0, mapped, 12, 4);
                wanted.add(hex(mapped) + port);
            }
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
                if (f.length >= 10 && f[3].equals(LISTEN) && wanted.contains(f[1].toUpperCase(Locale.ROOT))) {
                    inodes.add(f[9]);
                }
            }
        }
        return inodes;
    }

    /** An address as {@code /proc/net/tcp} shows it: 32-bit words, each in the machine's byte order. */
    public static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int word = 0; word < b.length; word += 4) {
            for (int i = 0; i < 4; i++) {
                int at = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? word + 3 - i : word + i;
                s.append(String.format(Locale.ROOT, "%02X", b[at] & 0xff));
            }
        }
        return s.toString();
    }

    /** The processes whose executable is named {@code command} (of this user, readable) holding one of {@code inodes}. */
    public static Set<Long> holders(Set<String> inodes, String command) {
        Set<Long> pids = new HashSet<>();
        if (inodes.isEmpty()) {
            return pids;
        }
        ProcessHandle.allProcesses()
                .filter(h -> h.info().command().map(c -> c.equals(command) || c.endsWith("/" + command)).orElse(false))
                .filter(h -> holds(h.pid(), inodes))
                .forEach(h -> pids.add(h.pid()));
        return pids;
    }

    /**
     * Whether process {@code pid} holds one of the sockets {@code inodes}; {@code false} when it is
     * gone, and when its descriptors cannot be read (another user's process) — then nothing can be
     * told and nothing is waited for.
     */
    public static boolean holds(long pid, Set<String> inodes) {
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

    /**
     * Stops the {@code command} processes that still listen on {@code address} at {@code ports}
     * although their master is gone: SIGTERM, then SIGKILL to those that still hold a socket after
     * {@code grace}. Returns their pids (empty when there were none).
     */
    public static Set<Long> retireOrphans(String command, InetAddress address, Set<Integer> ports, Duration grace) {
        Set<String> inodes = inodes(address, ports);
        Set<Long> orphans = holders(inodes, command);
        if (orphans.isEmpty()) {
            return orphans;
        }
        LOG.info("{} router: stopping {} process(es) {} that still listen on {} port(s) {} without their master",
                command, orphans.size(), orphans, address.getHostAddress(), ports);
        orphans.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));
        long deadline = System.nanoTime() + grace.toNanos();
        for (long pid : orphans) {
            while (holds(pid, inodes) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return orphans;
                }
            }
            if (holds(pid, inodes)) {
                LOG.warn("{} router: {} {} ignored SIGTERM for {}; killing it", command, command, pid, grace);
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        return orphans;
    }
}
