package dev.berth.backend.ssh;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, separate Linux host for the integration tests: a network namespace
 * ({@code berth-ssh-<n>}) joined to the root namespace by a veth pair (root side
 * {@code 10.213.<n>.1/24} on {@code bsh<n>h}, namespace side {@code 10.213.<n>.2/24}), with its own
 * OpenSSH {@code sshd} (Debian's /usr/sbin/sshd, its own config, ed25519 host key, authorized_keys
 * and pid file) listening on {@code 10.213.<n>.2:22}, and its own base dir. The hosts share the
 * root file system and pid namespace with the test JVM, so every test binary (busybox, sleep) is
 * there too. Needs root and iproute2. Traffic goes only to these namespace addresses.
 *
 * <p>{@link #killAll()} kills every process in the namespace (sshd and instances): the host is
 * dead. {@link #cut()} takes the root side of the link down (an unreachable route keeps its packets from
 * leaving by the default route), {@link #heal()} brings it back.
 * {@link #close()} removes the namespace, the link and the files; {@link #removeLeftovers(int, int)}
 * removes those of earlier runs that crashed.
 */
final class NetnsHost implements AutoCloseable {
    static final String PREFIX = "berth-ssh-";
    private static final String VETH_PREFIX = "bsh";

    final int n;
    final String ns;
    final String veth;
    final String address;
    final Path dir;
    final Path baseDir;
    private final Path config;
    private Process sshd;

    private NetnsHost(int n, Path dir) {
        this.n = n;
        this.ns = PREFIX + n;
        this.veth = VETH_PREFIX + n + "h";
        this.address = "10.213." + n + ".2";
        this.dir = dir;
        this.baseDir = dir.resolve("base");
        this.config = dir.resolve("sshd_config");
    }

    /**
     * Creates host {@code n} (1-250) under {@code root}, letting in whoever holds the private key
     * of {@code clientPublicKey}, and waits until its sshd listens.
     */
    static NetnsHost create(int n, Path root, Path clientPublicKey) throws IOException {
        if (n < 1 || n > 250) {
            throw new IllegalArgumentException("n " + n + " must be 1-250");
        }
        Path dir = root.resolve("host-" + n);
        Files.createDirectories(dir.resolve("base"));
        Files.createDirectories(dir.resolve("home"));
        NetnsHost h = new NetnsHost(n, dir);
        try {
            h.setUp(clientPublicKey);
        } catch (IOException | RuntimeException | Error e) {
            h.close();
            throw e;
        }
        return h;
    }

    private void setUp(Path clientPublicKey) throws IOException {
        String peer = VETH_PREFIX + n + "n";
        sh("ip", "netns", "add", ns);
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", peer);
        sh("ip", "link", "set", peer, "netns", ns);
        sh("ip", "addr", "add", "10.213." + n + ".1/24", "dev", veth);
        sh("ip", "link", "set", veth, "up");
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", peer);
        sh("ip", "netns", "exec", ns, "ip", "link", "set", peer, "up");
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        newHostKey();
        Files.copy(clientPublicKey, dir.resolve("authorized_keys"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(config, String.join("\n",
                "Port 22",
                "ListenAddress " + address,
                "HostKey " + dir.resolve("ssh_host_ed25519_key"),
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "StrictModes no",
                "UsePAM no",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "MaxStartups 100:30:200",
                // A home of its own: the login shell reads no ~/.bashrc of the machine's real user
                // (a slow or locking one would time every command out), and instances get this HOME.
                "SetEnv HOME=" + dir.resolve("home"),
                "LogLevel ERROR",
                ""), StandardCharsets.UTF_8);
        Files.createDirectories(Path.of("/run/sshd"));
        startSshd();
    }

    /** A fresh ed25519 host key (the old one is replaced): what a reinstalled host presents. */
    void newHostKey() throws IOException {
        Path key = dir.resolve("ssh_host_ed25519_key");
        Files.deleteIfExists(key);
        Files.deleteIfExists(dir.resolve("ssh_host_ed25519_key.pub"));
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", ns, "-f", key.toString());
    }

    /**
     * Makes every login to this host slow, as a {@code .bashrc} that runs {@code pyenv init} does:
     * the user's login shell is bash, which Debian builds to read {@code ~/.bashrc} for every
     * {@code ssh host command}, and this host's {@code ~/.bashrc} sleeps {@code seconds} (1-9).
     */
    void slowLogin(int seconds) throws IOException {
        if (seconds < 1 || seconds > 9) {
            throw new IllegalArgumentException("seconds " + seconds + " must be 1-9");
        }
        String shell = run(List.of("getent", "passwd", "root")).out;
        if (!shell.endsWith(":/bin/bash")) {
            throw new AssertionError("a slow login needs root's login shell to be /bin/bash, not: " + shell);
        }
        Files.writeString(dir.resolve("home").resolve(".bashrc"),
                "# berth test: a slow login shell, as pyenv init is\nsleep " + seconds + "\n", StandardCharsets.UTF_8);
    }

    /** Starts sshd in the namespace (as a child of the JVM) and waits until it accepts connections. */
    void startSshd() throws IOException {
        Result test = run(List.of("/usr/sbin/sshd", "-t", "-f", config.toString()));
        if (test.code != 0) {
            throw new AssertionError("sshd -t of " + config + " failed: " + test.out);
        }
        sshd = new ProcessBuilder("ip", "netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.log").toFile()))
                .start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(this::listening);
    }

    /** Restarts sshd, e.g. after a new host key. */
    void restartSshd() throws IOException {
        stopSshd();
        startSshd();
    }

    void stopSshd() {
        if (sshd != null) {
            sshd.destroyForcibly();
            try {
                sshd.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sshd = null;
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> !listening());
    }

    boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, 22), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The public host key line ({@code ssh-ed25519 AAAA... comment}). */
    String hostKeyLine() throws IOException {
        return Files.readString(dir.resolve("ssh_host_ed25519_key.pub"), StandardCharsets.UTF_8).trim();
    }

    /** The host key's fingerprint as {@code ssh-keygen -lf} prints it ({@code SHA256:...}). */
    String fingerprint() throws IOException {
        Result r = run(List.of("ssh-keygen", "-l", "-E", "sha256", "-f", dir.resolve("ssh_host_ed25519_key.pub").toString()));
        return r.out.split(" ")[1];
    }

    /** A known_hosts line for this host. */
    String knownHostsLine() throws IOException {
        String[] k = hostKeyLine().split(" ");
        return address + " " + k[0] + " " + k[1];
    }

    /** The pids of every process in the namespace. */
    List<Long> pids() throws IOException {
        Result r = run(List.of("ip", "netns", "pids", ns));
        List<Long> pids = new ArrayList<>();
        r.out.lines().map(String::trim).filter(s -> s.matches("[0-9]+")).forEach(s -> pids.add(Long.parseLong(s)));
        return pids;
    }

    /** Kills every process in the namespace at once (SIGKILL): sshd and every instance. The host is dead. */
    void killAll() throws IOException {
        killAll(ns);
        sshd = null;
    }

    private static void killAll(String ns) throws IOException {
        for (int round = 0; round < 20; round++) {
            Result r = run(List.of("ip", "netns", "pids", ns));
            List<String> pids = r.out.lines().map(String::trim).filter(s -> s.matches("[0-9]+")).toList();
            if (pids.isEmpty()) {
                return;
            }
            List<String> argv = new ArrayList<>(List.of("kill", "-9"));
            argv.addAll(pids);
            run(argv);
        }
    }

    /**
     * Takes the root side of the link down: the host runs on, unreachable. An unreachable route for its
     * address goes in first: with the link down its connected route is gone, and packets for it would
     * otherwise leave by the machine's default route, where a gateway may answer in its place (on a CI
     * machine, the health probes of a cut host were answered with 404).
     */
    void cut() throws IOException {
        sh("ip", "route", "add", "unreachable", address + "/32");
        sh("ip", "link", "set", veth, "down");
    }

    /** Brings the link back and removes the unreachable route. */
    void heal() throws IOException {
        sh("ip", "link", "set", veth, "up");
        run(List.of("ip", "route", "del", "unreachable", address + "/32"));
    }

    @Override
    public void close() {
        try {
            killAll();
            run(List.of("ip", "route", "del", "unreachable", address + "/32"));
            run(List.of("ip", "link", "del", veth));
            run(List.of("ip", "netns", "del", ns));
            deleteTree(dir);
        } catch (IOException e) {
            System.err.println("cleaning up " + ns + ": " + e);
        }
    }

    /**
     * Removes the namespaces and links of hosts {@code first .. first+count-1} left by earlier runs
     * that crashed, and what ran in them; other numbers (another test's hosts, maybe running right
     * now) are left alone.
     */
    static void removeLeftovers(int first, int count) throws IOException {
        for (String line : run(List.of("ip", "netns", "list")).out.lines().toList()) {
            String name = line.split(" ")[0];
            if (name.startsWith(PREFIX) && inRange(name.substring(PREFIX.length()), first, count)) {
                killAll(name);
                run(List.of("ip", "netns", "del", name));
            }
        }
        for (int n = first; n < first + count; n++) {
            run(List.of("ip", "route", "del", "unreachable", "10.213." + n + ".2/32")); // left by a cut never healed
        }
        for (String line : run(List.of("ip", "-o", "link", "show")).out.lines().toList()) {
            String[] f = line.split(":\\s+");
            if (f.length > 1) {
                String name = f[1].split("@")[0];
                if (name.matches(VETH_PREFIX + "[0-9]+[hn]")
                        && inRange(name.substring(VETH_PREFIX.length(), name.length() - 1), first, count)) {
                    run(List.of("ip", "link", "del", name));
                }
            }
        }
    }

    private static boolean inRange(String number, int first, int count) {
        if (!number.matches("[0-9]{1,3}")) {
            return false;
        }
        int n = Integer.parseInt(number);
        return n >= first && n < first + count;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    record Result(int code, String out) {
    }

    /** Runs argv, failing the test when it fails. */
    static Result sh(String... argv) throws IOException {
        Result r = run(List.of(argv));
        if (r.code != 0) {
            throw new AssertionError(String.join(" ", argv) + " failed (" + r.code + "): " + r.out);
        }
        return r;
    }

    static Result run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(argv + " did not end within 60 s");
            }
            return new Result(p.exitValue(), out.trim());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return ns + "(" + address + ")";
    }
}
