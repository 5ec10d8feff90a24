// The haproxy the router drives: the owned one started, adopted or revived in master-worker mode; any one validated, reloaded and waited for until the old worker let go of the ports.
package dev.berth.router.haproxy;

import dev.berth.api.BerthException;
import dev.berth.support.ConfigSwap;
import dev.berth.support.ProxyCommands;
import dev.berth.support.ProxyLogs;
import dev.berth.support.ProxyProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The haproxy behind an {@link HaproxyRouter}. Owned: started in master-worker mode on an empty
 * table (or adopted from an earlier router on the same prefix), started again with the last good
 * configuration when it died. Owned or external: {@link #test} is the {@code haproxy -c} that
 * validates every configuration, and {@link #reload} makes haproxy load the installed file (through
 * the master CLI, or the external reload command) and waits until the new generation answers and
 * the previous worker let go of the listening sockets. Not thread-safe: the router's lock guards
 * every call.
 */
final class HaproxyProcess {
    private static final Logger LOG = LoggerFactory.getLogger(HaproxyProcess.class);
    private static final Path DEBIAN_HAPROXY = Path.of("/usr/sbin/haproxy");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern VERSION = Pattern.compile("(?i)HA-?Proxy version (\\d+)\\.(\\d+)");
    private static final Pattern IN_USE = Pattern.compile("Address already in use\\) for \\[([^\\]]*):(\\d+)\\]");

    private final HaproxyConfig.Settings settings;
    private final Path binary;
    private final Path configFile;
    private final List<String> reloadCommand; // empty when owned
    private final ProxyProcess process;
    private final Generations generations;
    private final ConfigSwap swap;

    /** Drives the haproxy of {@code configFile}; reads the text it holds as the last good one. */
    HaproxyProcess(HaproxyConfig.Settings settings, Path binary, Path configFile, List<String> reloadCommand,
            ProxyProcess process, Generations generations) throws IOException {
        this.settings = settings;
        this.binary = binary;
        this.configFile = configFile;
        this.reloadCommand = reloadCommand;
        this.process = process;
        this.generations = generations;
        this.swap = new ConfigSwap("haproxy", configFile, this::test);
    }

    /** The swap of the config file, which {@link #test} validates. */
    ConfigSwap swap() {
        return swap;
    }

    /** Starts the owned haproxy serving an empty table, or adopts the one an earlier router left running. */
    void start() {
        if (adopt()) {
            return;
        }
        process.checkPortFree(settings.httpPort(), "httpPort");
        String gen = launchEmpty();
        generations.deleteAllBut(gen);
        LOG.info("haproxy router: haproxy {} serving {} with prefix {}", process.pid(), settings.listen(),
                settings.prefix());
    }

    /**
     * When the owned haproxy has exited (killed, crashed): stops any haproxy process it left
     * holding the ports, starts haproxy again with the last good configuration (its generation's
     * files are kept) and says so.
     */
    void reviveIfExited() {
        process.reviveIfExited(() -> {
            String good = swap.lastGood();
            String gen = generations.current() != null ? generations.current()
                    : good == null ? null : HaproxyConfig.generationOf(good);
            if (gen == null || !generations.exists(gen)) {
                return launchEmpty(); // not a file of this router's: serve an empty table until the next apply
            }
            swap.restore(); // the file holds the last good configuration
            launch(gen);
            return gen;
        });
    }

    /** Writes a new generation with no route, installs it, starts haproxy on it; returns the generation. */
    private String launchEmpty() {
        Layout layout = Layout.empty();
        String gen = process.nextGeneration();
        HaproxyConfig.Files files = generations.files(gen);
        Generations.write(files, layout, Map.of());
        String text = HaproxyConfig.render(layout, settings, files, gen);
        swap.install(text);
        launch(gen);
        swap.accepted(text);
        generations.serving(gen, files, layout);
        return gen;
    }

    /** Starts the haproxy master on the installed config file and waits until it serves {@code gen}. */
    private void launch(String gen) {
        // in a session of its own: a Ctrl-C in the terminal of this JVM does not reach haproxy
        List<String> argv = ProxyProcess.inNewSession(List.of(binary.toString(), "-W", "-f", configFile.toString(),
                "-S", settings.masterSocket() + ",mode,600"));
        process.start(argv, pb -> pb.redirectOutput(ProcessBuilder.Redirect.appendTo(settings.accessLog().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(settings.haproxyLog().toFile())));
        try {
            awaitGeneration(gen, -1);
        } catch (BerthException e) {
            String said = ProxyLogs.tail(settings.haproxyLog());
            process.stop();
            process.forget();
            BerthException inUse = portInUse(said, e);
            if (inUse != null) {
                throw inUse;
            }
            throw new BerthException("haproxy router: haproxy did not start (prefix " + settings.prefix() + "): "
                    + e.getMessage() + ": " + said.strip(), e);
        }
    }

    /**
     * Keeps serving with the haproxy that an earlier router with this prefix started and left
     * running (its JVM was killed, say): the pid file names a live haproxy master whose command
     * line reads this router's config file. It keeps its access log and sockets; what it runs is
     * taken as unknown, so that the next apply reloads; the router's close stops it.
     */
    private boolean adopt() {
        ProcessHandle h = ProxyProcess.fromPidFile(settings.pidFile()).orElse(null); // none: nothing to adopt
        List<String> argv = h == null ? List.of() : commandLine(h);
        int f = argv.indexOf("-f");
        if (argv.isEmpty() || !argv.get(0).endsWith("haproxy") || f < 0 || f + 1 >= argv.size()
                || !argv.get(f + 1).equals(configFile.toString()) || !argv.contains("-W")) {
            return false; // a stale pid file, or the pid is someone else's now
        }
        process.adopt(h);
        generations.layout(null);
        LOG.info("haproxy router: adopted haproxy {} already serving {} with prefix {}", h.pid(), settings.listen(),
                settings.prefix());
        return true;
    }

    private static List<String> commandLine(ProcessHandle h) {
        try {
            String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                    StandardCharsets.UTF_8);
            return List.of(raw.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Whether the configuration haproxy runs listens on the HTTPS port. */
    boolean listensHttps() {
        String text = swap.lastGood();
        return text != null && text.contains("\n    bind " + settings.listenHttps() + " ssl ");
    }

    /** The clear error for haproxy's "Address already in use", or {@code null} when it did not say so. */
    private BerthException portInUse(String said, Exception cause) {
        Matcher m = IN_USE.matcher(said);
        if (!m.find()) {
            return null;
        }
        int port = Integer.parseInt(m.group(2));
        String option = port == settings.httpsPort() ? " with httpsPort(...)"
                : port == settings.httpPort() ? " with httpPort(...)" : "";
        return new BerthException("haproxy router: port " + port + " on " + m.group(1) + " is already in use; "
                + "choose a free port" + option + ": " + said.strip(), cause);
    }

    /** Validates {@code file} with haproxy -c; throws haproxy's alerts when it refuses it. */
    void test(Path file) {
        ProxyCommands.Result r = ProxyCommands.run(List.of(binary.toString(), "-c", "-f", file.toString()),
                settings.temp(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new BerthException("haproxy router: haproxy -c rejected the new configuration; the previous "
                    + "one keeps serving: " + problems(r.output()));
        }
        if (r.output().contains("[WARNING]")) {
            LOG.warn("haproxy router: haproxy -c warns: {}", problems(r.output()));
        }
    }

    /** haproxy's alerts and warnings, without its version notices. */
    private static String problems(String output) {
        String said = output.lines().filter(l -> l.contains("[ALERT]") || l.contains("[WARNING]"))
                .collect(Collectors.joining("\n"));
        return said.isEmpty() ? output.strip() : said;
    }

    /**
     * Writes a new generation of {@code layout}, renders it (through {@code renderHook}, for tests),
     * swaps it in and reloads; then it is the current one and the older generations are deleted.
     * Returns when (nanoTime) it was validated and when the new generation answered.
     */
    long[] reload(Layout layout, Map<String, PemBundles.Pem> certificates, UnaryOperator<String> renderHook) {
        if (layout.usesTls() && !listensHttps()) {
            process.checkPortFree(settings.httpsPort(), "httpsPort"); // the first TLS route opens the port
        }
        String gen = process.nextGeneration();
        HaproxyConfig.Files files = generations.files(gen);
        long[] steps = new long[2];
        try {
            Generations.write(files, layout, certificates);
            String text = renderHook.apply(HaproxyConfig.render(layout, settings, files, gen));
            steps[1] = swap.swap(text, () -> {
                steps[0] = System.nanoTime();
                return reloadProcess(gen);
            });
        } catch (BerthException e) {
            Generations.deleteTree(files.dir());
            throw e;
        }
        generations.serving(gen, files, layout);
        generations.deleteAllBut(gen);
        return steps;
    }

    /** Reloads haproxy and waits until it serves generation {@code gen}; returns when it answered it. */
    private long reloadProcess(String gen) {
        if (process.exited()) {
            throw new BerthException("haproxy router: the owned haproxy (pid " + process.pid() + ") has exited: "
                    + ProxyLogs.tail(settings.haproxyLog()));
        }
        // the workers that take connections now: the one behind the admin socket, and any haproxy
        // holding the listening sockets (an external haproxy may have run a file without the socket)
        Set<String> inodes = process.listenerInodes();
        Set<Long> oldWorkers = new HashSet<>(Listeners.holders(inodes));
        Cli.workerPid(settings.adminSocket(), RuntimeApi.TIMEOUT).ifPresent(oldWorkers::add);
        long logOffset = -1;
        if (reloadCommand.isEmpty()) {
            logOffset = ProxyLogs.size(settings.haproxyLog());
            try {
                // the master re-executes itself with the new file and passes the listeners on
                Cli.call(settings.masterSocket(), "reload", RuntimeApi.TIMEOUT);
            } catch (IOException e) {
                throw new BerthException("haproxy router: cannot ask the haproxy master to reload through "
                        + settings.masterSocket() + ": " + e.getMessage() + "; the previous configuration keeps "
                        + "serving", e);
            }
        } else {
            ProxyCommands.Result r = ProxyCommands.run(reloadCommand, settings.temp(), COMMAND_TIMEOUT);
            if (!r.ok()) {
                throw new BerthException("haproxy router: reload " + reloadCommand + " failed (exit " + r.exitCode()
                        + "); the previous configuration keeps serving: " + r.output());
            }
        }
        try {
            awaitGeneration(gen, logOffset);
            long answered = System.nanoTime();
            for (long oldWorker : oldWorkers) {
                awaitRetired(oldWorker, inodes.isEmpty() ? process.listenerInodes() : inodes);
            }
            process.awaitFinished(oldWorkers.stream().map(ProcessHandle::of).flatMap(Optional::stream).toList());
            return answered;
        } catch (BerthException e) {
            String said = logOffset >= 0 ? problems(ProxyLogs.since(settings.haproxyLog(), logOffset)) : "";
            BerthException inUse = portInUse(said, e);
            if (inUse != null) {
                throw new BerthException(inUse.getMessage() + "; the previous configuration keeps serving", e);
            }
            throw new BerthException("haproxy router: haproxy did not load the new configuration; the previous one "
                    + "keeps serving: " + e.getMessage() + (said.isEmpty() ? "" : ": " + said), e);
        }
    }

    /**
     * Waits until haproxy answers the probe with {@code gen}: the new configuration is live. With a
     * {@code logOffset}, fails as soon as haproxy's log reports a failed reload after it.
     */
    private void awaitGeneration(String gen, long logOffset) {
        process.awaitGeneration(gen, () -> {
            if (process.exited()) {
                throw new BerthException("haproxy (pid " + process.pid() + ") exited");
            }
            if (logOffset >= 0 && ProxyLogs.since(settings.haproxyLog(), logOffset).contains("Loading failure")) {
                throw new BerthException("the haproxy master could not load the new configuration");
            }
        }, 2);
    }

    /**
     * Waits until the previous worker let go of the listening sockets (it then accepts nothing more
     * and only finishes what it has); until then it could still answer a new connection with the
     * previous configuration.
     */
    private void awaitRetired(long oldWorker, Set<String> inodes) {
        long deadline = System.nanoTime() + process.timeout().toNanos();
        while (Listeners.holds(oldWorker, inodes)) {
            if (System.nanoTime() > deadline) {
                throw new BerthException("old haproxy worker " + oldWorker + " still listens after " + process.timeout());
            }
            process.pause(1);
        }
    }

    /** {@code configured}, else {@code /usr/sbin/haproxy}, else haproxy on the PATH; 2.2 or later. */
    static Path findHaproxy(Path configured) {
        Path found;
        if (configured != null) {
            if (!Files.isExecutable(configured) || Files.isDirectory(configured)) {
                throw new BerthException("haproxy router: haproxyBinary " + configured + " is not an executable file; "
                        + "install Debian's haproxy package (apt-get install haproxy) or point haproxyBinary(...) at "
                        + "haproxy");
            }
            found = configured;
        } else {
            found = ProxyProcess.locate(DEBIAN_HAPROXY, "haproxy").orElseThrow(() -> new BerthException(
                    "haproxy router: haproxy not found at " + DEBIAN_HAPROXY + " nor on the PATH; install Debian's "
                    + "haproxy package (apt-get install haproxy) or set haproxyBinary(...)"));
        }
        checkVersion(found);
        return found;
    }

    /** haproxy 2.2 or later: {@code http-request return} came with 2.2. */
    private static void checkVersion(Path binary) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        ProxyCommands.Result r = ProxyCommands.run(List.of(binary.toString(), "-v"), tmp, Duration.ofSeconds(10));
        Matcher m = VERSION.matcher(r.output());
        if (!r.ok() || !m.find()) {
            throw new BerthException("haproxy router: " + binary + " -v did not tell an haproxy version (exit "
                    + r.exitCode() + "): " + r.output() + "; install Debian's haproxy package (apt-get install haproxy)");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major < 2 || (major == 2 && minor < 2)) {
            throw new BerthException("haproxy router: " + binary + " is haproxy " + major + "." + minor
                    + "; 2.2 or later is needed (Debian 12's haproxy package has 2.6)");
        }
    }
}
