// A real 3-node Docker Swarm for the tests: three dockerds, each in a network namespace of its own, on one bridge.
package dev.berth.backend.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three Docker Engines joined into a swarm (all three managers), each a separate host as far as
 * the network goes: a namespace {@code berth-swarm-N} joined to the bridge {@code bswarm0}
 * (10.214.0.1/24 in the root namespace) by a veth pair, the node at {@code 10.214.0.1N}, with a
 * {@code dockerd} of its own (data root, exec root, socket and pid file under the test's folder)
 * entered with {@code nsenter --net} only ({@code ip netns exec} would remount /sys and dockerd
 * could not find its cgroups). Each node has the test image, a busybox root file system imported
 * under {@link #IMAGE}: Swarm's agents always try to pull a task's image, and a name under
 * 127.0.0.1:1 fails at once (nothing listens there) where a Docker Hub name would wait for a DNS
 * time-out, so each node uses its loaded copy. {@link #cut(int)} takes a node's link down;
 * {@link #close()} stops every daemon (their containers with them) and removes it all. Needs root,
 * iproute2, iptables, dockerd, tini (Docker's init) and /bin/busybox; not the host's own engine.
 */
public final class SwarmCluster implements AutoCloseable {
    /** The test image as the swarm's tasks name it. */
    public static final String IMAGE = "127.0.0.1:1/berth-test/busybox:2";
    private static final String BRIDGE = "bswarm0";
    static final int NODES = 3;
    private final Path dir;
    private final List<Process> daemons = new ArrayList<>();

    private SwarmCluster(Path dir) {
        this.dir = dir;
    }

    /** The swarm, up and joined, under {@code dir}. */
    public static SwarmCluster start(Path dir) throws Exception {
        removeLeftovers();
        SwarmCluster c = new SwarmCluster(dir);
        try {
            c.setUp();
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The Docker API of node {@code n} (1-3). */
    public String socket(int n) {
        return "unix://" + dir.resolve("node-" + n).resolve("docker.sock");
    }

    /** Node {@code n}'s address on the bridge. */
    static String address(int n) {
        return "10.214.0." + (10 + n);
    }

    private void setUp() throws Exception {
        sh("ip", "link", "add", BRIDGE, "type", "bridge");
        sh("ip", "addr", "add", "10.214.0.1/24", "dev", BRIDGE);
        sh("ip", "link", "set", BRIDGE, "up");
        // bridged frames pass the root namespace's FORWARD chain (br_netfilter), whose policy Docker sets to DROP
        sh("iptables", "-I", "FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT");
        for (int n = 1; n <= NODES; n++) {
            String ns = "berth-swarm-" + n;
            sh("ip", "netns", "add", ns);
            sh("ip", "link", "add", "bsw" + n + "h", "type", "veth", "peer", "name", "bsw" + n + "n");
            sh("ip", "link", "set", "bsw" + n + "h", "master", BRIDGE, "up");
            sh("ip", "link", "set", "bsw" + n + "n", "netns", ns);
            inNs(n, "ip", "addr", "add", address(n) + "/24", "dev", "bsw" + n + "n");
            inNs(n, "ip", "link", "set", "bsw" + n + "n", "up");
            inNs(n, "ip", "link", "set", "lo", "up");
            inNs(n, "ip", "route", "add", "default", "via", "10.214.0.1");
            Path node = Files.createDirectories(dir.resolve("node-" + n));
            daemons.add(new ProcessBuilder("nsenter", "--net=/var/run/netns/" + ns, "dockerd",
                    "--data-root", node.resolve("data").toString(), "--exec-root", node.resolve("exec").toString(),
                    "-H", socket(n), "--pidfile", node.resolve("docker.pid").toString())
                    .redirectErrorStream(true).redirectOutput(node.resolve("dockerd.log").toFile()).start());
        }
        for (int n = 1; n <= NODES; n++) {
            awaitDaemon(n);
        }
        docker(1, "swarm", "init", "--advertise-addr", address(1));
        String token = docker(1, "swarm", "join-token", "-q", "manager").strip();
        for (int n = 2; n <= NODES; n++) {
            docker(n, "swarm", "join", "--token", token, "--advertise-addr", address(n), address(1) + ":2377");
        }
        Path tar = busyboxRoot();
        for (int n = 1; n <= NODES; n++) {
            docker(n, "import", "--change", "ENV PATH=/bin", tar.toString(), IMAGE);
        }
    }

    /** A root file system of Debian's /bin/busybox (busybox-static) and the applets the tests' apps use, as a tar. */
    private Path busyboxRoot() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertThat(busybox).as("the swarm tests need /bin/busybox from Debian's busybox-static (scripts/test.sh installs it)")
                .isRegularFile();
        Path root = Files.createDirectories(dir.resolve("busybox-root"));
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("tmp"));
        Files.copy(busybox, root.resolve("bin/busybox"));
        for (String applet : List.of("sh", "mkdir", "echo", "cat", "httpd", "sleep", "ls", "stty")) {
            Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Path tar = dir.resolve("busybox-root.tar");
        run(List.of("tar", "-C", root.toString(), "-cf", tar.toString(), "."));
        return tar;
    }

    private void awaitDaemon(int n) throws Exception {
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(200))
                    .until(() -> {
                        Process p = new ProcessBuilder("docker", "-H", socket(n), "info", "--format", "{{.ServerVersion}}")
                                .redirectErrorStream(true).start();
                        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("dockerd of swarm node " + n + " did not answer on " + socket(n) + " within 60 s: "
                    + Files.readString(dir.resolve("node-" + n).resolve("dockerd.log")), e);
        }
    }

    /** Runs the docker CLI against node {@code n}; returns its output, failing the test unless it exits 0. */
    public String docker(int n, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", socket(n)));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Node {@code n} loses its link: nothing reaches it or leaves it, its processes go on. */
    void cut(int n) throws Exception {
        sh("ip", "link", "set", "bsw" + n + "h", "down");
    }

    /** Node {@code n}'s link comes back. */
    void heal(int n) throws Exception {
        sh("ip", "link", "set", "bsw" + n + "h", "master", BRIDGE, "up");
    }

    private static void inNs(int n, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/var/run/netns/berth-swarm-" + n));
        cmd.addAll(List.of(args));
        run(cmd);
    }

    private static void sh(String... args) throws Exception {
        run(List.of(args));
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static void quietly(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // best effort: what is left is removed by the next run's removeLeftovers
        }
    }

    /** Removes the namespaces, links and rule of an earlier run that did not close (a killed test JVM). */
    static void removeLeftovers() {
        for (int n = 1; n <= NODES; n++) {
            quietly("sh", "-c", "ip netns pids berth-swarm-" + n + " 2>/dev/null | xargs -r kill -9");
            quietly("ip", "netns", "del", "berth-swarm-" + n);
            quietly("ip", "link", "del", "bsw" + n + "h");
        }
        quietly("ip", "link", "del", BRIDGE);
        quietly("iptables", "-D", "FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT");
    }

    @Override
    public void close() throws Exception {
        for (Process d : daemons) {
            d.destroy(); // nsenter execs dockerd: this is dockerd's SIGTERM
        }
        for (Process d : daemons) {
            if (!d.waitFor(20, TimeUnit.SECONDS)) {
                d.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        removeLeftovers(); // containers' processes live in the namespaces: killed with them
        quietly("sh", "-c", "grep ' " + dir + "' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l");
    }
}
