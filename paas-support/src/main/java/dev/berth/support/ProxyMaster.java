// The master process of a proxy that a router owns: started or adopted, stopped with its workers, or left running.
package dev.berth.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master process of an owned proxy (nginx, haproxy): the one a router started, or the one an
 * earlier router on the same prefix left running and this one adopted. {@link #stop()} ends it
 * with SIGTERM (SIGKILL after {@value #GRACE_SECONDS} s) and waits for its workers;
 * {@link #detach(Path)} forgets it and leaves it running. Not thread-safe: the owning router's lock
 * guards every call.
 */
public final class ProxyMaster {
    /** Seconds a master (and then each worker) is given to exit before it is killed. */
    public static final int GRACE_SECONDS = 5;
    /** util-linux's setsid, which {@link #inNewSession} puts in front of a proxy's argv. */
    public static final String SETSID = "/usr/bin/setsid";
    private static final Logger LOG = LoggerFactory.getLogger(ProxyMaster.class);

    private final String proxy;
    private ProcessHandle handle;
    private boolean adopted;

    /** No master yet; {@code proxy} ("nginx", "haproxy") names it in log lines. */
    public ProxyMaster(String proxy) {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
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
     * @throws dev.berth.api.BerthException when {@value #SETSID} is missing
     */
    public static List<String> inNewSession(List<String> argv) {
        if (!Files.isExecutable(Path.of(SETSID))) {
            throw new dev.berth.api.BerthException(SETSID + " is missing: a router needs it to run its proxy in a "
                    + "session of its own; install Debian's util-linux package");
        }
        List<String> all = new ArrayList<>(argv.size() + 1);
        all.add(SETSID);
        all.addAll(argv);
        return List.copyOf(all);
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
}
