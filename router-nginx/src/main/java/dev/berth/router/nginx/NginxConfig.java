package dev.berth.router.nginx;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.Tls;
import dev.berth.support.ProxyProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Renders a whole nginx configuration from a {@link RoutingTable}: one {@code upstream} per app
 * (per distinct balance and endpoint set of an app), one {@code server} per domain with the
 * route's body limit and timeouts (also listening with TLS on the HTTPS port when the route has a
 * certificate), a default server that answers 404 and the generation probe, and, once any route
 * has TLS, a default HTTPS server that refuses unknown host names. Every name and path is checked
 * before any text is produced. Stateless; thread-safe.
 */
final class NginxConfig {
    /** Characters that would let a path break out of an nginx directive. */
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/+@=,-]*");

    /** What the probe location of a rendered configuration answers: {@code return 200 "<generation>\n";}. */
    private static final Pattern GENERATION =
            Pattern.compile("return 200 \"([0-9a-f]+-[0-9]+)\\\\n\";");

    /** The generation that a configuration this class rendered answers to the probe; null for another text. */
    static String generationOf(String text) {
        java.util.regex.Matcher m = GENERATION.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /** The probe location on the default server; answers the generation of the loaded config. */
    static final String PROBE_PATH = ProxyProcess.PROBE_PATH;
    /** The server name the default server logs; not a domain, so not counted as traffic. */
    static final String DEFAULT_SERVER_NAME = "_";

    /**
     * Never mark a server failed: nginx would then skip it for {@code fail_timeout} even after a new
     * process listens on its address, and a domain whose servers are all marked answers 502 ("no live
     * upstreams") although one of them serves again. A dead server costs a request one refused (or
     * timed out) connection instead, and {@code proxy_next_upstream} passes the request on.
     */
    static final int MAX_FAILS = 0;
    static final int KEEPALIVE = 16;

    /**
     * TLS 1.2 ciphers with forward secrecy and AEAD only (Mozilla's "intermediate" list without
     * the DHE suites, which would need a dhparam file); TLS 1.3 suites are OpenSSL's defaults.
     */
    static final String TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
            + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    /**
     * Where everything lives and how nginx runs.
     *
     * @param user       the {@code user} directive's argument ("NAME GROUP"), or {@code null} for none
     *                   (nginx then runs its workers as the user it runs as)
     * @param workerTemp the parent of the temp directories the workers write to
     */
    record Settings(Path prefix, String listenAddress, int httpPort, int httpsPort, int workerProcesses,
            String user, Path workerTemp) {
        Settings {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(listenAddress, "listenAddress");
            Objects.requireNonNull(workerTemp, "workerTemp");
            checkPath("prefix", prefix);
            checkPath("workerTemp", workerTemp);
            if (httpPort == httpsPort) {
                throw new IllegalArgumentException("httpsPort: " + httpsPort
                        + " is not allowed; must differ from httpPort " + httpPort);
            }
        }

        /** No {@code user} directive; temp files under the prefix. */
        Settings(Path prefix, String listenAddress, int httpPort, int httpsPort, int workerProcesses) {
            this(prefix, listenAddress, httpPort, httpsPort, workerProcesses, null, prefix.resolve("temp"));
        }

        Path conf() {
            return prefix.resolve("conf").resolve("nginx.conf");
        }

        Path pidFile() {
            return prefix.resolve("nginx.pid");
        }

        Path errorLog() {
            return prefix.resolve("logs").resolve("error.log");
        }

        Path accessLog() {
            return prefix.resolve("logs").resolve("access.log");
        }

        Path temp() {
            return prefix.resolve("temp");
        }

        /** ADDR:PORT of the plain HTTP listener. */
        String listen() {
            return address() + ":" + httpPort;
        }

        /** ADDR:PORT of the HTTPS listener (used only while some route has TLS). */
        String listenHttps() {
            return address() + ":" + httpsPort;
        }

        private String address() {
            return listenAddress.indexOf(':') >= 0 ? "[" + listenAddress + "]" : listenAddress;
        }
    }

    private NginxConfig() {
    }

    /**
     * Rejects any domain, app name or certificate path that could break a directive (already
     * checked when the values were built; checked again because these strings are written into the
     * file as they are); changes nothing.
     */
    static void validate(RoutingTable table) {
        Objects.requireNonNull(table, "table").check();
    }

    /** Whether any route is served over TLS: only then does nginx listen on the HTTPS port. */
    static boolean usesTls(RoutingTable table) {
        return table.routes().values().stream().anyMatch(r -> r.tls() != null);
    }

    static void checkPath(String field, Path path) {
        String s = path.toString();
        if (!path.isAbsolute() || !SAFE_PATH.matcher(s).matches()) {
            throw new IllegalArgumentException(field + ": '" + s
                    + "' is not allowed; must be an absolute path of A-Z a-z 0-9 . _ / + @ = , - only");
        }
    }

    /** The whole configuration; validates {@code table} first. */
    static String render(RoutingTable table, Settings s, String generation) {
        validate(table);
        StringBuilder b = new StringBuilder(256 + table.routes().size() * 400);
        b.append("# Rendered by Berth's NginxRouter; the next apply() replaces this file.\n");
        if (s.user() != null) {
            // the master keeps root (ports, logs, keys); the workers that parse requests do not
            b.append("user ").append(s.user()).append(";\n");
        }
        b.append("worker_processes ").append(s.workerProcesses()).append(";\n");
        b.append("pid ").append(s.pidFile()).append(";\n");
        b.append("error_log ").append(s.errorLog()).append(" warn;\n\n");
        b.append("events {\n    worker_connections 1024;\n}\n\n");
        b.append("http {\n");
        Path t = s.workerTemp();
        b.append("    client_body_temp_path ").append(t.resolve("client_body")).append(";\n");
        b.append("    proxy_temp_path ").append(t.resolve("proxy")).append(";\n");
        b.append("    fastcgi_temp_path ").append(t.resolve("fastcgi")).append(";\n");
        b.append("    uwsgi_temp_path ").append(t.resolve("uwsgi")).append(";\n");
        b.append("    scgi_temp_path ").append(t.resolve("scgi")).append(";\n");
        b.append("    default_type text/plain;\n");
        b.append("    server_tokens off;\n");
        b.append("    server_names_hash_bucket_size 128;\n");
        b.append("    server_names_hash_max_size 65536;\n");
        // tab-separated: time, domain (server_name), status, bytes sent, request time, upstream
        b.append("    log_format berth '$msec\\t$server_name\\t$status\\t$bytes_sent\\t$request_time\\t$upstream_addr';\n");
        b.append("    access_log ").append(s.accessLog()).append(" berth;\n");
        b.append("    proxy_http_version 1.1;\n");
        b.append("    proxy_set_header Connection \"\";\n");
        b.append("    proxy_set_header Host $host;\n");
        b.append("    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n");
        b.append("    proxy_set_header X-Forwarded-Proto $scheme;\n");
        // A request goes on to the next instance when its connection fails or times out, or when the
        // instance closes it without a complete answer header, but once sent, a POST, LOCK or PATCH
        // never goes on (nginx's rule since 1.9.13; no non_idempotent here). An answer (502, 503...)
        // is the app's own and is never retried. Tries and time per domain, with its settings.
        b.append("    proxy_next_upstream error timeout;\n\n");
        boolean tls = usesTls(table);
        if (tls) {
            b.append("    ssl_protocols TLSv1.2 TLSv1.3;\n");
            b.append("    ssl_ciphers ").append(TLS12_CIPHERS).append(";\n");
            b.append("    ssl_prefer_server_ciphers off;\n");
            // one cache for all workers, kept across reloads (same name and size)
            b.append("    ssl_session_cache shared:berth_tls:10m;\n");
            b.append("    ssl_session_timeout 1h;\n");
            // ticket keys would be new at every reload anyway; the cache resumes sessions instead
            b.append("    ssl_session_tickets off;\n\n");
        }

        Map<String, String> upstreams = upstreamNames(table);
        Map<String, Boolean> rendered = new HashMap<>();
        for (RoutingTable.Route r : table.routes().values()) {
            if (r.endpoints().isEmpty()) {
                continue;
            }
            String name = upstreams.get(key(r));
            if (rendered.putIfAbsent(name, Boolean.TRUE) != null) {
                continue;
            }
            b.append("    # app ").append(r.app()).append('\n');
            b.append("    upstream ").append(name).append(" {\n");
            if (r.balance() == Balance.LEAST_CONN) {
                b.append("        least_conn;\n");
            } else if (r.balance() == Balance.IP_HASH) {
                b.append("        ip_hash;\n");
            }
            for (Endpoint e : r.endpoints()) {
                b.append("        server ").append(e).append(" max_fails=").append(MAX_FAILS).append(";\n");
            }
            b.append("        keepalive ").append(KEEPALIVE).append(";\n");
            b.append("    }\n\n");
        }

        b.append("    server {\n");
        b.append("        listen ").append(s.listen()).append(" default_server;\n");
        b.append("        server_name ").append(DEFAULT_SERVER_NAME).append(";\n");
        b.append("        location = ").append(PROBE_PATH).append(" {\n");
        b.append("            access_log off;\n");
        b.append("            return 200 \"").append(generation).append("\\n\";\n");
        b.append("        }\n");
        b.append("        location / {\n");
        b.append("            return 404 \"404 Not Found: no app is served at this host name.\\n\";\n");
        b.append("        }\n");
        b.append("    }\n");
        if (tls) {
            // A client that names no domain of ours (or none at all, without SNI) is refused in the
            // handshake (nginx >= 1.19.4): there is no certificate for it, and showing it some other
            // domain's certificate would only fail its check and reveal what else is served here.
            b.append("\n    server {\n");
            b.append("        listen ").append(s.listenHttps()).append(" ssl default_server;\n");
            b.append("        server_name ").append(DEFAULT_SERVER_NAME).append(";\n");
            b.append("        ssl_reject_handshake on;\n");
            b.append("    }\n");
        }

        for (Map.Entry<String, RoutingTable.Route> e : table.routes().entrySet()) {
            String domain = e.getKey();
            RoutingTable.Route r = e.getValue();
            b.append("\n    server {\n");
            b.append("        listen ").append(s.listen()).append(";\n");
            if (r.tls() != null) {
                // also over HTTPS; plain HTTP keeps serving the domain (no redirect)
                b.append("        listen ").append(s.listenHttps()).append(" ssl;\n");
            }
            b.append("        server_name ").append(domain).append(";\n");
            if (r.tls() != null) {
                b.append("        ssl_certificate ").append(r.tls().certificate()).append(";\n");
                b.append("        ssl_certificate_key ").append(r.tls().key()).append(";\n");
            }
            settings(b, r.settings());
            b.append("        location / {\n");
            if (r.status() == RoutingTable.Route.Status.NOT_DEPLOYED) {
                b.append("            return 503 \"503 Service Unavailable: app ").append(r.app())
                        .append(" is not deployed yet: git push to deploy it.\\n\";\n");
            } else if (r.endpoints().isEmpty()) {
                b.append("            return 503 \"503 Service Unavailable: app ").append(r.app())
                        .append(" has no healthy instance.\\n\";\n");
            } else {
                b.append("            proxy_pass http://").append(upstreams.get(key(r))).append(";\n");
                retries(b, r);
            }
            b.append("        }\n");
            b.append("    }\n");
        }
        b.append("}\n");
        return b.toString();
    }

    /** The route's body limit (0: none) and timeouts in nginx's units: MiB as "m", milliseconds as "ms". */
    private static void settings(StringBuilder b, RouteSettings rs) {
        String body = rs.maxBodyMb() == 0 ? "0" : rs.maxBodyMb() + "m";
        b.append("        client_max_body_size ").append(body).append(";\n");
        b.append("        proxy_connect_timeout ").append(ms(rs.connectTimeout())).append(";\n");
        // send (between two writes of the request to the instance) as long as read
        b.append("        proxy_read_timeout ").append(ms(rs.readTimeout())).append(";\n");
        b.append("        proxy_send_timeout ").append(ms(rs.readTimeout())).append(";\n");
    }

    /**
     * Each instance at most once per request ({@code proxy_next_upstream_tries}: the number of
     * endpoints), and only within the route's read timeout from the first try: a request that waited
     * out a whole read timeout is not passed on (the instance may be doing the work; replaying slow
     * requests multiplies the load on an app already too slow), as with haproxy.
     */
    private static void retries(StringBuilder b, RoutingTable.Route r) {
        b.append("            proxy_next_upstream_tries ").append(r.endpoints().size()).append(";\n");
        b.append("            proxy_next_upstream_timeout ").append(ms(r.settings().readTimeout())).append(";\n");
    }

    private static String ms(Duration d) {
        return d.toMillis() + "ms";
    }

    private static String key(RoutingTable.Route r) {
        return r.app() + "|" + r.balance() + "|" + r.endpoints();
    }

    /** berth_APP for an app's first distinct upstream, berth_APP_2, _3... for the others. */
    private static Map<String, String> upstreamNames(RoutingTable table) {
        Map<String, String> names = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        for (RoutingTable.Route r : table.routes().values()) {
            if (r.endpoints().isEmpty() || names.containsKey(key(r))) {
                continue;
            }
            String name = "berth_" + r.app();
            for (int n = 2; !used.add(name); n++) {
                name = "berth_" + r.app() + "_" + n;
            }
            names.put(key(r), name);
        }
        return names;
    }
}
