// The proxy process a router owns (nginx, haproxy): started or adopted, its ports checked, its generations awaited, revived when it died, stopped or left running.
package dev.berth.support;

import dev.berth.api.BerthException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process of an owned proxy (nginx, haproxy) that listens on {@code listenAddress} at an HTTP
 * and an HTTPS port: the master a router started, or the one an earlier router on the same prefix
 * left running and this one adopted. {@link #stop()} ends it with SIGTERM (SIGKILL after
 * {@value #GRACE_SECONDS} s) and waits for its workers; {@link #detach(Path)} forgets it and leaves
 * it running; {@link #reviveIfExited} starts a master that died again after retiring the workers it
 * left on the ports. It also names the configuration generations ({@link #nextGeneration()}) and
 * waits until the proxy serves one ({@link #awaitGeneration}), which every rendered configuration
 * answers at {@link #PROBE_PATH}. Not thread-safe: the owning router's lock guards every call.
 */
public final class ProxyProcess {
    /** Seconds a master (and then each worker) is given to exit before it is killed. */
    public static final int GRACE_SECONDS = 5;
    /** util-linux's setsid, which {@link #inNewSession} puts in front of a proxy's argv. */
    public static final String SETSID = "/usr/bin/setsid";
    /** The path at which a rendered configuration answers its generation (HTTP 200, the generation as body). */
    public static final String PROBE_PATH = "/.berth/generation";
    /** The Host the generation probe sends: no route's domain. */
    public static final String PROBE_HOST = "berth-probe.invalid";
    /** How long an apply waits at most for the older generation's processes to finish what they hold. */
    public static final Duration DRAIN_WAIT = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(ProxyProcess.class);

    private final String proxy;
    private final String listenAddress;
    private final int httpPort;
    private final int httpsPort;
    private final Duration timeout;
    private final String nonce = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    private long generation;
    private ProcessHandle handle;
    private boolean adopted;
    /** The pid of an owned master that died and was not started again yet; -1 for none. */
    private long diedMaster = -1;

    /**
     * No master yet. {@code proxy} ("nginx", "haproxy") names it in messages and is its executable's
     * name; {@code timeout} bounds the wait for a generation and for orphaned workers to let go.
     */
    public ProxyProcess(String proxy, String listenAddress, int httpPort, int httpsPort, Duration timeout) {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
        this.listenAddress = Objects.requireNonNull(listenAddress, "listenAddress");
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The live process that {@code pidFile} names, if the file holds a pid and that process runs. */
    public static Optional<ProcessHandle> fromPidFile(Path pidFile) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // no pid file: nothing to adopt
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    }

    /**
     * {@code argv} run through {@code setsid} (util-linux), which makes the proxy the leader of a
     * session and process group of its own: a Ctrl-C in the terminal of the host application
     * (SIGINT to its whole foreground process group) must not reach the proxy, which serves on
     * when that application exits. setsid execs in place (same pid) as a JVM's child is no group leader.
     *
     * @throws BerthException when {@value #SETSID} is missing
     */
    public static List<String> inNewSession(List<String> argv) {
        if (!Files.isExecutable(Path.of(SETSID))) {
            throw new BerthException(SETSID + " is missing: a router needs it to run its proxy in a "
                    + "session of its own; install Debian's util-linux package");
        }
        List<String> all = new ArrayList<>(argv.size() + 1);
        all.add(SETSID);
        all.addAll(argv);
        return List.copyOf(all);
    }

    /** {@code preferred} when it is executable, else the first executable {@code name} on this JVM's PATH. */
    public static Optional<Path> locate(Path preferred, String name) {
        if (Files.isExecutable(preferred)) {
            return Optional.of(preferred);
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = dir.isEmpty() ? null : Path.of(dir, name);
                if (candidate != null && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** A new generation's name: this router's random nonce and a counter, e.g. {@code 3fa2c1d0-7}. */
    public String nextGeneration() {
        return nonce + "-" + (++generation);
    }

    /** How long a generation is awaited, and a worker that should let go of the ports. */
    public Duration timeout() {
        return timeout;
    }

    /** {@code ADDR:PORT} of the HTTP listener, an IPv6 address in brackets. */
    public String listen() {
        return (listenAddress.indexOf(':') >= 0 ? "[" + listenAddress + "]" : listenAddress) + ":" + httpPort;
    }

    /**
     * Starts {@code argv} (see {@link #inNewSession}) as the owned master, with only the
     * {@link ProxyEnvironment} and stdin from {@code /dev/null}; {@code redirects} sets its output.
     *
     * @throws BerthException when it cannot be started
     */
    public void start(List<String> argv, UnaryOperator<ProcessBuilder> redirects) {
        try {
            // only PATH and the locale: none of this JVM's secrets reach the proxy or its workers
            ProcessBuilder pb = ProxyEnvironment.restrict(new ProcessBuilder(argv))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            started(redirects.apply(pb).start().toHandle());
        } catch (IOException e) {
            throw new BerthException(proxy + " router: cannot start " + argv + ": " + e.getMessage(), e);
        }
    }

    /** Takes {@code master}, just started by the router, as the owned master. */
    public void started(ProcessHandle master) {
        this.handle = Objects.requireNonNull(master, "master");
    }

    /** Takes {@code master}, left running by an earlier router, as the owned master. */
    public void adopt(ProcessHandle master) {
        this.handle = Objects.requireNonNull(master, "master");
        this.adopted = true;
    }

    /** Whether the master was adopted rather than started. */
    public boolean adopted() {
        return adopted;
    }

    /** Whether there is an owned master (running or not). */
    public boolean owned() {
        return handle != null;
    }

    /** The owned master's pid; only when {@link #owned()}. */
    public long pid() {
        return handle.pid();
    }

    /** The owned master's pid while it runs, else empty. */
    public OptionalLong livePid() {
        return handle != null && handle.isAlive() ? OptionalLong.of(handle.pid()) : OptionalLong.empty();
    }

    /** Whether there is an owned master and it has exited. */
    public boolean exited() {
        return handle != null && !handle.isAlive();
    }

    /** Forgets the owned master without stopping it, saying so with {@code prefix}; a no-op when none is owned. */
    public void detach(Path prefix) {
        if (handle != null) {
            LOG.info("{} router: leaving {} {} running (prefix {})", proxy, proxy, handle.pid(), prefix);
        }
        handle = null;
    }

    /** Forgets the owned master (after {@link #stop()}, say). */
    public void forget() {
        handle = null;
    }

    /**
     * Stops the owned master and waits for it and the workers it had: SIGTERM, which makes the
     * proxies stop their workers and exit; SIGKILL after {@value #GRACE_SECONDS} s; a worker that
     * outlives it by more than that is killed. Keeps the handle (see {@link #forget()}).
     */
    public void stop() {
        ProcessHandle p = handle;
        if (p == null) {
            return;
        }
        List<ProcessHandle> workers = new ArrayList<>(p.descendants().toList());
        p.destroy(); // SIGTERM: the master stops its workers and exits
        try {
            try {
                p.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                LOG.warn("{} router: {} {} ignored SIGTERM for {} s; killing it", proxy, proxy, p.pid(), GRACE_SECONDS);
                p.destroyForcibly();
                p.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
            }
            for (ProcessHandle w : workers) {
                if (w.isAlive()) {
                    w.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            workers.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * Stops the owned master as {@link #stop()} does, and when it had died already, the workers it
     * left on the ports; says so with {@code prefix}. Returns whether there was an owned master.
     */
    public boolean stopOwned(Path prefix) {
        if (handle == null) {
            return false;
        }
        boolean died = exited();
        stop();
        if (died) {
            retireOrphans();
        }
        LOG.info("{} router: stopped {} (prefix {})", proxy, proxy, prefix);
        return true;
    }

    /**
     * When the owned master has exited (killed, crashed): stops the proxy processes it left holding
     * the ports, has {@code relaunch} start it again (it returns the generation then served) and
     * says so. A relaunch that fails is tried again at the next call. A no-op while the master runs.
     */
    public void reviveIfExited(Supplier<String> relaunch) {
        if (!exited() && diedMaster < 0) {
            return;
        }
        if (exited()) {
            diedMaster = pid();
            forget();
        }
        long dead = diedMaster; // until a start succeeds: a failed one is tried again at the next check
        retireOrphans();
        String gen = relaunch.get();
        LOG.warn("{} router: {} (pid {}) was not running; started it again: {} {} serves {} with the last good "
                + "configuration (generation {})", proxy, proxy, dead, proxy, pid(), listen(), gen);
        diedMaster = -1;
    }

    /**
     * Runs {@code action} (a reload, say); when it fails because the master died under it, runs
     * {@code revive} (which starts the master again with the last good configuration) and then
     * {@code action} once more. Returns what {@code action} returned.
     */
    public <T> T retryIfDied(Supplier<T> action, Runnable revive) {
        try {
            return action.get();
        } catch (BerthException e) {
            if (!exited()) {
                throw e;
            }
            revive.run();
            return action.get();
        }
    }

    /** Stops the proxy processes still listening on the HTTP or HTTPS port without a master. */
    public void retireOrphans() {
        try {
            ListeningSockets.retireOrphans(proxy, InetAddress.getByName(listenAddress), Set.of(httpPort, httpsPort),
                    timeout);
        } catch (IOException e) {
            LOG.warn("{} router: cannot resolve {}: {}", proxy, listenAddress, e.getMessage());
        }
    }

    /** The listening sockets of the HTTP and HTTPS ports, by inode (see {@link ListeningSockets}). */
    public Set<String> listenerInodes() {
        try {
            return ListeningSockets.inodes(InetAddress.getByName(listenAddress), Set.of(httpPort, httpsPort));
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** Fails, naming the port and its {@code option}, when {@code port} cannot be bound; binds nothing. */
    public void checkPortFree(int port, String option) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(listenAddress), port));
        } catch (IOException e) {
            throw new BerthException(proxy + " router: port " + port + " on " + listenAddress
                    + " is already in use (" + e.getMessage() + "); choose a free port with " + option + "(...)", e);
        }
    }

    /**
     * Waits until the proxy answers the probe with {@code gen}: the new configuration is live.
     * {@code check} runs before each probe and throws to give up early (the master exited, the
     * proxy logged that it refused the configuration); probes are {@code pollMillis} apart.
     *
     * @throws BerthException when {@code gen} is not served within the timeout
     */
    public void awaitGeneration(String gen, Runnable check, long pollMillis) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            check.run();
            try {
                String body = probe();
                if (body.strip().equals(gen)) {
                    return;
                }
                last = "generation " + body.strip();
            } catch (IOException e) {
                last = e.toString();
            }
            pause(pollMillis);
        }
        throw new BerthException(proxy + " did not serve generation " + gen + " on " + listen() + " within "
                + timeout + " (last: " + last + ")");
    }

    /**
     * Waits until the processes of the older generations, which accept nothing more, have exited:
     * until then they may still send a request they hold to an endpoint that the new table lacks,
     * and the platform stops a drained instance once an apply returns. Seen under CPU contention: an
     * old nginx worker sent its accepted requests to instances 300 ms after it stopped accepting, as
     * they were stopped, and with no other endpoint in its table they answered 502. A proxy exits an
     * old process once its requests are done (idle keep-alive connections are closed), so this is
     * quick; a WebSocket or a long download can hold one longer: after {@link #DRAIN_WAIT} this
     * says so (WARN) and returns false.
     */
    public boolean awaitFinished(Collection<ProcessHandle> old) {
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        for (ProcessHandle h : old) {
            while (h.isAlive()) {
                if (System.nanoTime() > deadline) {
                    LOG.warn("{}: an old process ({}) still holds requests after {} ms (a WebSocket or a long "
                            + "request?); instances drained by this table may stop under them", proxy, h.pid(),
                            DRAIN_WAIT.toMillis());
                    return false;
                }
                pause(2);
            }
        }
        return true;
    }

    /** Sleeps {@code millis}; an interrupt becomes a {@link BerthException} (the interrupt flag is kept). */
    public void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted while waiting for " + proxy, e);
        }
    }

    /** The generation the proxy answers at {@link #PROBE_PATH}, or the status line when it is no 200. */
    private String probe() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(listenAddress), httpPort), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + PROBE_PATH + " HTTP/1.0\r\nHost: " + PROBE_HOST + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int body = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 200") || body < 0) {
                return response.lines().findFirst().orElse("empty answer");
            }
            return response.substring(body + 4);
        }
    }
}
