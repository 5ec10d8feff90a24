package dev.berth.core.internal.health;

import dev.berth.api.Endpoint;
import dev.berth.api.HealthCheck;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Probes instances on a schedule (HTTP GET or TCP connect, with the check's timeout) and hands
 * each outcome to a callback; it decides nothing. The control loop counts failures and acts.
 * Thread-safe.
 */
public final class HealthProber implements AutoCloseable {

    /** The outcome of one probe. */
    public record Result(String instanceId, String handle, boolean healthy, String detail) {
    }

    /** Receives probe outcomes, on a prober thread. */
    @FunctionalInterface
    public interface Callback {
        void accept(Result result);
    }

    private final ScheduledExecutorService timer;
    private final Callback callback;
    private final Map<String, ScheduledFuture<?>> probes = new ConcurrentHashMap<>();

    public HealthProber(int threads, Callback callback) {
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor exec = new ScheduledThreadPoolExecutor(threads, r -> {
            Thread t = new Thread(r, "berth-health-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        exec.setRemoveOnCancelPolicy(true);
        this.timer = exec;
        this.callback = callback;
    }

    /**
     * Probes {@code endpoint} every {@code check.interval()}, first at once, until {@link #unwatch}.
     * {@code handle} identifies the process so that late results for an old one can be ignored.
     */
    public void watch(String instanceId, String handle, Endpoint endpoint, HealthCheck check) {
        unwatch(instanceId);
        long every = check.interval().toMillis();
        probes.put(instanceId, timer.scheduleWithFixedDelay(
                () -> callback.accept(probe(instanceId, handle, endpoint, check)), 0, every, TimeUnit.MILLISECONDS));
    }

    public void unwatch(String instanceId) {
        ScheduledFuture<?> f = probes.remove(instanceId);
        if (f != null) {
            f.cancel(false);
        }
    }

    /** One probe, on the calling thread. */
    public static Result probe(String instanceId, String handle, Endpoint endpoint, HealthCheck check) {
        int timeout = (int) Math.max(1, check.timeout().toMillis());
        try {
            if (check.type() == HealthCheck.Type.TCP) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), timeout);
                }
                return new Result(instanceId, handle, true, "tcp connect ok");
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
        probes.values().forEach(f -> f.cancel(false));
        probes.clear();
        timer.shutdownNow();
    }
}
