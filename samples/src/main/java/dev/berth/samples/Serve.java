// Serve: runs the apps of a manifest folder until stopped, on local processes, SSH hosts or Docker, routed by nginx or haproxy.
package dev.berth.samples;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BerthException;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.spi.Router;
import dev.berth.backend.docker.DockerBackend;
import dev.berth.backend.ssh.SshBackend;
import dev.berth.core.Platform;
import dev.berth.core.PlatformBuilder;
import dev.berth.core.internal.state.FileStateStore;
import dev.berth.support.Redactor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the apps of a folder of manifests (Berth YAML or Mako Master JSON) as local processes, or
 * across the SSH hosts of {@code --hosts FILE} (each host a node; a host that dies has its
 * instances placed on the others), or as containers on the Docker Engine of {@code --docker},
 * until stopped, each app's {@code routing} domains served through a router (nginx or haproxy,
 * owned by Serve, on {@code --http-port}). The manifests are the truth: apps in the state but not
 * in the folder are removed. Stopping Serve leaves the instances and the router's proxy running and
 * serving (unless {@code --stop-on-exit}); a new Serve with the same {@code --state} adopts them without
 * restarting them. The folder is watched and reloaded on change and on SIGHUP
 * ({@link ManifestReload}): only what changed is deployed or removed.
 */
@Command(name = "Serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Runs the apps of a manifest folder (YAML or Mako JSON) on local processes, on SSH hosts "
                + "(--hosts) or as containers on a Docker Engine (--docker), until stopped. A change to a manifest "
                + "file, or SIGHUP (kill -HUP PID), reloads the folder: changed apps are redeployed, unchanged ones "
                + "and the router are left alone, and a bad file changes nothing.")
public final class Serve implements Callable<Integer> {
    /** Orders the changes of the apps (deploys, reloads) against the shutdown hook. */
    private final Object changes = new Object();
    /** Set by the shutdown hook: no change starts after it; guarded by {@link #changes}. */
    private boolean exiting;

    @Option(names = "--manifests", required = true, paramLabel = "DIR",
            description = "folder of *.yml/*.yaml (Berth) and *.json (Mako Master) manifests; watched, reloaded "
                    + "0.5 s after a change and on SIGHUP")
    Path manifests;

    @Option(names = "--state", required = true, paramLabel = "DIR",
            description = "state folder: desired state, instance records, instance directories and logs")
    Path state;

    @Option(names = "--cluster", paramLabel = "NAME", description = "apply each app's variant for this cluster")
    String cluster;

    @Option(names = "--stop-on-exit",
            description = "stop every instance and the router's proxy when Serve stops (default: leave them running "
                    + "and serving, for the next Serve to adopt)")
    boolean stopOnExit;

    @Option(names = "--no-push-wait",
            description = "a git push returns as soon as its deploy is accepted, instead of streaming the deploy "
                    + "and failing when the release is rolled back")
    boolean noPushWait;

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

    @Option(names = "--docker", arity = "0..1", paramLabel = "URL", fallbackValue = ServeBackends.DEFAULT_DOCKER,
            description = "run the apps as containers on this Docker Engine: unix:///PATH (the default when the flag "
                    + "has no value: " + ServeBackends.DEFAULT_DOCKER + ") or tcp://HOST:PORT with --docker-tls")
    String docker;

    @Option(names = "--swarm", paramLabel = "URL",
            description = "run the apps as services on the Docker Swarm whose manager's Engine API this is: unix:///PATH "
                    + "or tcp://HOST:PORT (each instance a service pinned to the node Berth places it on; apps run "
                    + "source.image, or a directory or git push with a Dockerfile; docs/swarm.md)")
    String swarm;

    @Option(names = "--swarm-engine", paramLabel = "NODE=URL",
            description = "with --swarm, the Engine API of one swarm node (NODE: its id, as berth nodes lists it): images "
                    + "built on the manager are loaded into it, and exec runs there; repeat for each node")
    List<String> swarmEngines = new ArrayList<>();

    @Option(names = "--swarm-placement", paramLabel = "swarm|berth",
            description = "with --swarm, who places the tasks: swarm (the default: Swarm places, restarts and moves them, "
                    + "node labels, uniqueHost and maxPerNode as its constraints) or berth (Berth places and pins each one, "
                    + "respawns and re-places); Berth gates, routes and rolls out either way (docs/swarm.md)")
    String swarmPlacement;

    @Option(names = "--docker-tls", paramLabel = "DIR",
            description = "ca.pem, cert.pem and key.pem for a tcp:// --docker address (as Docker's DOCKER_CERT_PATH)")
    Path dockerTls;

    @picocli.CommandLine.Mixin
    ServeApi api = new ServeApi();

    @picocli.CommandLine.Mixin
    ServeZooKeeper zooKeeper = new ServeZooKeeper();
    private volatile dev.berth.hooks.Hooks hooks;

    /** The environment variable holding the git server's password, as in Mako Master. */
    static final String MASTER_PASS = "MASTER_PASS";
    static final int DEFAULT_GIT_PORT = 4001;
    /** How long the manifest folder must be quiet after a change before it is reloaded. */
    static final Duration RELOAD_DEBOUNCE = Duration.ofMillis(500);

    public static void main(String[] args) {
        ServeLogging.eventsOnce(); // before the first logger: events are printed, not logged as well
        int code = new CommandLine(new Serve()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Checks everything (flags, password, ports, manifests, pinned commits, hosts file), then takes
     * the state lock, checks the state files, and only then builds the router and the platform: a
     * refused Serve changes no file and starts or stops no process (an nginx or haproxy it adopted
     * is left running).
     */
    @Override
    public Integer call() throws InterruptedException {
        Path root = state.toAbsolutePath().normalize();
        Preflight.Checked checked;
        java.util.Optional<dev.berth.server.Tokens> tokens;
        try {
            checked = Preflight.check(this, root, System.getenv());
            tokens = api.check(System.getenv());
        } catch (IOException | BerthException | IllegalArgumentException e) {
            return refuse(e.getMessage());
        }
        if (checked.router().equals("none") || router == null) {
            System.out.println(router != null ? "Serve: no router; each instance answers on its own port only"
                    : "Serve: --router not given: using " + checked.router() + (checked.router().equals("none")
                            ? " (nginx is not installed; domains are not served)" : ""));
        }
        if (zooKeeper.enabled()) {
            try {
                zooKeeper.check(this, api);
                Files.createDirectories(root.resolve("platform"));
            } catch (IOException | IllegalArgumentException e) {
                return refuse(e.getMessage());
            }
            return zooKeeper.run(this, api, root, checked, tokens); // no state lock: the controllers of a machine share --state
        }
        Path made = Preflight.firstMissing(root); // what this start creates: a refusal removes it
        boolean fresh = made != null;
        FileStateStore store;
        try {
            store = FileStateStore.open(root.resolve("platform")); // the lock: one Serve per --state
        } catch (BerthException e) {
            return refuse(e.getMessage()); // someone else's state: nothing of it is touched
        }
        Backend backend = null;
        Router proxy = null;
        Platform platform;
        EventPrinter printer = new EventPrinter(System.out);
        // Registered before the build: a SIGTERM while the build adopts and reports instances
        // healthy must still stop them with --stop-on-exit. The hook waits for the build's outcome.
        CompletableFuture<Platform> built = new CompletableFuture<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(built, checked), "serve-shutdown"));
        try {
            store.loadApps(); // a corrupt state stops Serve here, before any process starts
            store.loadInstances();
            backend = backend(root, checked);
            proxy = ServeRouters.build(this, root, checked.router());
            PlatformBuilder builder = platformBuilder(root, checked, backend, proxy).stateStore(store).listener(printer);
            platform = builder.build();
            built.complete(platform);
        } catch (RuntimeException e) { // a taken port, an unreachable host, a corrupt state file...
            built.complete(null);
            ServeRouters.giveUp(proxy, backend);
            if (fresh) {
                deleteTree(made); // still ours: the lock is held
            }
            store.close();
            return refuse(e.getMessage());
        }
        printer.showOutputWith(exited -> lastLines(platform, exited.app(), exited.instance()));
        hooks = ServeHooks.start(platform, root);
        try {
            api.start(platform, tokens, root, hooks);
        } catch (RuntimeException e) { // the port was taken since the check: Serve runs on without an API
            System.err.println("Serve: no control API: " + e.getMessage());
        }
        run(platform, checked);
        return 0;
    }

    /**
     * The platform Serve builds on {@code backend} and {@code proxy}: its nodes (the Docker Engine,
     * this machine, or the SSH hosts), data folder and git server; the state store and listeners
     * are the caller's.
     */
    PlatformBuilder platformBuilder(Path root, Preflight.Checked checked, Backend backend, Router proxy) {
        PlatformBuilder builder = Platform.builder().dataDir(root.resolve("platform")).backend(backend);
        if (backend instanceof DockerBackend engine) {
            builder.node(engine.nodeSpec());
        } else if (backend instanceof dev.berth.backend.swarm.SwarmBackend sw) {
            builder.cluster(sw.nodes());
        } else if (checked.hosts() == null) {
            builder.node(NodeSpec.of("local", Resources.builder().cpu(Runtime.getRuntime().availableProcessors()).build()));
        } else {
            builder.cluster(((SshBackend) backend).nodes());
        }
        if (proxy != null) {
            builder.router(proxy);
        }
        if (checked.password() != null) {
            builder.gitServer(gitPort == null ? DEFAULT_GIT_PORT : gitPort, checked.password()).gitPushWaits(!noPushWait);
        }
        return builder;
    }

    /**
     * On exit (Ctrl-C, SIGTERM, the end of {@code call}): once the build has an outcome, stops every
     * instance with {@code --stop-on-exit} (else leaves them running for the next Serve to adopt)
     * and closes the platform. A build that failed, or still runs after a minute, has nothing to close.
     */
    private void shutdown(CompletableFuture<Platform> built, Preflight.Checked checked) {
        stopChanges(); // no deploy, removal or reload from now on: stopAll must not race one
        Platform platform;
        try {
            platform = built.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException e) {
            System.out.println("Serve: the platform was still starting after a minute; its instances keep running");
            return;
        }
        if (platform == null) {
            return; // refused: the refusal said so and changed nothing
        }
        if (stopOnExit) {
            System.out.println("Serve: stopping every instance ...");
            platform.stopAll(Duration.ofSeconds(60));
        } else {
            System.out.println("Serve: leaving the instances" + (checked.router().equals("none") ? ""
                    : " and " + checked.router()) + " running; a new Serve with --state " + state
                    + " adopts them.");
        }
        if (hooks != null) {
            hooks.close(); // checkpoints saved: the next Serve sends only what changed
        }
        platform.close(); // the router was built to keep its proxy serving unless --stop-on-exit
    }

    /** From now on no change of the apps starts (Serve is exiting); one under way has ended. */
    void stopChanges() {
        synchronized (changes) {
            exiting = true;
        }
    }

    /**
     * Runs a change of the apps (the first deploys, a reload) unless Serve is exiting; returns
     * whether it ran. Changes and the shutdown hook exclude each other, so a SIGTERM never races a
     * deploy: a change under way ends first, none starts after.
     */
    boolean change(Runnable apply) {
        synchronized (changes) {
            if (exiting) {
                return false;
            }
            apply.run();
            return true;
        }
    }

    /** How many lines of an exited instance's output Serve prints after its exit. */
    static final int EXIT_LINES = 5;

    /** The instance's last lines of output, each value of the app's env of 4+ characters shown as ***. */
    static List<String> lastLines(Platform platform, String app, String instance) {
        Redactor secrets = new Redactor(platform.app(app).spec().env().values());
        return platform.logs(instance, EXIT_LINES).stream().map(secrets::apply)
                .map(line -> line.length() > 400 ? line.substring(0, 400) + " ..." : line).toList();
    }

    /** Deploys the apps, removes those no manifest names any more, and serves until stopped. */
    private void run(Platform platform, Preflight.Checked checked) throws InterruptedException {
        sayGit(platform, checked);
        deployAndWatch(platform, checked.specs(), true, () -> { });
        synchronized (changes) {
            if (exiting) {
                return; // the shutdown hook has the platform
            }
        }
        new CountDownLatch(1).await();
    }

    /** Says where the git server listens, or how to have one. */
    void sayGit(Platform platform, Preflight.Checked checked) {
        int git = platform.gitPort().orElse(gitPort == null ? DEFAULT_GIT_PORT : gitPort);
        if (checked.password() == null) {
            System.out.println("Serve: no git server (set " + MASTER_PASS + " to push code to port " + git + ")");
        } else {
            System.out.println("Serve: git server on port " + git + ": git push http://git:$" + MASTER_PASS
                    + "@127.0.0.1:" + git + "/APP main");
        }
    }

    /**
     * Deploys {@code specs} and removes the apps no manifest names (unless {@code deploy} is false:
     * they run as these specs already), then watches the folder and SIGHUP to reload it on change;
     * {@code applied} runs after the deploy and after each reload. Returns the watch to close;
     * null when Serve is exiting (then nothing was done) or the folder cannot be watched (then it
     * said so).
     */
    ManifestWatch deployAndWatch(Platform platform, List<AppSpec> specs, boolean deploy, Runnable applied) {
        Set<String> wanted = specs.stream().map(AppSpec::name).collect(Collectors.toSet());
        boolean deployed = change(() -> {
            if (!deploy) {
                return;
            }
            for (App app : platform.apps()) {
                if (!wanted.contains(app.name())) {
                    System.out.println("Serve: " + app.name() + " is no longer in " + manifests + ": removing it");
                    app.remove();
                }
            }
            for (AppSpec spec : specs) {
                platform.deploy(spec);
            }
            applied.run();
        });
        if (!deployed) {
            return null;
        }
        System.out.println("Serve: running " + specs.size() + " app(s) from " + manifests + "; Ctrl-C to stop.");
        ManifestReload reload = new ManifestReload(platform, manifests, cluster, specs, System.out, spec -> {
            ServeBackends.apps(this, List.of(spec)); // an image needs --docker or --swarm; setup is refused with them
            platform.check(spec);
        });
        try {
            ManifestWatch watch = ManifestWatch.start(manifests, RELOAD_DEBOUNCE, true, () -> change(() -> {
                reload.reload();
                applied.run();
            }));
            System.out.println("Serve: a change in " + manifests + " is applied " + RELOAD_DEBOUNCE.toMillis()
                    + " ms after it (or at once on kill -HUP " + ProcessHandle.current().pid() + ")");
            return watch;
        } catch (java.io.IOException e) {
            System.out.println("Serve: cannot watch " + manifests + " (" + e + "): the manifests are not reloaded");
            return null;
        }
    }

    private int refuse(String why) {
        System.err.println("Serve: " + FlagHints.translate(why, httpPort, gitPort == null ? DEFAULT_GIT_PORT : gitPort));
        System.err.println("Serve: nothing was changed.");
        return 2;
    }

    /** Local processes, the SSH hosts of --hosts, or the Docker Engine of --docker. */
    Backend backend(Path root, Preflight.Checked checked) {
        return ServeBackends.build(this, root, checked.hosts());
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("Serve: could not remove " + dir + ", made by this refused start: " + e.getMessage());
        }
    }
}
