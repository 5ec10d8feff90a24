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
    private static final RouteSettings DEFAULTS = new RouteSettings(1, Duration.ofSeconds(5), Duration.ofSeconds(60));

    public RouteSettings {
        if (maxBodyMb < 0 || maxBodyMb > 102_400) {
            throw new InvalidSpecException("routing.maxBodyMb", maxBodyMb, "must be 0-102400 (MiB; 0 means no limit)");
        }
        connectTimeout = within("routing.connectTimeout", connectTimeout, Duration.ofHours(1), "1h");
        readTimeout = within("routing.readTimeout", readTimeout, Duration.ofDays(1), "1d");
    }

    /** 1 MiB, connect 5 s, read 60 s. */
    public static RouteSettings defaults() {
        return DEFAULTS;
    }

    public RouteSettings withMaxBodyMb(int mb) {
        return new RouteSettings(mb, connectTimeout, readTimeout);
    }

    public RouteSettings withConnectTimeout(Duration d) {
        return new RouteSettings(maxBodyMb, d, readTimeout);
    }

    public RouteSettings withReadTimeout(Duration d) {
        return new RouteSettings(maxBodyMb, connectTimeout, d);
    }

    private static Duration within(String field, Duration d, Duration max, String maxText) {
        Checks.notNull(field, d);
        if (d.toMillis() < 1 || d.compareTo(max) > 0 || d.toNanos() % 1_000_000 != 0) {
            throw new InvalidSpecException(field, d, "must be whole milliseconds, from 1ms to " + maxText);
        }
        return d;
    }
}
