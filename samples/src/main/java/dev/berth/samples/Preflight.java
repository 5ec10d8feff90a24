// Everything Serve checks before it changes anything: flags, password, ports, manifests, pinned commits, hosts file.
package dev.berth.samples;

import dev.berth.api.AppSpec;
import dev.berth.api.BerthException;
import dev.berth.backend.ssh.SshHost;
import dev.berth.backend.ssh.SshHosts;
import dev.berth.core.Manifests;
import dev.berth.core.Platform;
import dev.berth.core.internal.release.Releases;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The checks Serve runs before it takes the state lock, builds a router or a platform: each throws
 * an {@link IllegalArgumentException} or a {@link BerthException} naming the flag, file or field,
 * the value and what is allowed, and none of them writes a file or starts a process. Stateless.
 */
final class Preflight {
    /** What Serve goes on with once everything is checked. */
    record Checked(List<AppSpec> specs, String router, String password, List<SshHost> hosts) {
    }

    private Preflight() {
    }

    /**
     * Checks Serve's flags, {@code env}'s {@link Serve#MASTER_PASS}, the manifests and the commits
     * they pin (against the repositories under {@code root}, read only).
     */
    static Checked check(Serve s, Path root, Map<String, String> env) throws IOException {
        String router = router(s.router, env.getOrDefault("PATH", ""));
        if (!router.equals("none")) {
            port("--http-port", s.httpPort, false);
        }
        String password = password(env.get(Serve.MASTER_PASS), s.gitPort != null);
        if (password != null) {
            port("--git-port", s.gitPort == null ? Serve.DEFAULT_GIT_PORT : s.gitPort, true);
        }
        if (!Files.isDirectory(s.manifests)) {
            throw new BerthException("--manifests: " + s.manifests + " is not a directory");
        }
        List<AppSpec> specs = Manifests.load(s.manifests, s.cluster);
        // the same checks Platform.deploy makes, a commit that was never pushed included, read only
        Releases releases = new Releases(root.resolve("platform"), "main");
        ManifestOrigin.checkEach(s.manifests, s.cluster, specs, spec -> {
            Platform.checkDeployable(spec);
            releases.resolve(spec);
        });
        ServeBackends.check(s, specs); // --docker/--docker-tls/--hosts, what the apps need, the daemon answers
        List<SshHost> hosts = null;
        if (s.hostsFile != null) {
            try {
                hosts = SshHosts.load(s.hostsFile);
            } catch (IOException | RuntimeException e) {
                throw new BerthException("--hosts " + s.hostsFile + ": " + e.getMessage(), e);
            }
        }
        return new Checked(specs, router, password, hosts);
    }

    /**
     * The router asked for, or nginx when it is installed, else none; a router that is not
     * installed (where the routers look: {@value #DEBIAN_SBIN}, then {@code path}) is refused.
     */
    static String router(String choice, String path) {
        return router(choice, Path.of(DEBIAN_SBIN), path);
    }

    /** {@link #router(String, String)} with the routers' first place to look, {@code sbin}, given. */
    static String router(String choice, Path sbin, String path) {
        if (choice == null) {
            return installed("nginx", sbin, path) ? "nginx" : "none";
        }
        if (!List.of("nginx", "haproxy", "none").contains(choice)) {
            throw new IllegalArgumentException("--router: '" + choice + "' is not allowed; use nginx, haproxy or none");
        }
        if (!choice.equals("none") && !installed(choice, sbin, path)) {
            throw new IllegalArgumentException(notInstalled(choice));
        }
        return choice;
    }

    /** Where Debian installs nginx and haproxy, where the routers look first. */
    static final String DEBIAN_SBIN = "/usr/sbin";

    /** Whether an executable {@code name} is in {@code sbin} or a folder of {@code path}, as the routers look. */
    static boolean installed(String name, Path sbin, String path) {
        List<String> dirs = new java.util.ArrayList<>(List.of(sbin.toString()));
        dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .anyMatch(p -> Files.isExecutable(p) && !Files.isDirectory(p));
    }

    /** What Serve says when the router {@code proxy} is not installed: the package, and the other choices. */
    static String notInstalled(String proxy) {
        String others = proxy.equals("nginx") ? "haproxy|none" : "nginx|none";
        return "--router " + proxy + ": " + proxy + " is not installed (not in " + DEBIAN_SBIN + " nor on the PATH): "
                + "install it (Debian/Ubuntu: apt-get install " + proxy + "), or choose --router " + others;
    }

    /**
     * The outermost folder of {@code dir} (itself or a parent) that does not exist yet: what a start
     * creates and a refused start removes; null when {@code dir} exists.
     */
    static Path firstMissing(Path dir) {
        Path missing = null;
        for (Path p = dir.toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) {
            missing = p;
        }
        return missing;
    }

    /**
     * The git server's password: {@code null} when MASTER_PASS is unset or empty (no git server;
     * refused with --git-port); one of only white space is refused, never echoed.
     */
    static String password(String value, boolean gitPortGiven) {
        if (value != null && !value.isEmpty() && value.isBlank()) {
            throw new IllegalArgumentException(Serve.MASTER_PASS + ": a password of only white space is not allowed; "
                    + "set a real password, or unset " + Serve.MASTER_PASS + " to run without a git server");
        }
        String password = value == null || value.isEmpty() ? null : value;
        if (gitPortGiven && password == null) {
            throw new IllegalArgumentException("--git-port needs a password in the " + Serve.MASTER_PASS
                    + " environment variable; Serve does not start a git server without one");
        }
        return password;
    }

    /** A port in range and, when {@code mustBeFree}, free on 127.0.0.1 now (0: any free one). */
    static void port(String flag, int port, boolean mustBeFree) {
        port(flag, port, mustBeFree, InetAddress.getLoopbackAddress());
    }

    /** A port in range and, when {@code mustBeFree}, free on {@code address} now (0: any free one). */
    static void port(String flag, int port, boolean mustBeFree, InetAddress address) {
        if (port < (mustBeFree ? 0 : 1) || port > 65535) {
            throw new IllegalArgumentException(flag + ": " + port + " is not allowed; must be " + (mustBeFree ? 0 : 1)
                    + "-65535");
        }
        if (mustBeFree && port > 0) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(address, port));
            } catch (IOException e) {
                throw new IllegalArgumentException(flag + ": port " + port + " on " + address.getHostAddress()
                        + " is already in use ("
                        + e.getMessage() + "); choose a free port", e);
            }
        }
    }
}
