// Reading /proc for who holds a listening socket, and retiring the processes a dead master left holding it.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ListeningSocketsTest {
    @Test
    void findsWhoHoldsAListeningSocketByCommandName() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Set<String> inodes = ListeningSockets.inodes(InetAddress.getLoopbackAddress(), Set.of(s.getLocalPort()));
            assertThat(inodes).hasSize(1);
            assertThat(ListeningSockets.holds(ProcessHandle.current().pid(), inodes)).isTrue();
            assertThat(ListeningSockets.holders(inodes, "java")).contains(ProcessHandle.current().pid());
            assertThat(ListeningSockets.holders(inodes, "nginx")).isEmpty();
        }
    }

    @Test
    void retiresTheProcessesOfThatNameStillListeningOnThePortAndNoOther() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        // an "orphan worker": a python3 holding the port, as an nginx worker outlives a killed master
        Process orphan = new ProcessBuilder("python3", "-c", "import socket,time; s=socket.socket(); "
                + "s.bind(('127.0.0.1', " + port + ")); s.listen(); print('up', flush=True); time.sleep(60)").start();
        try {
            assertThat(new String(orphan.getInputStream().readNBytes(3))).isEqualTo("up\n");
            InetAddress lo = InetAddress.getByName("127.0.0.1");
            assertThat(ListeningSockets.retireOrphans("nginx", lo, Set.of(port), Duration.ofSeconds(5))).isEmpty();
            assertThat(orphan.isAlive()).as("another command's process is left alone").isTrue();

            String command = Path.of(orphan.info().command().orElseThrow()).getFileName().toString(); // python3.11
            Set<Long> retired = ListeningSockets.retireOrphans(command, lo, Set.of(port), Duration.ofSeconds(5));
            assertThat(retired).containsExactly(orphan.pid());
            until(Duration.ofSeconds(10), () -> !orphan.isAlive());
            assertThat(ListeningSockets.inodes(lo, Set.of(port))).isEmpty();
        } finally {
            orphan.destroyForcibly();
        }
    }

    @Test
    void aProxyRunThroughSetsidLeadsItsOwnSessionWithTheSamePid() throws Exception {
        List<String> argv = ProxyProcess.inNewSession(List.of("sleep", "30"));
        assertThat(argv).containsExactly(ProxyProcess.SETSID, "sleep", "30");
        Process p = new ProcessBuilder(argv).start();
        try {
            until(Duration.ofSeconds(10), () -> stat(p.pid()).startsWith("sleep"));
            String[] f = stat(p.pid()).split(" ");
            // comm) state ppid pgrp session: setsid exec'd in place (same pid) and leads group and session
            assertThat(Long.parseLong(f[3])).as("process group").isEqualTo(p.pid());
            assertThat(Long.parseLong(f[4])).as("session").isEqualTo(p.pid());
        } finally {
            p.destroyForcibly();
        }
    }

    /** /proc/PID/stat from the command name on: "sleep) S ppid pgrp session ...". */
    private static String stat(long pid) {
        try {
            String s = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return s.substring(s.indexOf('(') + 1);
        } catch (java.io.IOException e) {
            return ""; // not there yet, or gone
        }
    }

    /** Polls {@code condition} every 10 ms until it holds; fails after {@code limit}. */
    static void until(Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + limit);
            }
            Thread.sleep(10);
        }
    }
}
