// The nginx the router drives: the owned one started, adopted or revived; any one validated, reloaded and waited for until the old workers retired.
package dev.berth.router.nginx;

import dev.berth.api.BerthException;
import dev.berth.api.RoutingTable;
import dev.berth.support.ConfigSwap;
import dev.berth.support.ProxyCommands;
import dev.berth.support.ProxyLogs;
import dev.berth.support.ProxyProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nginx behind an {@link NginxRouter}. Owned: started on an empty table (or adopted from an
 * earlier router on the same prefix), started again with the last good configuration when it died.
 * Owned or external: {@link #test} is the {@code nginx -t} that validates every configuration, and
 * {@link #reload} makes nginx load the installed file and waits until the new generation answers
 * and the previous workers accept no more. Not thread-safe: the router's lock guards every call.
 */
final class NginxProcess {
    private static final Logger LOG = LoggerFactory.getLogger(NginxProcess.class);
    private static final Path DEBIAN_NGINX = Path.of("/usr/sbin/nginx");
    /** kill(1) (Debian: procps), to signal the owned master. */
    private static final List<Path> KILL = List.of(Path.of("/bin/kill"), Path.of("/usr/bin/kill"));
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** nginx's words for a port it could not bind (and retries): "bind() to 127.0.0.1:8443 failed (98: ...)". */
    private static final Pattern BIND_FAILED = Pattern.compile("bind\\(\\) to \\S*:(\\d+) failed");
    /** ... or could bind but not listen on: "listen() to 127.0.0.1:8443, backlog 511 failed (98: ...)". */
    private static final Pattern PORT_FAILED = Pattern.compile("(?:bind|listen)\\(\\) to \\S*:(\\d+)");

    private final NginxConfig.Settings settings;
    private final Path binary;
    private final Path configFile;
    private final List<String> reloadCommand; // empty when owned
    private final ProxyProcess process;
    private final ConfigSwap swap;

    /** Drives the nginx of {@code configFile}; reads the text it holds as the last good one. */
    NginxProcess(NginxConfig.Settings settings, Path binary, Path configFile, List<String> reloadCommand,
            ProxyProcess process) throws IOException {
        this.settings = settings;
        this.binary = binary;
        this.configFile = configFile;
        this.reloadCommand = reloadCommand;
        this.process = process;
        this.swap = new ConfigSwap("nginx", configFile, this::test);
    }

    /** The swap of the config file, which {@link #test} validates. */
    ConfigSwap swap() {
        return swap;
    }

    /** Starts the owned nginx serving an empty table, or adopts the one an earlier router left running. */
    void start() {
        if (adopt()) {
            return;
        }
        process.checkPortFree(settings.httpPort(), "httpPort");
        String gen = process.nextGeneration();
        String text = NginxConfig.render(RoutingTable.empty(), settings, gen);
        swap.install(text);
        launch(gen);
        swap.accepted(text);
        LOG.info("nginx router: nginx {} serving {} with prefix {}", process.pid(), settings.listen(),
                settings.prefix());
    }

    /**
     * When the owned nginx has exited (killed, crashed): stops the workers it left holding the
     * ports, starts nginx again with the last good configuration and says so.
     */
    void reviveIfExited() {
        process.reviveIfExited(() -> {
            String good = swap.lastGood();
            String gen = good == null ? null : NginxConfig.generationOf(good);
            if (gen == null) { // not a file of this router's: serve an empty table until the next apply
                gen = process.nextGeneration();
                String text = NginxConfig.render(RoutingTable.empty(), settings, gen);
                swap.install(text);
                swap.accepted(text);
            } else {
                swap.restore(); // the file holds the last good configuration
            }
            launch(gen);
            return gen;
        });
    }

    /** Starts the nginx master on the installed config file and waits until it serves {@code gen}. */
    private void launch(String gen) {
        Path out = settings.errorLog().resolveSibling("nginx.out");
        // in a session of its own: a Ctrl-C in the terminal of this JVM does not reach nginx
        List<String> argv = ProxyProcess.inNewSession(List.of(binary.toString(), "-c", configFile.toString(), "-p",
                settings.prefix() + "/", "-e", settings.errorLog().toString(), "-g", "daemon off;"));
        process.start(argv, pb -> pb.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())));
        try {
            awaitGeneration(gen, -1);
        } catch (BerthException e) {
            String said = ProxyLogs.tail(out) + "\n" + ProxyLogs.tail(settings.errorLog());
            process.stop();
            process.forget();
            if (said.contains("Address already in use")) {
                throw new BerthException("nginx router: port " + settings.httpPort() + " on "
                        + settings.listenAddress() + " is already in use; choose a free port with httpPort(...): "
                        + said.strip(), e);
            }
            throw new BerthException("nginx router: nginx did not start (prefix " + settings.prefix() + "): "
                    + said.strip(), e);
        }
    }

    /**
     * Keeps serving with the nginx that an earlier router with this prefix started and left
     * running (its JVM was killed, say): the pid file names a live nginx master whose command line
     * holds this router's config file. Its configuration is the last good one; the next apply
     * reloads it as usual, and the router's close stops it.
     */
    private boolean adopt() {
        ProcessHandle h = ProxyProcess.fromPidFile(settings.pidFile()).orElse(null); // none: nothing to adopt
        String title = h == null ? "" : title(h);
        if (!title.startsWith("nginx: master process") || !title.contains(" -c " + configFile + " ")) {
            return false; // a stale pid file, or the pid is someone else's now
        }
        process.adopt(h);
        LOG.info("nginx router: adopted nginx {} already serving {} with prefix {}", h.pid(), settings.listen(),
                settings.prefix());
        return true;
    }

    /** Whether the configuration nginx runs listens on the HTTPS port. */
    boolean listensHttps() {
        String text = swap.lastGood();
        return text != null && text.contains("listen " + settings.listenHttps() + " ssl");
    }

    /** {@code nginx -t} on {@code file}; throws with nginx's message when it is rejected. */
    void test(Path file) {
        ProxyCommands.Result r = ProxyCommands.run(List.of(binary.toString(), "-t", "-q", "-c", file.toString(), "-p",
                settings.prefix() + "/", "-e", settings.errorLog().toString()), settings.temp(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new BerthException("nginx router: nginx -t rejected the new configuration; the previous one "
                    + "keeps serving: " + r.output());
        }
    }

    /**
     * Reloads the installed file and waits until nginx serves {@code gen} and the workers of the
     * previous generations accept no more and have finished their requests ({@link
     * ProxyProcess#awaitFinished}); returns when (nanoTime) the new generation answered.
     */
    long reload(String gen) {
        if (process.exited()) {
            throw new BerthException("nginx router: the owned nginx (pid " + process.pid() + ") has exited: "
                    + ProxyLogs.tail(settings.errorLog()));
        }
        List<String> argv = reloadCommand.isEmpty() ? ownedReload() : reloadCommand;
        List<ProcessHandle> oldWorkers = workers();
        long errorLogOffset = ProxyLogs.size(settings.errorLog());
        ProxyCommands.Result r = ProxyCommands.run(argv, settings.temp(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new BerthException("nginx router: reload " + argv + " failed (exit " + r.exitCode()
                    + "); the previous configuration keeps serving: " + r.output());
        }
        try {
            awaitGeneration(gen, errorLogOffset);
            long answered = System.nanoTime();
            awaitRetired(oldWorkers);
            process.awaitFinished(oldWorkers);
            return answered;
        } catch (Refused e) {
            throw e;
        } catch (BerthException e) {
            throw new BerthException("nginx router: nginx did not load the new configuration; the previous one "
                    + "keeps serving: " + e.getMessage() + "; error log: " + ProxyLogs.tail(settings.errorLog()), e);
        }
    }

    /**
     * SIGHUP to the owned master: what {@code nginx -s reload} sends too, but that first parses the
     * whole configuration to find the pid file (about 60 ms for 1,000 apps). Without kill(1),
     * {@code nginx -s reload} it is.
     */
    private List<String> ownedReload() {
        for (Path kill : KILL) {
            if (Files.isExecutable(kill)) {
                return List.of(kill.toString(), "-HUP", Long.toString(process.pid()));
            }
        }
        return List.of(binary.toString(), "-s", "reload", "-c", configFile.toString(), "-p", settings.prefix() + "/",
                "-e", settings.errorLog().toString());
    }

    /**
     * Waits until nginx answers the probe with {@code gen}: the new configuration is live. With an
     * {@code errorLogOffset} (not -1), also watches what the master logs from there, so that a reload
     * it refused (a port it cannot bind, say) fails at once with nginx's words, not after the timeout.
     */
    private void awaitGeneration(String gen, long errorLogOffset) {
        process.awaitGeneration(gen, () -> {
            if (process.exited()) {
                throw new BerthException("nginx (pid " + process.pid() + ") has exited");
            }
            if (errorLogOffset >= 0) {
                String refused = reloadRefused(ProxyLogs.since(settings.errorLog(), errorLogOffset), settings);
                if (refused != null) {
                    throw new Refused("nginx router: nginx refused the new configuration; the previous one keeps "
                            + "serving: " + refused);
                }
            }
        }, 5);
    }

    /** A reload that nginx's master refused and said why; the message is complete as it is. */
    private static final class Refused extends BerthException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /**
     * What the master logged when it gave up loading a new configuration, or {@code null} while it
     * has not (yet): {@code [emerg]} lines, except a "bind() ... failed" that nginx still retries
     * (it tries five times, then logs "still could not bind()"). A port it cannot bind or listen on
     * is named with its option.
     */
    static String reloadRefused(String logged, NginxConfig.Settings s) {
        // "2026/11/22 01:56:58 [emerg] 16655#16655: bind() to ..." -> "bind() to ..."
        List<String> emerg = logged.lines().filter(l -> l.contains("[emerg]"))
                .map(l -> l.replaceFirst(".*\\[emerg\\] [0-9]+#[0-9]+: ", "")).distinct().toList();
        if (emerg.stream().allMatch(l -> BIND_FAILED.matcher(l).find())) {
            return null; // nothing yet, or a bind that nginx still retries
        }
        String said = String.join("; ", emerg);
        Matcher m = PORT_FAILED.matcher(said);
        if (m.find()) {
            String port = m.group(1);
            String option = port.equals(Integer.toString(s.httpsPort())) ? "httpsPort"
                    : port.equals(Integer.toString(s.httpPort())) ? "httpPort" : null;
            return "cannot listen on port " + port + " of " + s.listenAddress()
                    + (option == null ? "" : " (" + option + ")") + ": " + said;
        }
        return said;
    }

    /** The worker processes of the master (the owned one, or the one the pid file names). */
    private List<ProcessHandle> workers() {
        Long pid = null;
        if (process.owned()) {
            pid = process.pid();
        } else {
            try {
                pid = Long.parseLong(Files.readString(settings.pidFile()).strip());
            } catch (IOException | NumberFormatException e) {
                LOG.debug("nginx router: no master pid in {}: {}", settings.pidFile(), e.toString());
            }
        }
        return pid == null ? List.of()
                : ProcessHandle.of(pid).map(h -> h.children().toList()).orElse(List.of());
    }

    /**
     * Waits until the workers of the previous generation stopped accepting: nginx retitles a worker
     * "worker process is shutting down" in the same step in which it closes its listening sockets.
     * Until then an old worker may still answer new connections with the old configuration.
     */
    private void awaitRetired(List<ProcessHandle> oldWorkers) {
        long deadline = System.nanoTime() + process.timeout().toNanos();
        for (ProcessHandle w : oldWorkers) {
            while (w.isAlive() && !title(w).contains("shutting down")) {
                if (process.exited()) {
                    throw new BerthException("nginx (pid " + process.pid() + ") exited before its old workers retired");
                }
                if (System.nanoTime() > deadline) {
                    throw new BerthException("old nginx worker " + w.pid() + " still accepts after " + process.timeout());
                }
                process.pause(2);
            }
        }
    }

    private static String title(ProcessHandle h) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                    StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "shutting down"; // gone
        }
    }

    /** {@code configured} when it is executable, else {@code /usr/sbin/nginx}, else nginx on the PATH. */
    static Path findNginx(Path configured) {
        if (configured != null) {
            if (Files.isExecutable(configured)) {
                return configured;
            }
            throw new BerthException("nginx router: nginxBinary " + configured + " is not an executable file");
        }
        return ProxyProcess.locate(DEBIAN_NGINX, "nginx").orElseThrow(() -> new BerthException("nginx router: nginx "
                + "not found at " + DEBIAN_NGINX + " nor on the PATH; install it (Debian/Ubuntu: apt-get install "
                + "nginx) or set nginxBinary(...)"));
    }
}
