// Keeps the control API's TLS certificate current: polls its files and swaps changed keys that load cleanly into Jetty.
package dev.berth.server;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of a {@link ControlServer}: the Jetty {@link SslContextFactory.Server} serving the
 * keys of a {@link TlsKeys.Source}, and a daemon thread ({@code berth-api-tls}) that looks at the
 * files every interval. A change is noticed by size and modification time; once the files have
 * stayed the same for one more interval (a writer is done), they are read, and if their SHA-256
 * differs from what is served and they load cleanly, new connections get the new certificate.
 * Files that do not load leave the old certificate serving, with one WARN per distinct content;
 * they are tried again when they change. Thread-safe: {@link #poll} runs one at a time.
 */
final class TlsReloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);
    private final TlsKeys.Source source;
    private final SslContextFactory.Server factory;
    private final Duration interval;
    private ScheduledExecutorService timer; // guarded by this
    private boolean closed; // guarded by this
    private List<String> stamp; // guarded by this: the files' sizes and times at the last poll
    private boolean pending; // guarded by this: the stamp changed and the files have not been read since
    private String servingHash; // guarded by this: SHA-256 of the files serving now
    private String failedFor; // guarded by this: the content (or read error) last reported as failing
    private volatile TlsKeys serving;
    private volatile int reloads;
    private volatile int failures;

    private TlsReloader(TlsKeys.Source source, List<String> stamp, String hash, TlsKeys keys, Duration interval) {
        this.source = source;
        this.stamp = stamp;
        this.servingHash = hash;
        this.serving = keys;
        this.interval = interval;
        this.factory = new SslContextFactory.Server();
        factory.setKeyStore(keys.keyStore());
        factory.setKeyManagerPassword(TlsKeys.KEY_PASSWORD);
        factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    }

    /**
     * Reads the keys for the first time; nothing runs until {@link #start}.
     *
     * @throws IllegalArgumentException naming the option, the file and what is allowed
     */
    static TlsReloader load(TlsKeys.Source source, Duration interval) {
        try {
            List<String> stamp = source.stamp(); // before reading: a change while reading is seen at the first poll
            byte[][] contents = source.read();
            TlsKeys keys = source.parse(contents);
            return new TlsReloader(source, stamp, TlsKeys.Source.sha256(contents), keys, interval);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source.option() + ": " + e.getMessage(), e);
        }
    }

    /** The factory to hand to Jetty's {@code SslConnectionFactory}. */
    SslContextFactory.Server factory() {
        return factory;
    }

    /** The keys new connections get. */
    TlsKeys serving() {
        return serving;
    }

    /** How many times new keys were put in place. */
    int reloads() {
        return reloads;
    }

    /** How many failing changes were reported (one WARN each). */
    int failures() {
        return failures;
    }

    /** Starts polling every interval on a daemon thread named {@code berth-api-tls}. */
    synchronized void start() {
        if (closed || timer != null) {
            return;
        }
        LOG.info("control API TLS: serving {} from {}; files looked at every {} ms", serving, source.files(),
                interval.toMillis());
        warnIfExpired(serving);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-api-tls");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::pollLogged, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pollLogged() {
        try {
            poll();
        } catch (RuntimeException e) { // a thrown task would never run again
            LOG.warn("control API TLS: looking at {}: {}", source.files(), e.toString(), e);
        }
    }

    /** One look at the files: reloads when they changed, settled and load cleanly. */
    synchronized void poll() {
        if (closed) {
            return;
        }
        List<String> now = source.stamp();
        if (!now.equals(stamp)) {
            stamp = now;
            pending = true; // read at the next poll if nothing changes in between: a writer may not be done
            return;
        }
        if (!pending) {
            return;
        }
        pending = false;
        String hash;
        TlsKeys keys;
        try {
            byte[][] contents = source.read();
            hash = TlsKeys.Source.sha256(contents);
            if (hash.equals(servingHash) || hash.equals(failedFor)) {
                return; // touched but the same, or already reported
            }
            try {
                keys = source.parse(contents);
            } catch (IllegalArgumentException e) {
                fail(hash, e.getMessage());
                return;
            }
        } catch (IllegalArgumentException e) { // missing or unreadable: the message is what is distinct
            fail(e.getMessage(), e.getMessage());
            return;
        }
        TlsKeys old = serving;
        try {
            factory.reload(f -> f.setKeyStore(keys.keyStore()));
        } catch (Exception e) {
            fail(hash, "Jetty could not load it: " + e);
            try {
                factory.reload(f -> f.setKeyStore(old.keyStore()));
            } catch (Exception again) {
                LOG.error("control API TLS: cannot put the previous certificate back either; new connections fail until "
                        + "{} are fixed: {}", source.files(), again.toString(), again);
            }
            return;
        }
        serving = keys;
        servingHash = hash;
        failedFor = null;
        reloads++;
        LOG.info("control API TLS: {} changed: new connections get {} (was {})", source.files(), keys, old.subject());
        warnIfExpired(keys);
    }

    private void fail(String key, String reason) {
        failedFor = key;
        failures++;
        LOG.warn("control API TLS: {} changed but cannot be used, still serving {}: {} (tried again when the files change)",
                source.files(), serving, reason);
    }

    private static void warnIfExpired(TlsKeys keys) {
        if (keys.notAfter().isBefore(Instant.now())) {
            LOG.warn("control API TLS: the certificate {} has expired: clients refuse it", keys);
        }
    }

    /** Stops polling; the factory stays as it is. */
    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            closed = true;
            t = timer;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
