// The public builder of an SshBackend: the hosts and every setting, each checked as it is set.
package dev.berth.backend.ssh;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds a {@link SshBackend}; {@link SshBackend#builder()} makes one. Each setter checks its value
 * at once and throws an {@link IllegalArgumentException} naming the option, the value and what is
 * allowed; {@link #build()} loads every host's private key (a bad one fails the build) and starts
 * the heartbeat. Not thread-safe; {@link #build()} returns an independent backend.
 */
public final class SshBackendBuilder {
    private final Map<String, SshHost> hosts = new LinkedHashMap<>();
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration authTimeout = Duration.ofSeconds(5);
    private Duration commandTimeout = Duration.ofSeconds(30);
    private Duration heartbeat = Duration.ofSeconds(1);
    private Duration checkTimeout = Duration.ofSeconds(3);
    private int portFrom = 8000;
    private int portTo = 9000;
    private Duration setupTimeout = Duration.ofMinutes(10);
    private Duration copyTimeout = Duration.ofMinutes(10);
    private long logMaxBytes = 10L << 20;
    private int maxChannels = 8;
    private Clock clock = Clock.systemUTC();

    SshBackendBuilder() {
    }

    /** Adds a host (at least one is required; node ids must be unique). */
    public SshBackendBuilder host(SshHost host) {
        if (host == null) {
            throw new IllegalArgumentException("host null is not allowed: must be an SshHost");
        }
        if (hosts.containsKey(host.id())) {
            throw new IllegalArgumentException("host '" + host.id() + "' is not allowed: a host with that id is "
                    + "already added (node ids must be unique)");
        }
        hosts.put(host.id(), host);
        return this;
    }

    /** Adds hosts, e.g. {@code SshHosts.load(file)}. */
    public SshBackendBuilder hosts(Collection<SshHost> hosts) {
        if (hosts == null) {
            throw new IllegalArgumentException("hosts null is not allowed: must be a collection of SshHost");
        }
        hosts.forEach(this::host);
        return this;
    }

    /** How long a TCP connect to sshd may take (default 3 s; 100 ms-5 min). */
    public SshBackendBuilder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = within("connectTimeout", connectTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
        return this;
    }

    /** How long key exchange and public-key login may take (default 5 s; 100 ms-5 min). */
    public SshBackendBuilder authTimeout(Duration authTimeout) {
        this.authTimeout = within("authTimeout", authTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
        return this;
    }

    /** How long a short control command (start, logs, list, du) may take (default 30 s; 1 s-1 h). */
    public SshBackendBuilder commandTimeout(Duration commandTimeout) {
        this.commandTimeout = within("commandTimeout", commandTimeout, Duration.ofSeconds(1), Duration.ofHours(1));
        return this;
    }

    /** How often every host is checked in the background (default 1 s; 100 ms-1 h; ZERO turns it off). */
    public SshBackendBuilder heartbeat(Duration heartbeat) {
        if (heartbeat != null && heartbeat.isZero()) {
            this.heartbeat = heartbeat;
            return this;
        }
        this.heartbeat = within("heartbeat", heartbeat, Duration.ofMillis(100), Duration.ofHours(1));
        return this;
    }

    /**
     * How long a host may take to answer one liveness round on its open liveness channel
     * before it counts as not answering and its session is dropped (default 3 s; 100 ms-5 min).
     * Opening that channel (once per session: the host's login shell starts then) is not
     * counted: it may take up to {@code commandTimeout} as long as sshd answers a keepalive
     * within {@code checkTimeout}.
     */
    public SshBackendBuilder checkTimeout(Duration checkTimeout) {
        this.checkTimeout = within("checkTimeout", checkTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
        return this;
    }

    /** The inclusive range RANDOM_PORT values are drawn from on every host (default 8000-9000). */
    public SshBackendBuilder portRange(int from, int to) {
        if (from < 1 || to > 65535 || from > to) {
            throw new IllegalArgumentException("portRange " + from + "-" + to + " is not allowed: must satisfy "
                    + "1 <= from <= to <= 65535");
        }
        this.portFrom = from;
        this.portTo = to;
        return this;
    }

    /** How long an app's setup may run on a host before it is killed and the start fails (default 10 min; 1 s-1 d). */
    public SshBackendBuilder setupTimeout(Duration setupTimeout) {
        this.setupTimeout = within("setupTimeout", setupTimeout, Duration.ofSeconds(1), Duration.ofDays(1));
        return this;
    }

    /** How long copying a release to a host may take (default 10 min; 1 s-1 d). */
    public SshBackendBuilder copyTimeout(Duration copyTimeout) {
        this.copyTimeout = within("copyTimeout", copyTimeout, Duration.ofSeconds(1), Duration.ofDays(1));
        return this;
    }

    /**
     * The size above which an instance's output.log is rotated, checked every minute (default
     * 10 MiB; at least 1024): its last {@code logMaxBytes} become output.log.1 (never larger)
     * and output.log starts empty.
     */
    public SshBackendBuilder logMaxBytes(long logMaxBytes) {
        if (logMaxBytes < 1024) {
            throw new IllegalArgumentException("logMaxBytes " + logMaxBytes + " is not allowed: must be at least 1024");
        }
        this.logMaxBytes = logMaxBytes;
        return this;
    }

    /**
     * How many command channels may be open at once on a host's session (default 8; 1-64), plus
     * one kept for liveness checks. OpenSSH refuses more than its MaxSessions (10 by default). An
     * open terminal holds one of them, and at most half of them (rounded down) are terminals.
     */
    public SshBackendBuilder maxChannelsPerHost(int maxChannels) {
        if (maxChannels < 1 || maxChannels > 64) {
            throw new IllegalArgumentException("maxChannelsPerHost " + maxChannels + " is not allowed: must be 1-64");
        }
        this.maxChannels = maxChannels;
        return this;
    }

    /** The clock for start times, exits and contacts (default the system clock, UTC). */
    public SshBackendBuilder clock(Clock clock) {
        if (clock == null) {
            throw new IllegalArgumentException("clock null is not allowed: must be a Clock");
        }
        this.clock = clock;
        return this;
    }

    private static Duration within(String option, Duration value, Duration min, Duration max) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(option + " " + value + " is not allowed: must be " + min + " to " + max);
        }
        return value;
    }

    /** A backend over these hosts; loads their private keys and starts the heartbeat. */
    public SshBackend build() {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("hosts is empty: at least one host is required");
        }
        SshOptions options = new SshOptions(connectTimeout, authTimeout, commandTimeout, heartbeat, checkTimeout,
                portFrom, portTo, setupTimeout, copyTimeout, logMaxBytes, maxChannels);
        return new SshBackend(options, clock, hosts.values(), SshClients.loadKeys(hosts.values()));
    }
}
