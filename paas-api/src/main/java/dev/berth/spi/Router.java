package dev.berth.spi;

import dev.berth.api.RoutingTable;
import dev.berth.api.Traffic;
import java.util.Map;

/**
 * Sends each domain's HTTP traffic to the healthy instances behind it (nginx, haproxy).
 * Implementations swap whole tables atomically: render, validate with the real binary, swap,
 * reload; on failure the last good configuration keeps serving and the error is thrown.
 * The platform calls it from one thread at a time ({@code berth-router}), so implementations need
 * not be thread-safe against themselves.
 */
public interface Router extends AutoCloseable {

    /** Makes {@code table} the routing state, entirely or not at all. */
    void apply(RoutingTable table);

    /** Requests and bytes sent per domain since the router was built, from its access log. */
    Map<String, Traffic> traffic();

    /** Releases the router's resources (and stops its proxy if it started one). */
    @Override
    void close();
}
