package dev.berth.api;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How the platform decides that an instance is healthy, with Marathon's fields. A probe is sent
 * to the instance's endpoint every {@code interval}; one that does not answer within
 * {@code timeout} (or answers HTTP status outside 200-399) fails. Failures during the
 * {@code gracePeriod} after start do not count. After {@code maxConsecutiveFailures} failures in a
 * row the instance is unhealthy and is replaced. Immutable.
 *
 * @param type                   {@link Type#NONE}, {@link Type#HTTP} or {@link Type#TCP}
 * @param path                   the HTTP path, starting with '/' (HTTP only; "/" otherwise)
 * @param interval               time between probes, 100 ms - 1 h
 * @param timeout                how long one probe may take, 10 ms - {@code interval}
 * @param gracePeriod            time after start during which failures are not counted, 0 - 1 h
 * @param maxConsecutiveFailures failures in a row that make the instance unhealthy, 1-100
 */
public record HealthCheck(Type type, String path, Duration interval, Duration timeout,
                          Duration gracePeriod, int maxConsecutiveFailures) {

    /** The kind of probe. */
    public enum Type {
        /**
         * No health check: an instance with an endpoint is ready (healthy) once it has accepted a
         * TCP connection there, and is not probed after that; one without an endpoint is ready
         * when it runs.
         */
        NONE,
        /** An HTTP GET of {@code path}; 200-399 is healthy. */
        HTTP,
        /** A TCP connect to the endpoint. */
        TCP
    }

    /** The shortest interval between two probes of one instance. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    /** The longest interval between two probes of one instance. */
    public static final Duration MAX_INTERVAL = Duration.ofHours(1);
    /** The shortest time one probe may take (the longest is the interval). */
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(10);
    /** The longest grace period after a start (the shortest is none). */
    public static final Duration MAX_GRACE_PERIOD = Duration.ofHours(1);

    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9/._~%!$&'()*+,;=:@?-]{0,1023}");
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration DEFAULT_GRACE = Duration.ofSeconds(15);
    private static final int DEFAULT_FAILURES = 3;

    /** Validates every field; a bad one throws an {@link InvalidSpecException} naming it and its range. */
    public HealthCheck {
        Checks.notNull("healthCheck.type", type);
        if (path == null || !PATH.matcher(path).matches()) {
            throw new InvalidSpecException("healthCheck.path", path,
                    "must start with '/' and hold only URL characters (no spaces, quotes or control characters)");
        }
        Checks.within("healthCheck.interval", interval, MIN_INTERVAL, MAX_INTERVAL);
        Checks.within("healthCheck.timeout", timeout, MIN_TIMEOUT, MAX_INTERVAL);
        Checks.within("healthCheck.gracePeriod", gracePeriod, Duration.ZERO, MAX_GRACE_PERIOD);
        if (timeout.compareTo(interval) > 0) {
            throw new InvalidSpecException("healthCheck.timeout", Checks.text(timeout),
                    "must not exceed the interval (" + Checks.text(interval) + ")");
        }
        if (maxConsecutiveFailures < 1 || maxConsecutiveFailures > 100) {
            throw new InvalidSpecException("healthCheck.maxConsecutiveFailures", maxConsecutiveFailures, "must be 1-100");
        }
    }

    /** No probe. */
    public static HealthCheck none() {
        return new HealthCheck(Type.NONE, "/", DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_GRACE, DEFAULT_FAILURES);
    }

    /** An HTTP GET of {@code path} with the default timings (5 s, 2 s, 15 s grace, 3 failures). */
    public static HealthCheck http(String path) {
        return new HealthCheck(Type.HTTP, path, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_GRACE, DEFAULT_FAILURES);
    }

    /** A TCP connect with the default timings. */
    public static HealthCheck tcp() {
        return new HealthCheck(Type.TCP, "/", DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_GRACE, DEFAULT_FAILURES);
    }

    /** The same check probing every {@code interval}, each probe allowed {@code timeout} (at most the interval). */
    public HealthCheck withTimings(Duration interval, Duration timeout) {
        return new HealthCheck(type, path, interval, timeout, gracePeriod, maxConsecutiveFailures);
    }

    /** The same check probing every {@code interval} (100 ms - 1 h, at least the timeout). */
    public HealthCheck withInterval(Duration interval) {
        return new HealthCheck(type, path, interval, timeout, gracePeriod, maxConsecutiveFailures);
    }

    /** The same check allowing each probe {@code timeout} (10 ms - the interval). */
    public HealthCheck withTimeout(Duration timeout) {
        return new HealthCheck(type, path, interval, timeout, gracePeriod, maxConsecutiveFailures);
    }

    /** The same check not counting failures during {@code gracePeriod} after a start (0 - 1 h). */
    public HealthCheck withGracePeriod(Duration gracePeriod) {
        return new HealthCheck(type, path, interval, timeout, gracePeriod, maxConsecutiveFailures);
    }

    /** The same check replacing an instance after {@code failures} (1-100) failed probes in a row. */
    public HealthCheck withMaxConsecutiveFailures(int failures) {
        return new HealthCheck(type, path, interval, timeout, gracePeriod, failures);
    }
}
