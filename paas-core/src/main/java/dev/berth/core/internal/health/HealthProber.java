// Probes instances (TCP connects, HTTP GETs) at their pace and hands each outcome to the control loop.
package dev.berth.core.internal.health;

import dev.berth.api.Endpoint;
import dev.berth.api.HealthCheck;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Probes instances and hands each outcome to a callback; it decides nothing (the control loop
 * counts failures and acts). Until an instance is first ready it is probed at a fast, gently
 * growing pace ({@link Ramp}); after that an explicit check goes on at its interval, while the
 * implicit readiness check ({@link HealthCheck.Type#NONE}: a TCP connect) stops.
 *
 * <p>Nothing blocks a probe thread: one timer only schedules, TCP connects go through one selector
 * thread ({@link Connector}), and HTTP probes are asynchronous requests of one
 * {@link HttpClient}, each bounded by its check's timeout. A hanging endpoint therefore delays
 * no other probe, HTTP or TCP. A small pool resolves host names (a lookup may block) and runs the
 * HTTP client's completions. Thread-safe.
 */
public final class HealthProber implements AutoCloseable {
    /** Host names are resolved on the HTTP pool (a lookup may block); IP literals need no lookup. */
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|\\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*]?");

    /** The outcome of one probe. */
    public record Result(String instanceId, String handle, boolean healthy, String detail) {
    }

    /** Receives probe outcomes, on a prober thread. */
    @FunctionalInterface
    public interface Callback {
        void accept(Result result);
    }

    /** One instance's probes; the chain of probes reschedules itself until cancelled. */
    private static final class Watch {
        final String instanceId;
        final String handle;
        final Endpoint endpoint;
        final HealthCheck check;
        volatile boolean cancelled;
        volatile ScheduledFuture<?> next;
        /** Touched only by the probe chain, one probe at a time. */
        long lastDelayMs;
        boolean ready;

        Watch(String instanceId, String handle, Endpoint endpoint, HealthCheck check) {
            this.instanceId = instanceId;
            this.handle = handle;
            this.endpoint = endpoint;
            this.check = check;
        }

        boolean implicit() {
            return check.type() == HealthCheck.Type.NONE;
        }
    }

    private final ScheduledExecutorService timer;
    /** Host-name lookups and the HTTP client's completions, or null when every probe runs on the timer ({@link #onTimer}). */
    private final ExecutorService httpPool;
    /** Asynchronous HTTP probes (HTTP/1.1, no redirects followed), or null with {@link #onTimer}. */
    private final HttpClient http;
    /** Non-blocking TCP connects, or null with {@link #onTimer}. */
    private final Connector connector;
    private final Callback callback;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * A prober whose host-name lookups and HTTP completions run on {@code httpThreads} threads
     * (no probe blocks one; TCP connects need none).
     */
    public HealthProber(int httpThreads, Callback callback) {
        if (httpThreads < 1) {
            throw new IllegalArgumentException("httpThreads " + httpThreads + " is not allowed: must be at least 1");
        }
        ScheduledThreadPoolExecutor exec = new ScheduledThreadPoolExecutor(1, daemon("berth-probe-timer"));
        exec.setRemoveOnCancelPolicy(true);
        this.timer = exec;
        this.httpPool = Executors.newFixedThreadPool(httpThreads, daemon("berth-health"));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).executor(httpPool).build();
        this.connector = new Connector();
        this.callback = callback;
    }

    private HealthProber(ScheduledExecutorService timer, Callback callback) {
        this.timer = timer;
        this.httpPool = null;
        this.http = null;
        this.connector = null;
        this.callback = callback;
    }

    /**
     * A prober whose probes run one at a time on {@code timer}'s thread, each blocking until it
     * is answered ({@link #probe}), at the same pace as the standard one: for a test that steps
     * the timer on a manual clock. Closing it leaves the timer alone.
     */
    public static HealthProber onTimer(ScheduledExecutorService timer, Callback callback) {
        return new HealthProber(timer, callback);
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Probes {@code endpoint} with {@code check} until {@link #unwatch}: first at once, then at the
     * fast start-up pace until a probe passes, then every {@code check.interval()}; a
     * {@link HealthCheck.Type#NONE} check is a TCP connect that stops after the first success.
     * {@code handle} identifies the process so that late results for an old one can be ignored.
     */
    public void watch(String instanceId, String handle, Endpoint endpoint, HealthCheck check) {
        unwatch(instanceId);
        Watch w = new Watch(instanceId, handle, endpoint, check);
        watches.put(instanceId, w);
        schedule(w, 0);
    }

    /** Stops probing {@code instanceId}; a probe in flight reports nothing. */
    public void unwatch(String instanceId) {
        Watch w = watches.remove(instanceId);
        if (w != null) {
            w.cancelled = true;
            ScheduledFuture<?> f = w.next;
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    private void schedule(Watch w, long delayMs) {
        if (w.cancelled || closed) {
            return;
        }
        try {
            w.next = timer.schedule(() -> fire(w), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            w.cancelled = true; // closed meanwhile
        }
    }

    /** On the timer thread: starts one probe without blocking. */
    private void fire(Watch w) {
        if (w.cancelled) {
            return;
        }
        try {
            if (httpPool == null) {
                done(w, probe(w.instanceId, w.handle, w.endpoint, w.check));
            } else if (w.check.type() == HealthCheck.Type.HTTP) {
                get(w);
            } else if (IP_LITERAL.matcher(w.endpoint.host()).matches()) {
                connect(w, new InetSocketAddress(w.endpoint.host(), w.endpoint.port()));
            } else {
                httpPool.execute(() -> connect(w, new InetSocketAddress(w.endpoint.host(), w.endpoint.port())));
            }
        } catch (RejectedExecutionException e) {
            w.cancelled = true;
        }
    }

    private void connect(Watch w, InetSocketAddress to) {
        if (to.isUnresolved()) {
            done(w, new Result(w.instanceId, w.handle, false, "TCP connect to " + w.endpoint + " failed: unknown host"));
            return;
        }
        // the implicit check has no timeout of its own: a connect that takes a second is not "ready"
        long timeout = w.implicit() ? Ramp.IMPLICIT_CEILING_MS : Math.max(1, w.check.timeout().toMillis());
        CompletableFuture<String> f = connector.connect(to, timeout);
        f.thenAccept(failure -> done(w, failure == null
                ? new Result(w.instanceId, w.handle, true, "TCP connect to " + w.endpoint + " accepted")
                : new Result(w.instanceId, w.handle, false, "TCP connect to " + w.endpoint + " failed: " + failure)));
    }

    /**
     * One HTTP probe, sent without blocking: healthy on a 2xx or 3xx status within the check's
     * timeout; the body is not read (its stream is closed at once).
     */
    private void get(Watch w) {
        HttpRequest req;
        try {
            req = HttpRequest.newBuilder(URI.create("http://" + w.endpoint + w.check.path()))
                    .timeout(Duration.ofMillis(Math.max(1, w.check.timeout().toMillis()))).GET().build();
        } catch (RuntimeException e) {
            done(w, new Result(w.instanceId, w.handle, false, "HTTP probe of " + w.endpoint + " failed: " + e));
            return;
        }
        http.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream()).whenComplete((resp, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                done(w, new Result(w.instanceId, w.handle, false, "HTTP probe of " + w.endpoint + " failed: " + cause));
                return;
            }
            try {
                resp.body().close(); // the status is all a probe needs
            } catch (IOException ignored) {
                // the answer is already in
            }
            int status = resp.statusCode();
            done(w, new Result(w.instanceId, w.handle, status >= 200 && status < 400,
                    "GET " + w.check.path() + " answered " + status));
        });
    }

    /** After each probe: report it and schedule the next one, if any. */
    private void done(Watch w, Result r) {
        if (w.cancelled) {
            return;
        }
        try {
            callback.accept(r);
        } finally {
            if (r.healthy()) {
                w.ready = true;
            }
            if (w.implicit() && w.ready) {
                watches.remove(w.instanceId, w); // ready: the implicit check has done its job
            } else if (w.ready) {
                schedule(w, w.check.interval().toMillis());
            } else {
                long ceiling = w.implicit() ? Ramp.IMPLICIT_CEILING_MS : w.check.interval().toMillis();
                w.lastDelayMs = Ramp.next(w.lastDelayMs, ceiling);
                schedule(w, w.lastDelayMs);
            }
        }
    }

    /** One probe, on the calling thread (blocking up to the check's timeout). */
    public static Result probe(String instanceId, String handle, Endpoint endpoint, HealthCheck check) {
        int timeout = (int) Math.max(1, check.timeout().toMillis());
        try {
            if (check.type() != HealthCheck.Type.HTTP) {
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), timeout);
                }
                return new Result(instanceId, handle, true, "TCP connect to " + endpoint + " accepted");
            }
            URI uri = URI.create("http://" + endpoint + check.path());
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(timeout);
            c.setReadTimeout(timeout);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            try {
                int status = c.getResponseCode();
                drain(status < 400 ? c.getInputStream() : c.getErrorStream());
                boolean ok = status >= 200 && status < 400;
                return new Result(instanceId, handle, ok, "GET " + check.path() + " answered " + status);
            } finally {
                c.disconnect();
            }
        } catch (IOException | RuntimeException e) {
            return new Result(instanceId, handle, false, check.type() + " probe of " + endpoint + " failed: " + e);
        }
    }

    private static void drain(InputStream in) throws IOException {
        if (in != null) {
            try (in) {
                in.readNBytes(64 * 1024);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        watches.values().forEach(w -> w.cancelled = true);
        watches.clear();
        if (httpPool != null) {
            timer.shutdownNow();
            httpPool.shutdownNow();
            connector.close();
        }
    }
}
