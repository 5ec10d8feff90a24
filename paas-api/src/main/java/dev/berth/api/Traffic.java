package dev.berth.api;

/**
 * One domain's web traffic through a router since the router was built (Magrathea's "web
 * traffic"), read from the access log the router configures. Immutable.
 *
 * @param requests  requests answered
 * @param bytesSent bytes sent to clients, headers included
 */
public record Traffic(long requests, long bytesSent) {
    private static final Traffic NONE = new Traffic(0, 0);

    public Traffic {
        if (requests < 0 || bytesSent < 0) {
            throw new IllegalArgumentException("traffic: requests and bytesSent must not be negative");
        }
    }

    /** No request yet. */
    public static Traffic none() {
        return NONE;
    }

    /** This traffic and {@code other} together. */
    public Traffic plus(Traffic other) {
        return new Traffic(requests + other.requests, bytesSent + other.bytesSent);
    }
}
