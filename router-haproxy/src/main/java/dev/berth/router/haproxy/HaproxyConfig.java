package dev.berth.router.haproxy;

import dev.berth.api.BerthException;
import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.Tls;
import dev.berth.support.ProxyProcess;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Renders a whole haproxy configuration from a {@link Layout}: one HTTP frontend (and an HTTPS bind
 * while some domain has TLS) that picks the backend from the Host header through a map file, one
 * backend per app with numbered server slots, and a default backend that answers 404 and the
 * generation probe. Every name is checked before any text is produced. Stateless; thread-safe.
 */
final class HaproxyConfig {
    /** Characters that cannot break out of an haproxy argument (no space, quote, #, \, $, newline). */
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/+@=,-]*");
    private static final String SAFE_PATH_TEXT = "must be an absolute path of A-Z a-z 0-9 . _ / + @ = , - only";

    /** What the probe of a rendered configuration answers: {@code string "<generation>\n" if { path ...}}. */
    private static final Pattern GENERATION =
            Pattern.compile("string \"([0-9a-f]+-[0-9]+)\\\\n\" if \\{ path ");

    /** The generation that a configuration this class rendered answers to the probe; null for another text. */
    static String generationOf(String text) {
        java.util.regex.Matcher m = GENERATION.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /** The probe path on the default backend; answers the generation of the loaded configuration. */
    static final String PROBE_PATH = ProxyProcess.PROBE_PATH;
    /** The Host header of the probe: no domain of ours, so it reaches the default backend. */
    static final String PROBE_HOST = ProxyProcess.PROBE_HOST;
    static final String DEFAULT_BACKEND = "berth_default";
    /** What the access log shows instead of a domain for requests to unknown hosts. */
    static final String NO_DOMAIN = "-";
    /**
     * Health checks of the servers: every 2 s; down after 3 failures, up again after 2 successes. A
     * server that its checks hold down while the table lists it is put up by the next apply
     * ({@link Revival}); one that leaves maintenance for a new endpoint starts up.
     */
    static final String CHECK = "check inter 2s fall 3 rise 2";
    /** The address a free slot keeps until the Runtime API gives it an endpoint. */
    static final String FREE_SLOT_ADDRESS = "127.0.0.1:1";
    /** Same list as the nginx router's: TLS 1.2 suites with forward secrecy and AEAD only. */
    /**
     * What is retried on another server: a connection that failed (nothing was sent), and a
     * connection the server closed without a byte of answer (it died mid-request). Never an answer
     * (a 502 or 503 is the app's own), and never a request that waited out the server timeout: the
     * instance may be doing the work, and replaying slow requests multiplies the load on an app
     * already too slow (haproxy's manual warns it amplifies denial of service). Also, haproxy 2.6.12
     * with {@code response-timeout} added to these two delays about half of the answers of an
     * instance that writes its header and body apart without TCP_NODELAY by some 40 ms (measured).
     */
    static final String RETRY_ON = "conn-failure empty-response";
    /**
     * The methods whose request may be sent again after it reached a server: the idempotent ones
     * (RFC 9110 9.2.2). Any other (POST, PATCH, LOCK, ...) is retried only when its connection
     * failed, never once sent.
     */
    static final String REPLAYABLE_METHODS = "GET HEAD OPTIONS TRACE PUT DELETE";
    static final String TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
            + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    /**
     * The access log line: time, domain (or -), status, bytes (haproxy's count, see {@link AccessLog}),
     * response header lines, total time ms, backend/server.
     */
    static final String LOG_FORMAT = "%Ts.%ms %[var(txn.domain)] %ST %B %[var(txn.hdrs)] %Tt %b/%s";

    /**
     * Where everything lives and how haproxy runs.
     *
     * @param user  the user the workers run as ({@code user} in {@code global}), or {@code null} for none
     * @param group the group the workers run as, or {@code null} for none
     */
    record Settings(Path prefix, String listenAddress, int httpPort, int httpsPort, int threads, String user,
            String group) {
        /** No user or group: the workers run as haproxy was started. */
        Settings(Path prefix, String listenAddress, int httpPort, int httpsPort, int threads) {
            this(prefix, listenAddress, httpPort, httpsPort, threads, null, null);
        }

        Settings {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(listenAddress, "listenAddress");
            checkPath("prefix", prefix);
            if (httpPort == httpsPort) {
                throw new IllegalArgumentException("httpsPort: " + httpsPort
                        + " is not allowed; must differ from httpPort " + httpPort);
            }
        }

        Path conf() {
            return prefix.resolve("conf").resolve("haproxy.cfg");
        }

        /** The directory of one generation's map files, certificates and crt-list. */
        Path generationDir(String generation) {
            return prefix.resolve("conf").resolve("gen-" + generation);
        }

        Path pidFile() {
            return prefix.resolve("run").resolve("haproxy.pid");
        }

        /** The stats socket of the worker, level admin: the Runtime API. */
        Path adminSocket() {
            return prefix.resolve("run").resolve("admin.sock");
        }

        /** The master CLI (owned mode): reload, show proc. */
        Path masterSocket() {
            return prefix.resolve("run").resolve("master.sock");
        }

        /** haproxy's stdout in owned mode: the access log (see {@link HaproxyRouter}). */
        Path accessLog() {
            return prefix.resolve("logs").resolve("access.log");
        }

        /** haproxy's stderr in owned mode: its notices, warnings and alerts. */
        Path haproxyLog() {
            return prefix.resolve("logs").resolve("haproxy.log");
        }

        Path temp() {
            return prefix.resolve("tmp");
        }

        String listen() {
            return address(httpPort);
        }

        String listenHttps() {
            return address(httpsPort);
        }

        private String address(int port) {
            return (listenAddress.indexOf(':') >= 0 ? "[" + listenAddress + "]" : listenAddress) + ":" + port;
        }
    }

    /** The files of one generation next to the configuration. */
    record Files(Path dir) {
        Path httpMap() {
            return dir.resolve("http.map");
        }

        Path httpsMap() {
            return dir.resolve("https.map");
        }

        Path crtList() {
            return dir.resolve("crt-list");
        }

        Path pem(String domain) {
            return dir.resolve(domain + ".pem");
        }
    }

    private HaproxyConfig() {
    }

    /**
     * Rejects any domain, app name or certificate path that is not plain ({@link RoutingTable#check}),
     * and more endpoints per route than a backend has slots for; changes nothing.
     */
    static void validate(RoutingTable table) {
        Objects.requireNonNull(table, "table").check();
        for (Map.Entry<String, RoutingTable.Route> e : table.routes().entrySet()) {
            if (e.getValue().endpoints().size() > Layout.MAX_SLOTS / 2) {
                throw new InvalidSpecException("routes[" + e.getKey() + "].endpoints", e.getValue().endpoints().size()
                        + " endpoints", "at most " + Layout.MAX_SLOTS / 2 + " endpoints per route");
            }
        }
    }

    static void checkPath(String field, Path path) {
        String s = path.toString();
        if (!path.isAbsolute() || !SAFE_PATH.matcher(s).matches()) {
            throw new IllegalArgumentException(field + ": '" + s + "' is not allowed; " + SAFE_PATH_TEXT);
        }
    }

    /** The HTTP map file: every domain to its backend. */
    static String httpMap(Layout layout) {
        StringBuilder b = new StringBuilder();
        layout.sites().forEach((domain, site) -> b.append(domain).append(' ').append(site.backend()).append('\n'));
        return b.toString();
    }

    /** The HTTPS map file: the TLS domains only (a plain-HTTP domain is not served over TLS). */
    static String httpsMap(Layout layout) {
        StringBuilder b = new StringBuilder();
        layout.sites().forEach((domain, site) -> {
            if (site.tls() != null) {
                b.append(domain).append(' ').append(site.backend()).append('\n');
            }
        });
        return b.toString();
    }

    /** The crt-list: each TLS domain's combined certificate and key, chosen by SNI. */
    static String crtList(Layout layout, Files files) {
        StringBuilder b = new StringBuilder();
        layout.sites().forEach((domain, site) -> {
            if (site.tls() != null) {
                b.append(files.pem(domain)).append(' ').append(domain).append('\n');
            }
        });
        return b.toString();
    }

    /** The open-file limit haproxy inherits from this JVM (its hard limit, which haproxy raises its soft one to). */
    static final long OPEN_FILES = openFileLimit();
    /** Connections haproxy may hold at most, when the open-file limit leaves room for them. */
    static final int MAX_CONNECTIONS = 4096;

    /**
     * haproxy reserves a file descriptor per server slot (for its checks) and two per connection,
     * and refuses to start when that exceeds the open-file limit; so the connection limit is what
     * the limit leaves once the slots are counted, at most {@link #MAX_CONNECTIONS}.
     */
    static int maxconn(Layout layout, long openFiles) {
        long slots = layout.backends().values().stream().mapToLong(Layout.Backend::slots).sum();
        long left = (openFiles - slots - 256) / 2;
        if (left < 64) {
            throw new BerthException("haproxy router: the table needs " + slots + " server slots, and the open-file "
                    + "limit of " + openFiles + " leaves too few descriptors for connections; raise it (ulimit -n) "
                    + "or route fewer endpoints");
        }
        return (int) Math.min(MAX_CONNECTIONS, left);
    }

    private static long openFileLimit() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String hard = line.substring("Max open files".length()).trim().split("\\s+")[1];
                    return hard.equals("unlimited") ? 1_048_576 : Long.parseLong(hard);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or an unexpected format: assume a common default
        }
        return 65_536;
    }

    /** The whole configuration of {@code layout}, answering {@code generation} to the probe. */
    static String render(Layout layout, Settings s, Files files, String generation) {
        StringBuilder b = new StringBuilder(2048 + layout.backends().size() * 1024);
        b.append("# Rendered by Berth's HaproxyRouter; the next apply() replaces this file.\n");
        b.append("global\n");
        b.append("    master-worker\n");
        b.append("    pidfile ").append(s.pidFile()).append('\n');
        b.append("    nbthread ").append(s.threads()).append('\n');
        if (s.user() != null) {
            // the master keeps root (ports, reloads, certificates); the workers that parse requests do not
            b.append("    user ").append(s.user()).append('\n');
            b.append("    group ").append(s.group()).append('\n');
        }
        // The Runtime API; expose-fd lets a reload by hand (haproxy -x) take over the listeners too.
        b.append("    stats socket ").append(s.adminSocket()).append(" mode 600 level admin expose-fd listeners\n");
        b.append("    stats timeout 30s\n");
        // Access log to stdout: see HaproxyRouter for why this transport counts exactly.
        b.append("    log stdout format raw local0 info\n");
        b.append("    maxconn ").append(maxconn(layout, OPEN_FILES)).append('\n');
        b.append("    hard-stop-after 5m\n");
        b.append("    mworker-max-reloads 50\n");
        if (layout.usesTls()) {
            b.append("    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n");
            b.append("    ssl-default-bind-ciphers ").append(TLS12_CIPHERS).append('\n');
        }
        b.append('\n');
        b.append("defaults\n");
        b.append("    mode http\n");
        b.append("    log global\n");
        b.append("    log-format \"").append(LOG_FORMAT).append("\"\n");
        b.append("    option dontlognull\n");
        b.append("    option forwardfor\n");
        // A request that fails as RETRY_ON says goes to another instance (every retry redispatched),
        // at most twice; once sent, only an idempotent one (see disable-l7-retry in the frontend).
        // Requests up to the buffer size (16 kB) can be sent again; a larger one only on conn-failure.
        b.append("    option redispatch 1\n");
        b.append("    retries 2\n");
        b.append("    retry-on ").append(RETRY_ON).append('\n');
        b.append("    timeout connect 5s\n");
        b.append("    timeout client 60s\n");
        b.append("    timeout server 60s\n");
        b.append("    timeout http-request 10s\n");
        b.append("    timeout http-keep-alive 10s\n");
        b.append("    timeout queue 10s\n");
        b.append("    timeout tunnel 1h\n\n");

        b.append("frontend berth_http\n");
        b.append("    bind ").append(s.listen()).append('\n');
        if (layout.usesTls()) {
            // strict-sni: a client that names no domain of ours is refused in the handshake
            b.append("    bind ").append(s.listenHttps()).append(" ssl crt-list ").append(files.crtList())
                    .append(" strict-sni alpn h2,http/1.1\n");
        }
        b.append("    http-request set-var(txn.host) req.hdr(host),field(1,:),lower\n");
        b.append("    http-request set-var(txn.backend) var(txn.host),map(").append(files.httpMap())
                .append(") if !{ ssl_fc }\n");
        if (layout.usesTls()) {
            b.append("    http-request set-var(txn.backend) var(txn.host),map(").append(files.httpsMap())
                    .append(") if { ssl_fc }\n");
        }
        b.append("    http-request set-var(txn.domain) var(txn.host) if { var(txn.backend) -m found }\n");
        b.append("    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n");
        b.append("    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }\n");
        // a non-idempotent request that reached a server is never sent again, whatever happened
        b.append("    http-request disable-l7-retry unless { method ").append(REPLAYABLE_METHODS).append(" }\n");
        // the header lines of every response, generated ones too, for the access log
        b.append("    http-after-response set-var(txn.hdrs) res.fhdr_cnt\n");
        b.append("    use_backend %[var(txn.backend)] if { var(txn.backend) -m found }\n");
        b.append("    default_backend ").append(DEFAULT_BACKEND).append("\n\n");

        b.append("backend ").append(DEFAULT_BACKEND).append('\n');
        b.append("    http-request set-log-level silent if { path ").append(PROBE_PATH).append(" }\n");
        b.append("    http-request return status 200 content-type text/plain string \"").append(generation)
                .append("\\n\" if { path ").append(PROBE_PATH).append(" }\n");
        b.append("    http-request return status 404 content-type text/plain "
                + "string \"404 Not Found: no app is served at this host name.\\n\"\n");

        for (Layout.Backend be : layout.backends().values()) {
            b.append('\n');
            backend(b, be);
        }
        return b.toString();
    }

    private static void backend(StringBuilder b, Layout.Backend be) {
        RouteSettings rs = be.settings();
        b.append("# app ").append(be.app()).append('\n');
        b.append("backend ").append(be.name()).append('\n');
        b.append("    balance ").append(switch (be.balance()) {
            case LEAST_CONN -> "leastconn";
            case ROUND_ROBIN -> "roundrobin";
            case IP_HASH -> "source";
        }).append('\n');
        b.append("    timeout connect ").append(rs.connectTimeout().toMillis()).append("ms\n");
        b.append("    timeout server ").append(rs.readTimeout().toMillis()).append("ms\n");
        if (rs.maxBodyMb() > 0) {
            // bodies announced by Content-Length only; a chunked body is not limited
            b.append("    http-request return status 413 content-type text/plain string \"413 Payload Too Large: app ")
                    .append(be.app()).append(" accepts request bodies up to ").append(rs.maxBodyMb())
                    .append(" MiB.\\n\" if { req.hdr_val(content-length) gt ")
                    .append((long) rs.maxBodyMb() * 1024 * 1024).append(" }\n");
        }
        // haproxy's own 503 when no server is usable (none, all down or in maintenance), with our text;
        // not a rule on nbsrv, which a new worker reports as 0 for a moment after a reload
        b.append("    http-error status 503 content-type text/plain string \"503 Service Unavailable: app ")
                .append(be.app()).append(be.notDeployed() ? " is not deployed yet: git push to deploy it.\\n\"\n"
                        : " has no healthy instance.\\n\"\n");
        b.append("    default-server ").append(CHECK).append('\n');
        int slot = 1;
        while (slot <= be.slots()) {
            Endpoint e = be.used().get(slot);
            if (e != null) {
                b.append("    server srv").append(slot).append(' ').append(e).append('\n');
                slot++;
                continue;
            }
            int last = slot;
            while (last < be.slots() && !be.used().containsKey(last + 1)) {
                last++;
            }
            if (last == slot) {
                b.append("    server srv").append(slot).append(' ').append(FREE_SLOT_ADDRESS).append(" disabled\n");
            } else {
                b.append("    server-template srv ").append(slot).append('-').append(last).append(' ')
                        .append(FREE_SLOT_ADDRESS).append(" disabled\n");
            }
            slot = last + 1;
        }
    }
}
