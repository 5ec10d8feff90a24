// Watches an owned proxy's master on one daemon thread and has the router start it again when it has exited.
package dev.berth.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread per router that runs {@code check} (the router's "is my proxy running, else
 * start it again") every {@code interval}, so that a killed proxy is noticed without waiting for
 * the next table. A failing check is logged (once per distinct message) and retried at the next
 * tick. Thread-safe; {@link #close()} stops the thread and waits up to a few seconds for a check
 * in progress.
 */
public final class ProxyWatch implements AutoCloseable {
    /** The shortest allowed interval: a check costs a /proc read. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(50);
    /** The longest allowed interval. */
    public static final Duration MAX_INTERVAL = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(ProxyWatch.class);

    private final ScheduledExecutorService thread;
    private final String proxy;
    private volatile String lastFailure = "";

    private ProxyWatch(String proxy, Duration interval, Runnable check) {
        this.proxy = proxy;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-" + proxy + "-watch");
            t.setDaemon(true);
            return t;
        });
        long every = interval.toMillis();
        thread.scheduleWithFixedDelay(() -> run(check), every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts watching: {@code check} runs every {@code interval} on a daemon thread named
     * {@code berth-<proxy>-watch}.
     *
     * @throws IllegalArgumentException when {@code interval} is outside {@link #MIN_INTERVAL}..{@link #MAX_INTERVAL}
     */
    public static ProxyWatch start(String proxy, Duration interval, Runnable check) {
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(check, "check");
        return new ProxyWatch(proxy, checkInterval("livenessInterval", interval), check);
    }

    /** {@code interval} when it lies within the allowed range, else an error naming {@code option}. */
    public static Duration checkInterval(String option, Duration interval) {
        if (interval == null || interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException(option + ": " + interval + " is not allowed; must be from "
                    + MIN_INTERVAL + " to " + MAX_INTERVAL);
        }
        return interval;
    }

    private void run(Runnable check) {
        try {
            check.run();
            lastFailure = "";
        } catch (RuntimeException e) {
            String said = String.valueOf(e.getMessage());
            if (!said.equals(lastFailure)) {
                LOG.error("{} router: {}; trying again", proxy, said);
                lastFailure = said;
            }
        }
    }

    /** Stops the thread; a check in progress may finish (up to 5 s are waited for it). Idempotent. */
    @Override
    public void close() {
        thread.shutdownNow();
        if (Thread.currentThread().getName().equals("berth-" + proxy + "-watch")) {
            return; // closed from a check: the thread ends after it
        }
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
