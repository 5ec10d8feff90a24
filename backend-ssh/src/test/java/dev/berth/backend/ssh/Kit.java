package dev.berth.backend.ssh;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.awaitility.core.ConditionFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.RunningInstance;

/**
 * Shared helpers of the SSH backend's integration tests: a client key made with ssh-keygen,
 * {@link NetnsHost}s with a known-hosts file that knows them, the hosts as {@link SshHost}s, a
 * backend with short timeouts, and small apps (a busybox httpd, sleeps) run from the shared root
 * file system. The tests need root, iproute2 and openssh-server (scripts/test.sh installs them);
 * they fail, never skip, without them.
 */
final class Kit {
    static final String RELEASE = "r1";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .proxy(HttpClient.Builder.NO_PROXY).build();

    final Path root;
    final Path clientKey;
    final Path knownHosts;
    final List<NetnsHost> hosts = new ArrayList<>();

    private Kit(Path root) throws IOException {
        this.root = root;
        this.clientKey = root.resolve("id_ed25519");
        this.knownHosts = root.resolve("known_hosts");
        NetnsHost.sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "berth-test", "-f", clientKey.toString());
    }

    /** A kit with hosts {@code first .. first+count-1}, all in its known-hosts file; removes their leftovers of crashed runs first. */
    static Kit withHosts(int first, int count) throws IOException {
        if (!Files.isExecutable(Path.of("/usr/sbin/sshd"))) {
            throw new AssertionError("these tests need /usr/sbin/sshd from Debian's openssh-server "
                    + "(scripts/test.sh installs it)");
        }
        NetnsHost.removeLeftovers(first, count);
        Kit kit = new Kit(Files.createTempDirectory("berth-ssh-it"));
        try {
            for (int n = first; n < first + count; n++) {
                kit.hosts.add(NetnsHost.create(n, kit.root, kit.clientKey.resolveSibling("id_ed25519.pub")));
            }
            kit.writeKnownHosts();
        } catch (IOException | RuntimeException | Error e) {
            kit.close();
            throw e;
        }
        return kit;
    }

    void writeKnownHosts() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (NetnsHost h : hosts) {
            sb.append(h.knownHostsLine()).append('\n');
        }
        Files.writeString(knownHosts, sb.toString(), StandardCharsets.UTF_8);
    }

    /** Every namespace, link and file of the kit goes. */
    void close() {
        for (NetnsHost h : hosts) {
            h.close();
        }
        try {
            NetnsHost.deleteTree(root);
        } catch (IOException e) {
            System.err.println("cleaning up " + root + ": " + e);
        }
    }

    static String node(NetnsHost h) {
        return "h" + h.n;
    }

    SshHost.Builder host(NetnsHost h) {
        return SshHost.builder(node(h)).address(h.address).user("root").privateKey(clientKey).knownHosts(knownHosts)
                .baseDir(h.baseDir.toString()).label("n", Integer.toString(h.n));
    }

    List<SshHost> sshHosts() {
        return hosts.stream().map(h -> host(h).build()).toList();
    }

    /** A backend over every host of the kit with short timeouts and a fast heartbeat. */
    SshBackendBuilder backend() {
        return SshBackend.builder().hosts(sshHosts()).connectTimeout(Duration.ofSeconds(1))
                .authTimeout(Duration.ofSeconds(3)).checkTimeout(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(300));
    }

    NetnsHost netns(String node) {
        return hosts.stream().filter(h -> node(h).equals(node)).findFirst().orElseThrow();
    }

    static AppSpec.Builder sh(String app, String script) {
        return AppSpec.builder(app).command("sh", "-c", script);
    }

    /** An app serving "hello $BERTH_INSTANCE_ID" over HTTP on $PORT with busybox httpd, in its instance dir. */
    static AppSpec.Builder web(String app) {
        return sh(app, "mkdir -p www && echo \"hello $BERTH_INSTANCE_ID\" > www/index.html"
                + " && echo serving on $PORT && exec busybox httpd -f -p \"$PORT\" -h www").env("PORT", AppSpec.RANDOM_PORT);
    }

    static AppSpec.Builder sleeper(String app) {
        return AppSpec.builder(app).command("sleep", "600");
    }

    static LaunchRequest req(String id, String node, AppSpec spec) {
        return new LaunchRequest(id, node, spec, RELEASE);
    }

    static String get(RunningInstance i) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + i.endpoint() + "/"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().trim();
    }

    static ConditionFactory waiting() {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50));
    }

    /** Whether a process with that pid (the number before ':' in a handle) exists (the hosts share the pid namespace). */
    static boolean processExists(String handle) {
        String pid = handle.substring(0, handle.indexOf(':'));
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException e) {
            return false;
        }
    }

    /** Pids of processes whose command line contains every fragment. */
    static List<Long> pidsWithCmdline(String... fragments) {
        List<Long> pids = new ArrayList<>();
        for (long pid : allPids()) {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' ');
                if (java.util.Arrays.stream(fragments).allMatch(cmd::contains)) {
                    pids.add(pid);
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return pids;
    }

    /** The live processes in the session of the instance with that handle (its wrapper's session). */
    static List<Long> sessionOf(String handle) {
        long pid = Long.parseLong(handle.substring(0, handle.indexOf(':')));
        String[] f = stat(pid);
        if (f == null) {
            return List.of();
        }
        String sid = f[3];
        List<Long> pids = new ArrayList<>();
        for (long p : allPids()) {
            String[] g = stat(p);
            if (g != null && g[3].equals(sid) && !g[0].equals("Z")) {
                pids.add(p);
            }
        }
        return pids;
    }

    static boolean alive(long pid) {
        String[] f = stat(pid);
        return f != null && !f[0].equals("Z") && !f[0].equals("X");
    }

    /** Fields 3.. of /proc/pid/stat (state first), or null. */
    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]+")).forEach(n -> pids.add(Long.parseLong(n)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return pids;
    }
}
