// Serve --zookeeper: one of several controllers of one platform, which runs here only while this controller leads.
package dev.berth.samples;

import dev.berth.api.AppSpec;
import dev.berth.core.Platform;
import dev.berth.hooks.Hooks;
import dev.berth.core.Manifests;
import dev.berth.server.Tokens;
import dev.berth.spi.Backend;
import dev.berth.spi.Router;
import dev.berth.spi.StateStore;
import dev.berth.state.zookeeper.HaApi;
import dev.berth.state.zookeeper.HaController;
import dev.berth.state.zookeeper.Leadership;
import dev.berth.state.zookeeper.ZkRoot;
import dev.berth.state.zookeeper.ZooKeeperClients;
import dev.berth.state.zookeeper.ZooKeeperEventIndex;
import dev.berth.state.zookeeper.ZooKeeperHookState;
import dev.berth.state.zookeeper.ZooKeeperValue;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Option;

/**
 * {@code Serve --zookeeper HOST:PORT,... [--zk-root /berth/NAME]}: this Serve is one of the
 * controllers that share the root path. They elect one leader ({@link HaController}); only the
 * leader builds the platform (backend, router, git server) on the state in ZooKeeper, runs the hook
 * modules and applies its manifest folder; every controller's API answers, a follower's by
 * forwarding to the leader ({@link HaApi}). The controllers' API addresses are their ids, so
 * {@code --api-bind} must be an address the others reach and {@code --api-port} not 0. Controllers
 * on one machine give the same {@code --state} (the process backend's instances and the router's
 * files, touched by the leader only) and the same manifests.
 */
public final class ServeZooKeeper {
    private static final String HOST_PORT = "([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]):([0-9]{1,5})";
    private static final Pattern ENSEMBLE = Pattern.compile(HOST_PORT + "(," + HOST_PORT + "){0,14}");

    @Option(names = "--zookeeper", paramLabel = "HOST:PORT,...",
            description = "run as one of several controllers sharing state in this ZooKeeper ensemble; the platform runs "
                    + "on the elected leader, the others forward their API to it (docs/ha.md)")
    String ensemble;

    @Option(names = "--zk-root", paramLabel = "PATH", defaultValue = "/berth/default",
            description = "the ZooKeeper path the controllers of one platform share (default: ${DEFAULT-VALUE})")
    String root;

    @Option(names = "--zk-session", paramLabel = "SECONDS", defaultValue = "10",
            description = "the ZooKeeper session timeout: a leader that stops answering for this long is replaced "
                    + "(2-600; default: ${DEFAULT-VALUE}; the ensemble may round it into its own bounds)")
    int sessionSeconds;

    /** What runs here while this controller leads; null while it follows. */
    private volatile Lead lead;

    private record Lead(Hooks hooks, ZooKeeperEventIndex eventIndex, ManifestWatch watch) {
    }

    boolean enabled() {
        return ensemble != null;
    }

    /** Checks the flags, alone and with Serve's others; a bad one throws, naming it, the value and what is allowed. */
    void check(Serve s, ServeApi api) {
        if (!ENSEMBLE.matcher(ensemble).matches()) {
            throw new IllegalArgumentException("--zookeeper: '" + ensemble + "' is not allowed; give HOST:PORT[,HOST:PORT...] "
                    + "(1-15 servers), such as zk1:2181,zk2:2181,zk3:2181");
        }
        for (String server : ensemble.split(",")) {
            int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--zookeeper: port " + port + " of '" + server + "' is not allowed: 1-65535");
            }
        }
        try {
            ZkRoot.check(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--zk-root: " + e.getMessage(), e);
        }
        if (System.getenv(ZooKeeperClients.AUTH_ENV) != null) {
            ZooKeeperClients.checkCredentials(System.getenv(ZooKeeperClients.AUTH_ENV));
        }
        if (sessionSeconds < 2 || sessionSeconds > 600) {
            throw new IllegalArgumentException("--zk-session: " + sessionSeconds + " is not allowed: 2-600 seconds");
        }
        if (s.stopOnExit) {
            throw new IllegalArgumentException("--stop-on-exit is not allowed with --zookeeper: when one controller stops, "
                    + "another takes over the running instances");
        }
        if (api.port == 0) {
            throw new IllegalArgumentException("--api-port 0 is not allowed with --zookeeper: the controllers name each other "
                    + "by their API address, so give a fixed port");
        }
        try {
            if (InetAddress.getByName(api.bind).isAnyLocalAddress()) {
                throw new IllegalArgumentException("--api-bind " + api.bind + " is not allowed with --zookeeper: the other "
                        + "controllers forward to this one at its API address, so give one they reach (such as 10.0.0.5)");
            }
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--api-bind: '" + api.bind + "' is not an address of this machine", e);
        }
    }

    /** Serves as one of the controllers until stopped (SIGTERM, Ctrl-C): a leader leaves its instances running. */
    int run(Serve s, ServeApi api, Path state, Preflight.Checked checked, Optional<Tokens> tokens) throws InterruptedException {
        String id = api.url();
        Optional<String> credentials = Optional.ofNullable(System.getenv(ZooKeeperClients.AUTH_ENV));
        CuratorFramework zk = ZooKeeperClients.start(ensemble, java.time.Duration.ofSeconds(sessionSeconds), credentials);
        System.out.println(credentials.isPresent() ? "Serve: ZooKeeper nodes under " + root + " are readable and writable with "
                + ZooKeeperClients.AUTH_ENV + "'s credentials only" : "Serve: ZooKeeper nodes under " + root + " are open to "
                + "anyone who reaches the ensemble (set " + ZooKeeperClients.AUTH_ENV + "=USER:PASSWORD on every controller "
                + "to close them)");
        EventPrinter printer = new EventPrinter(System.out);
        HaApi[] haApi = new HaApi[1];
        HaController[] self = new HaController[1];
        HaController controller = HaController.builder().client(zk).root(root).id(id)
                .platform(store -> build(s, state, checked, store, printer))
                .onLead(p -> lead(s, checked, self[0].leadership(), zk, haApi[0], p, printer))
                .onStepDown(p -> stepDown(haApi[0]))
                .build();
        self[0] = controller;
        if (tokens.isPresent()) {
            haApi[0] = new HaApi(api.bind, api.port, controller.leadership(), b -> {
                Lead l = lead;
                api.configure(b, tokens.get());
                return l == null ? b : b.hooks(l.hooks()).eventIndex(l.eventIndex());
            });
            haApi[0].start();
            api.say(id, tokens.get());
        } else {
            System.out.println("Serve: no control API (give --tokens FILE or set " + ServeApi.BERTH_TOKEN + "); "
                    + "this controller's id is still " + id);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.stopChanges();
            controller.close(); // a leader closes its platform first: instances and the router keep running
            if (haApi[0] != null) {
                haApi[0].close();
            }
            zk.close();
            System.out.println("Serve: left the controllers under " + root + "; the instances keep running");
        }, "serve-shutdown"));
        try {
            controller.start();
        } catch (Exception e) {
            System.err.println("Serve: cannot join the controllers under " + root + " on ZooKeeper " + ensemble + ": " + e);
            return 1;
        }
        System.out.println("Serve: one of the controllers under " + root + " on ZooKeeper " + ensemble + " (this one: " + id
                + ", session " + sessionSeconds + " s); the platform runs here while this controller leads");
        new CountDownLatch(1).await();
        return 0;
    }

    /** The leader's platform on {@code store}: the backend and router of Serve's flags, adopting what runs. */
    private static Platform build(Serve s, Path state, Preflight.Checked checked, StateStore store, EventPrinter printer) {
        Backend backend = null;
        Router proxy = null;
        try {
            backend = s.backend(state, checked);
            proxy = ServeRouters.build(s, state, checked.router());
            return s.platformBuilder(state, checked, backend, proxy).stateStore(store).listener(printer).build();
        } catch (RuntimeException e) {
            ServeRouters.giveUp(proxy, backend);
            throw e;
        }
    }

    /** This controller leads: the hook modules on ZooKeeper, the API over the platform, the manifests applied and watched. */
    private void lead(Serve s, Preflight.Checked checked, Leadership leadership, CuratorFramework zk, HaApi api, Platform p,
            EventPrinter printer) {
        long epoch = leadership.epoch();
        printer.showOutputWith(exited -> Serve.lastLines(p, exited.app(), exited.instance()));
        Hooks hooks = ServeHooks.start(p, new ZooKeeperHookState(zk, root, leadership, epoch));
        ZooKeeperEventIndex events = new ZooKeeperEventIndex(zk, root, leadership, epoch);
        lead = new Lead(hooks, events, null);
        if (api != null) {
            api.leading(p);
        }
        System.out.println("Serve: this controller leads (epoch " + epoch + "): the platform runs here");
        s.sayGit(p, checked);
        // the folder as the last leader applied it is not applied again: a scale through the API, say, stays
        ZooKeeperValue applied = new ZooKeeperValue(zk, root, "serve-manifests", leadership, epoch);
        String digest = digest(s.manifests);
        boolean changed = !applied.read().orElse("").equals(digest);
        if (!changed) {
            System.out.println("Serve: " + s.manifests + " is as the last leader applied it: the apps are left as they run");
        }
        ManifestWatch watch = null;
        try {
            watch = s.deployAndWatch(p, specs(s, checked), changed, () -> {
                try {
                    applied.write(digest(s.manifests));
                } catch (RuntimeException e) { // deposed meanwhile: the next leader applies the folder again
                    System.out.println("Serve: could not note the manifests as applied: " + e.getMessage());
                }
            });
        } catch (RuntimeException e) { // the apps run as the last leader left them; the API still answers
            System.out.println("Serve: the manifests in " + s.manifests + " could not be applied: " + e.getMessage());
        }
        lead = new Lead(hooks, events, watch);
    }

    /** SHA-256 of the folder's manifest files (names and contents, in name order): whether it changed since applied. */
    static String digest(Path dir) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            for (Path f : files.filter(f -> ManifestWatch.isManifest(f.getFileName().toString())).sorted().toList()) {
                sha.update((f.getFileName() + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(java.nio.file.Files.readAllBytes(f));
                sha.update((byte) 0);
            }
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (java.io.IOException e) {
            return "unreadable: " + e.getMessage(); // never equal to a digest: the folder is applied (and refused) as it is
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The manifests as the folder holds them now (a follower may have watched it change), else as checked at the start. */
    private static List<AppSpec> specs(Serve s, Preflight.Checked checked) {
        try {
            return Manifests.load(s.manifests, s.cluster);
        } catch (RuntimeException e) {
            System.out.println("Serve: cannot read " + s.manifests + " (" + e.getMessage() + "): applying the manifests as "
                    + "they were when this controller started");
            return checked.specs();
        }
    }

    private void stepDown(HaApi api) {
        Lead l = lead;
        lead = null;
        if (l != null) {
            if (l.watch() != null) {
                l.watch().close();
            }
            l.hooks().close(); // its last save may be fenced already: the next leader's sync makes up for it
        }
        if (api != null) {
            api.following();
        }
        System.out.println("Serve: this controller no longer leads: its platform is closed (the instances keep running)");
    }
}
