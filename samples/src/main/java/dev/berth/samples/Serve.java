package dev.berth.samples;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.api.BerthException;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.api.Router;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.backend.ssh.SshBackend;
import dev.berth.backend.ssh.SshHosts;
import dev.berth.core.Manifests;
import dev.berth.core.Platform;
import dev.berth.router.haproxy.HaproxyRouter;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the apps of a folder of manifests (Berth YAML or Mako Master JSON) as local processes, or
 * across the SSH hosts of {@code --hosts FILE} (each host a node; a host that dies has its
 * instances placed on the others), until stopped, each app's {@code routing} domains served through a router (nginx or haproxy,
 * owned by Serve, on {@code --http-port}). The manifests are the truth: apps in the state but not
 * in the folder are removed. Stopping Serve leaves the instances running (unless
 * {@code --stop-on-exit}); a new Serve with the same {@code --state} adopts them without
 * restarting them.
 */
@Command(name = "Serve", mixinStandardHelpOptions = true,
        description = "Runs the apps of a manifest folder (YAML or Mako JSON) on local processes, or on SSH hosts "
                + "(--hosts), until stopped.")
public final class Serve implements Callable<Integer> {
    @Option(names = "--manifests", required = true, paramLabel = "DIR",
            description = "folder of *.yml/*.yaml (Berth) and *.json (Mako Master) manifests")
    Path manifests;

    @Option(names = "--state", required = true, paramLabel = "DIR",
            description = "state folder: desired state, instance records, instance directories and logs")
    Path state;

    @Option(names = "--cluster", paramLabel = "NAME", description = "apply each app's variant for this cluster")
    String cluster;

    @Option(names = "--stop-on-exit", description = "stop every instance when Serve stops (default: leave them running)")
    boolean stopOnExit;

    @Option(names = "--router", paramLabel = "nginx|haproxy|none",
            description = "the router in front of the apps' domains (default: nginx when it is installed, else none)")
    String router;

    @Option(names = "--http-port", paramLabel = "N", defaultValue = "8080",
            description = "the port the router listens on, on 127.0.0.1 (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--git-port", paramLabel = "N",
            description = "the git server's port on 127.0.0.1 (default 4001, as in Mako); the password is the "
                    + "MASTER_PASS environment variable, and without one there is no git server")
    Integer gitPort;

    @Option(names = "--hosts", paramLabel = "FILE",
            description = "a YAML list of SSH hosts (docs/ssh.md): the apps run on them, each host a node, instead of "
                    + "as local processes")
    Path hostsFile;

    /** The environment variable holding the git server's password, as in Mako Master. */
    static final String MASTER_PASS = "MASTER_PASS";
    static final int DEFAULT_GIT_PORT = 4001;

    public static void main(String[] args) {
        int code = new CommandLine(new Serve()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        List<AppSpec> specs;
        try {
            if (!Files.isDirectory(manifests)) {
                throw new BerthException("--manifests: " + manifests + " is not a directory");
            }
            specs = Manifests.load(manifests, cluster);
            specs.forEach(Platform::checkDeployable);
        } catch (BerthException e) {
            System.err.println("Serve: " + e.getMessage());
            System.err.println("Serve: nothing was changed.");
            return 2;
        }
        String password = System.getenv(MASTER_PASS);
        if (password != null && password.isEmpty()) {
            password = null;
        }
        if (gitPort != null && password == null) {
            System.err.println("Serve: --git-port needs a password in the " + MASTER_PASS + " environment variable; "
                    + "Serve does not start a git server without one");
            System.err.println("Serve: nothing was changed.");
            return 2;
        }
        Path root = state.toAbsolutePath();
        Router proxy;
        try {
            proxy = router(root);
        } catch (BerthException | IllegalArgumentException e) {
            System.err.println("Serve: " + e.getMessage());
            System.err.println("Serve: nothing was changed.");
            return 2;
        }
        Platform.Builder builder = Platform.builder()
                .stateDir(root.resolve("platform"))
                .listener(new EventPrinter(System.out));
        if (hostsFile == null) {
            Resources machine = Resources.builder().cpu(Runtime.getRuntime().availableProcessors()).build();
            builder.node(NodeSpec.of("local", machine))
                    .backend(ProcessBackend.builder().baseDir(root.resolve("instances")).build());
        } else {
            SshBackend hosts;
            try {
                hosts = SshBackend.builder().hosts(SshHosts.load(hostsFile)).build();
            } catch (IOException | BerthException | IllegalArgumentException e) {
                System.err.println("Serve: --hosts " + hostsFile + ": " + e.getMessage());
                System.err.println("Serve: nothing was changed.");
                if (proxy != null) {
                    proxy.close();
                }
                return 2;
            }
            builder.cluster(hosts.nodes()).backend(hosts);
            System.out.println("Serve: " + hosts.nodes().size() + " SSH host(s) from " + hostsFile + ": "
                    + hosts.hosts().stream().map(h -> h.id() + "=" + h.target()).collect(Collectors.joining(", ")));
        }
        if (proxy != null) {
            builder.router(proxy);
        }
        int git = gitPort == null ? DEFAULT_GIT_PORT : gitPort;
        if (password != null) {
            builder.gitServer(git, password);
        }
        Platform built = null;
        try {
            built = builder.build();
            for (AppSpec spec : specs) {
                built.check(spec); // all or nothing: a commit that was never pushed, say
            }
        } catch (BerthException | IllegalArgumentException e) {
            System.err.println("Serve: " + e.getMessage());
            System.err.println("Serve: nothing was changed.");
            if (built != null) {
                built.close(); // the router with it
            } else if (proxy != null) {
                proxy.close();
            }
            return 2;
        }
        Platform platform = built;
        if (password == null) {
            System.out.println("Serve: no git server (set " + MASTER_PASS + " to push code to port " + git + ")");
        } else {
            System.out.println("Serve: git server on port " + platform.gitPort().orElse(git) + ": git push http://git:$"
                    + MASTER_PASS + "@127.0.0.1:" + platform.gitPort().orElse(git) + "/APP main");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopOnExit) {
                System.out.println("Serve: stopping every instance ...");
                platform.stopAll(Duration.ofSeconds(60));
            } else {
                System.out.println("Serve: leaving the instances running; a new Serve with --state " + state + " adopts them.");
            }
            platform.close();
        }, "serve-shutdown"));

        Set<String> wanted = specs.stream().map(AppSpec::name).collect(Collectors.toSet());
        for (App app : platform.apps()) {
            if (!wanted.contains(app.name())) {
                System.out.println("Serve: " + app.name() + " is no longer in " + manifests + ": removing it");
                app.remove();
            }
        }
        for (AppSpec spec : specs) {
            platform.deploy(spec);
        }
        System.out.println("Serve: running " + specs.size() + " app(s) from " + manifests + "; Ctrl-C to stop.");
        new CountDownLatch(1).await();
        return 0;
    }

    /** The router asked for (or the default), said plainly; null for none. */
    private Router router(Path root) {
        String choice = router;
        if (choice == null) {
            choice = Samples.onPath("nginx") ? "nginx" : "none";
            System.out.println("Serve: --router not given: using " + choice
                    + (choice.equals("none") ? " (nginx is not installed; domains are not served)" : ""));
        }
        switch (choice) {
            case "nginx" -> {
                Router r = NginxRouter.builder().prefix(root.resolve("router-nginx")).httpPort(httpPort).build();
                System.out.println("Serve: nginx routes the apps' domains on http://127.0.0.1:" + httpPort);
                return r;
            }
            case "haproxy" -> {
                Router r = HaproxyRouter.builder().prefix(root.resolve("router-haproxy")).httpPort(httpPort).build();
                System.out.println("Serve: haproxy routes the apps' domains on http://127.0.0.1:" + httpPort);
                return r;
            }
            case "none" -> {
                System.out.println("Serve: no router; each instance answers on its own port only");
                return null;
            }
            default -> throw new IllegalArgumentException("--router: '" + choice + "' is not allowed; use nginx, haproxy or none");
        }
    }
}
