// Serve's backend: its flags checked (--hosts, --docker, --docker-tls), the Docker daemon pinged, and the backend built.
package dev.berth.samples;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.BerthException;
import dev.berth.api.NodeSpec;
import dev.berth.api.Source;
import dev.berth.backend.docker.DockerBackend;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.backend.ssh.SshBackend;
import dev.berth.backend.ssh.SshHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Chooses and builds the backend Serve runs its apps on: local processes (the default), the SSH
 * hosts of {@code --hosts}, or the Docker Engine of {@code --docker} (containers). The checks
 * ({@link #check}) read no state and start nothing but one short-lived connection to the daemon;
 * each throws an {@link IllegalArgumentException} or a {@link BerthException} naming the flag,
 * the value and what is allowed. Stateless.
 */
final class ServeBackends {
    /** The Docker daemon {@code --docker} talks to when it is given without a value. */
    static final String DEFAULT_DOCKER = "unix:///var/run/docker.sock";
    /** The files of a {@code --docker-tls} directory, as in Docker's own {@code DOCKER_CERT_PATH}. */
    static final List<String> TLS_FILES = List.of("ca.pem", "cert.pem", "key.pem");
    private static final Pattern UNIX = Pattern.compile("unix:///[A-Za-z0-9._/-]{1,1000}");
    private static final Pattern SWARM_NODE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern TCP = Pattern.compile("tcp://([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]):([0-9]{1,5})");

    private ServeBackends() {
    }

    /**
     * Checks the backend flags against each other and the apps: {@code --docker} is an allowed
     * address and not given with {@code --hosts}; {@code --docker-tls} comes with a {@code tcp://}
     * address and holds {@link #TLS_FILES}; an image source needs {@code --docker}, and {@code setup}
     * is refused with it (a Dockerfile's {@code RUN} does that). With {@code --docker}, the daemon
     * must answer, else the message says how to start it.
     */
    static void check(Serve s, List<AppSpec> specs) {
        swarmFlags(s.swarm, s.docker, s.hostsFile);
        swarmEngines(s.swarm, s.swarmEngines);
        swarmSchedules(s.swarm, s.swarmPlacement);
        flags(s.docker, s.dockerTls, s.hostsFile);
        apps(s, specs);
        if (s.docker != null) {
            ping(s.docker, s.dockerTls);
        }
    }

    /** {@code --swarm}: an allowed address, and not with {@code --docker} or {@code --hosts}. */
    static void swarmFlags(String swarm, String docker, Path hosts) {
        if (swarm == null) {
            return;
        }
        if (docker != null || hosts != null) {
            throw new IllegalArgumentException("--swarm cannot go with " + (docker != null ? "--docker" : "--hosts " + hosts)
                    + ": the apps run on one backend: a swarm (--swarm), one Docker Engine (--docker) or SSH hosts (--hosts)");
        }
        if (!UNIX.matcher(swarm).matches() && !TCP.matcher(swarm).matches()) {
            throw new IllegalArgumentException("--swarm: '" + swarm + "' is not allowed; use the Engine API of a swarm manager: "
                    + "unix:///PATH or tcp://HOST:PORT");
        }
    }

    /** {@code --swarm-engine NODE=URL}s as a map, checked: only with {@code --swarm}, a node id, an engine address, once each. */
    static Map<String, String> swarmEngines(String swarm, List<String> flags) {
        Map<String, String> engines = new LinkedHashMap<>();
        for (String flag : flags) {
            if (swarm == null) {
                throw new IllegalArgumentException("--swarm-engine " + flag + " needs --swarm URL: it names the engine of a "
                        + "swarm node");
            }
            int eq = flag.indexOf('=');
            String node = eq < 0 ? "" : flag.substring(0, eq);
            String url = flag.substring(eq + 1);
            if (!SWARM_NODE.matcher(node).matches() || !(UNIX.matcher(url).matches() || TCP.matcher(url).matches())) {
                throw new IllegalArgumentException("--swarm-engine: '" + flag + "' is not allowed; use NODE=URL, NODE a node "
                        + "id (1-64 of A-Z a-z 0-9 . _ -), URL unix:///PATH or tcp://HOST:PORT");
            }
            if (engines.put(node, url) != null) {
                throw new IllegalArgumentException("--swarm-engine: node '" + node + "' is given twice");
            }
        }
        return engines;
    }

    /** {@code --swarm-placement}: whether Swarm schedules (swarm, the default) or Berth does (berth); only with {@code --swarm}. */
    static boolean swarmSchedules(String swarm, String placement) {
        if (placement == null) {
            return true;
        }
        if (swarm == null) {
            throw new IllegalArgumentException("--swarm-placement " + placement + " needs --swarm URL: it says who places "
                    + "that swarm's tasks");
        }
        if (!placement.equals("swarm") && !placement.equals("berth")) {
            throw new IllegalArgumentException("--swarm-placement: '" + placement + "' is not allowed; use swarm (Swarm places "
                    + "and restarts the tasks) or berth (Berth places and pins them)");
        }
        return placement.equals("swarm");
    }

    /** Each app can run on the backend Serve's flags choose. */
    static void apps(Serve s, List<AppSpec> specs) {
        if (s.swarm == null) {
            apps(s.docker != null, specs);
            return;
        }
        for (AppSpec spec : specs) {
            if (!(spec.source() instanceof Source.Image || spec.source() instanceof Source.Directory
                    || spec.source() instanceof Source.Git)) {
                throw new IllegalArgumentException("app '" + spec.name() + "': --swarm runs images: give the app source.image, "
                        + "or a directory (or git push) holding a Dockerfile");
            }
            if (!spec.setup().isEmpty()) {
                throw new IllegalArgumentException("app '" + spec.name() + "': setup is not allowed with --swarm: build it into "
                        + "the image instead (RUN in the Dockerfile)");
            }
        }
    }

    /** The flags alone: allowed values and combinations. */
    static void flags(String docker, Path tls, Path hosts) {
        if (docker == null) {
            if (tls != null) {
                throw new IllegalArgumentException("--docker-tls " + tls + " needs --docker tcp://HOST:PORT: "
                        + "TLS is for a Docker daemon reached over TCP");
            }
            return;
        }
        if (hosts != null) {
            throw new IllegalArgumentException("--docker and --hosts " + hosts + " cannot be used together: the apps "
                    + "run either as containers on one Docker Engine (--docker) or as processes on SSH hosts (--hosts)");
        }
        boolean tcp = TCP.matcher(docker).matches();
        if (!tcp && !UNIX.matcher(docker).matches()) {
            throw new IllegalArgumentException("--docker: '" + docker + "' is not allowed; use unix:///PATH (default "
                    + DEFAULT_DOCKER + ") or tcp://HOST:PORT with --docker-tls DIR");
        }
        if (tcp) {
            int port = Integer.parseInt(TCP.matcher(docker).replaceFirst("$2"));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--docker: '" + docker + "' is not allowed; the port must be 1-65535");
            }
            if (tls == null) {
                throw new IllegalArgumentException("--docker " + docker + " needs --docker-tls DIR (ca.pem, cert.pem, "
                        + "key.pem): Serve does not talk to a Docker daemon over TCP without TLS, since its API "
                        + "gives root on its host to anyone who reaches it");
            }
        } else if (tls != null) {
            throw new IllegalArgumentException("--docker-tls " + tls + " is not allowed with --docker " + docker
                    + ": TLS needs a tcp://HOST:PORT address");
        }
        if (tls != null) {
            if (!Files.isDirectory(tls)) {
                throw new IllegalArgumentException("--docker-tls: " + tls + " is not a directory; it must hold "
                        + String.join(", ", TLS_FILES) + " (as Docker's DOCKER_CERT_PATH)");
            }
            for (String file : TLS_FILES) {
                if (!Files.isRegularFile(tls.resolve(file))) {
                    throw new IllegalArgumentException("--docker-tls: " + tls + " has no " + file + "; it must hold "
                            + String.join(", ", TLS_FILES) + " (as Docker's DOCKER_CERT_PATH)");
                }
            }
        }
    }

    /** Each app can run on the chosen backend. */
    static void apps(boolean docker, List<AppSpec> specs) {
        for (AppSpec spec : specs) {
            if (!docker && spec.source() instanceof Source.Image image) {
                throw new IllegalArgumentException("app '" + spec.name() + "': source.image '" + image.image()
                        + "' needs --docker: local processes and SSH hosts run a command, not a container image");
            }
            if (docker && !spec.setup().isEmpty()) {
                throw new IllegalArgumentException("app '" + spec.name() + "': setup is not allowed with --docker: "
                        + "containers run no setup command; build it into the image instead (RUN in the Dockerfile)");
            }
        }
    }

    /** Asks the daemon for its info once; a daemon that does not answer is an error saying how to start one. */
    static void ping(String docker, Path tls) {
        DockerBackend probe = docker(docker, tls, "serve-preflight");
        try {
            probe.nodeSpec();
        } catch (BackendException e) {
            throw new BerthException("--docker " + docker + ": the Docker daemon does not answer (" + e.getMessage()
                    + "). " + (docker.startsWith("tcp://")
                            ? "Start dockerd on that host listening there with --tlsverify, and check that --docker-tls "
                                    + "holds a client certificate it trusts."
                            : "Start it first (`sudo systemctl start docker`, or `sudo dockerd &` where there is no "
                                    + "systemd) and check that this user may use its socket (root, or the docker group)."),
                    e);
        } finally {
            probe.close();
        }
    }

    /**
     * The node id of Serve's Docker Engine: {@code docker-} and 8 hex digits of the state dir's
     * path, so that two Serves (two {@code --state}) on one engine never list, adopt or stop each
     * other's containers, and a restarted Serve finds its own again.
     */
    static String dockerNode(Path root) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(root.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return "docker-" + HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Local processes under {@code root/instances}, the SSH hosts of --hosts, or the Docker Engine of --docker. */
    static Backend build(Serve s, Path root, List<SshHost> hosts) {
        if (s.swarm != null) {
            dev.berth.backend.swarm.SwarmBackend.Builder b = dev.berth.backend.swarm.SwarmBackend.builder().manager(s.swarm);
            swarmEngines(s.swarm, s.swarmEngines).forEach(b::engine);
            boolean swarmSchedules = swarmSchedules(s.swarm, s.swarmPlacement);
            b.swarmSchedules(swarmSchedules);
            dev.berth.backend.swarm.SwarmBackend swarm = b.build();
            System.out.println("Serve: the apps run as services on the Docker Swarm of " + s.swarm + " (" + swarm.nodes().size()
                    + " node(s)); " + (swarmSchedules ? "Swarm places and restarts them" : "Berth places and respawns them"));
            return swarm;
        }
        if (s.docker != null) {
            DockerBackend docker = docker(s.docker, s.dockerTls, dockerNode(root));
            try {
                NodeSpec node = docker.nodeSpec();
                System.out.println("Serve: the apps run as containers on the Docker Engine at " + s.docker + " (node "
                        + node.id() + ", " + node.capacity() + ")");
            } catch (RuntimeException e) {
                docker.close();
                throw e;
            }
            return docker;
        }
        if (hosts == null) {
            return ProcessBackend.builder().baseDir(root.resolve("instances")).build();
        }
        SshBackend ssh = SshBackend.builder().hosts(hosts).build();
        System.out.println("Serve: " + ssh.nodes().size() + " SSH host(s) from " + s.hostsFile + ": "
                + ssh.hosts().stream().map(h -> h.id() + "=" + h.target()).collect(Collectors.joining(", ")));
        return ssh;
    }

    private static DockerBackend docker(String host, Path tls, String node) {
        DockerBackend.Builder b = DockerBackend.builder().dockerHost(host).node(node).publishAddress("127.0.0.1");
        if (tls != null) {
            b.tls(tls);
        }
        return b.build();
    }
}
