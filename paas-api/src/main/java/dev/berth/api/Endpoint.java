package dev.berth.api;

/**
 * Where an instance listens: a host (an IP address or host name) and a TCP port. Immutable.
 *
 * @param host address or name, without spaces or control characters
 * @param port 1-65535
 */
public record Endpoint(String host, int port) {
    public Endpoint {
        if (host == null || host.isEmpty() || !host.matches("[A-Za-z0-9.:_\\[\\]-]{1,253}")) {
            throw new InvalidSpecException("endpoint.host", host, "must be an IP address or host name");
        }
        if (port < 1 || port > 65535) {
            throw new InvalidSpecException("endpoint.port", port, "must be 1-65535");
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
