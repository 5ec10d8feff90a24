package dev.berth.api;

import java.time.Duration;

/**
 * How a router treats one app's requests: the largest request body it accepts, how long it waits
 * to connect to an instance and how long it waits for the instance's answer. The defaults are
 * nginx's for the body (1 MiB) and sane ones for the times (connect 5 s, read 60 s). Immutable.
 *
 * @param maxBodyMb      largest request body in MiB, 0-102400; 0 means no limit
 * @param connectTimeout time to connect to an instance before the next one is tried, 1 ms - 1 h
 * @param readTimeout    time to wait for an instance's answer (between two reads), 1 ms - 1 d
 */
public record RouteSettings(int maxBodyMb, Duration connectTimeout, Duration readTimeout) {
    /** The shortest connect or read timeout (proxies take milliseconds). */
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    /** The longest connect timeout. */
    public static final Duration MAX_CONNECT_TIMEOUT = Duration.ofHours(1);
    /** The longest read timeout. */
    public static final Duration MAX_READ_TIMEOUT = Duration.ofDays(1);
    /** The largest request body limit in MiB. */
    public static final int MAX_BODY_MB = 102_400;

    private static final RouteSettings DEFAULTS = new RouteSettings(1, Duration.ofSeconds(5), Duration.ofSeconds(60));

    /** Validates every field; a bad one throws an {@link InvalidSpecException} naming it and its range. */
    public RouteSettings {
        if (maxBodyMb < 0 || maxBodyMb > MAX_BODY_MB) {
            throw new InvalidSpecException("routing.maxBodyMb", maxBodyMb, "must be 0-" + MAX_BODY_MB + " (MiB; 0 means no limit)");
        }
        connectTimeout = wholeMillis("routing.connectTimeout", connectTimeout, MAX_CONNECT_TIMEOUT);
        readTimeout = wholeMillis("routing.readTimeout", readTimeout, MAX_READ_TIMEOUT);
    }

    /** 1 MiB, connect 5 s, read 60 s. */
    public static RouteSettings defaults() {
        return DEFAULTS;
    }

    /** These settings with another body limit (0-102400 MiB; 0 means no limit). */
    public RouteSettings withMaxBodyMb(int mb) {
        return new RouteSettings(mb, connectTimeout, readTimeout);
    }

    /** These settings with another connect timeout (1 ms - 1 h, whole milliseconds). */
    public RouteSettings withConnectTimeout(Duration d) {
        return new RouteSettings(maxBodyMb, d, readTimeout);
    }

    /** These settings with another read timeout (1 ms - 1 d, whole milliseconds). */
    public RouteSettings withReadTimeout(Duration d) {
        return new RouteSettings(maxBodyMb, connectTimeout, d);
    }

    /** The range check first (it cannot overflow), then whole milliseconds (proxies take no less). */
    private static Duration wholeMillis(String field, Duration d, Duration max) {
        Checks.within(field, d, MIN_TIMEOUT, max);
        if (d.getNano() % 1_000_000 != 0) {
            throw new InvalidSpecException(field, Checks.text(d),
                    "must be whole milliseconds, from " + Checks.text(MIN_TIMEOUT) + " to " + Checks.text(max));
        }
        return d;
    }
}
