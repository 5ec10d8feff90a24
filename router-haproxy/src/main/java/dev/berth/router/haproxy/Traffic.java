package dev.berth.router.haproxy;

/**
 * One domain's web traffic through the router since it started, read from haproxy's access log.
 * Immutable.
 *
 * @param requests  requests answered
 * @param bytesSent bytes sent to clients, headers included
 */
public record Traffic(long requests, long bytesSent) {
    public Traffic {
        if (requests < 0 || bytesSent < 0) {
            throw new IllegalArgumentException("traffic: requests and bytesSent must not be negative");
        }
    }

    Traffic plus(long moreRequests, long moreBytes) {
        return new Traffic(requests + moreRequests, bytesSent + moreBytes);
    }
}
