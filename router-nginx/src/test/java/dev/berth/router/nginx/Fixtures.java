package dev.berth.router.nginx;

import static java.util.concurrent.TimeUnit.SECONDS;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.berth.api.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the router ITs start and talk to: owned routers on free ports, tiny upstream HTTP servers
 * on 127.0.0.1, a raw HTTP/1.1 client (one connection per request, {@code Connection: close}), an
 * HTTPS client that trusts exactly one certificate, and self-signed certificates from the
 * {@code openssl} CLI. Closing it stops everything it started. Not thread-safe, except the static
 * clients.
 */
final class Fixtures implements AutoCloseable {
    private final Path dir;
    private final List<NginxRouter> routers = new ArrayList<>();
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();

    Fixtures(Path dir) {
        this.dir = dir;
    }

    /** An owned router under {@code dir/name}, on a free HTTP and a free HTTPS port. */
    NginxRouter router(String name, UnaryOperator<NginxRouter.Builder> more) throws IOException {
        NginxRouter r = more.apply(NginxRouter.builder().prefix(dir.resolve(name)).httpPort(freePort())
                .httpsPort(freePort())).build();
        routers.add(r);
        return r;
    }

    /** An upstream on 127.0.0.1 with its own small thread pool (so that a slow answer blocks no other). */
    Endpoint upstream(HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        s.setExecutor(pool);
        s.createContext("/", handler);
        s.start();
        servers.add(s);
        executors.add(pool);
        return new Endpoint("127.0.0.1", s.getAddress().getPort());
    }

    /** An upstream that answers {@code name}, a space and the X-Forwarded-Proto nginx sent. */
    Endpoint upstream(String name) throws IOException {
        return upstream(ex -> {
            ex.getRequestBody().readAllBytes();
            answer(ex, 200, name + " " + ex.getRequestHeaders().getFirst("X-Forwarded-Proto"));
        });
    }

    /**
     * Stops the upstream at {@code e} gracefully: closes its listener, lets the exchanges in progress
     * finish (up to a second), then closes its connections.
     */
    void stopUpstream(Endpoint e) {
        for (HttpServer s : servers) {
            if (s.getAddress().getPort() == e.port()) {
                s.stop(1);
                return;
            }
        }
        throw new IllegalArgumentException("no upstream at " + e);
    }

    static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        routers.forEach(NginxRouter::close);
        servers.forEach(s -> s.stop(0));
        executors.forEach(ExecutorService::shutdownNow);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The HTTP port the router's current configuration listens on. */
    static int httpPort(NginxRouter router) throws IOException {
        return Integer.parseInt(Files.readString(router.configFile()).lines()
                .filter(l -> l.contains("default_server;") && !l.contains(" ssl ")).findFirst().orElseThrow()
                .replaceAll(".*:(\\d+) default_server;.*", "$1"));
    }

    // --- clients -----------------------------------------------------------------------------

    /** A whole response: status, headers (lower-case names), body, and every byte that came. */
    record Response(int status, Map<String, String> headers, String body, int size) {
    }

    static Response get(int port, String host) throws IOException {
        return request(port, host, "GET", null);
    }

    /**
     * One request on a new connection to 127.0.0.1:{@code port}, {@code Connection: close}; a body
     * is written by another thread, so that an answer nginx gives before reading it all (413) is read.
     */
    static Response request(int port, String host, String method, byte[] body) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(10_000);
            return exchange(s, host, method, body);
        }
    }

    /** GET / over HTTPS to 127.0.0.1:{@code port}, SNI and host name check for {@code host}. */
    static Response https(int port, String host, SSLContext trusting) throws IOException {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            plain.setSoTimeout(10_000);
            try (SSLSocket s = (SSLSocket) trusting.getSocketFactory().createSocket(plain, host, port, true)) {
                SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new SNIHostName(host)));
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                return exchange(s, host, "GET", null);
            }
        }
    }

    private static Response exchange(Socket s, String host, String method, byte[] body) throws IOException {
        String head = method + " / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
                + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n";
        OutputStream out = s.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread writer = null;
        if (body != null) {
            writer = new Thread(() -> {
                try {
                    out.write(body);
                    out.flush();
                } catch (IOException e) {
                    // nginx answered and closed before taking it all (413): the answer is what counts
                }
            }, "body-writer");
            writer.start();
        }
        byte[] all = s.getInputStream().readAllBytes();
        if (writer != null) {
            try {
                writer.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return parse(all);
    }

    /** Parses a complete HTTP/1.1 response; throws when it is cut short. */
    static Response parse(byte[] all) throws IOException {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) {
            throw new IOException("not a complete HTTP response (" + all.length + " bytes): "
                    + text.substring(0, Math.min(80, text.length())));
        }
        Map<String, String> headers = new TreeMap<>();
        for (String line : text.substring(0, end).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
        }
        String body = text.substring(end + 4);
        String length = headers.get("content-length");
        if (length != null && Integer.parseInt(length) != body.length()) {
            throw new IOException("body cut short: " + body.length() + " of " + length + " bytes");
        }
        return new Response(Integer.parseInt(text.substring(9, 12)), headers,
                new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), all.length);
    }

    // --- certificates -------------------------------------------------------------------------

    /** A self-signed certificate for {@code name} (CN and subjectAltName) and its key, from openssl. */
    record Cert(Path certificate, Path key) {
    }

    Cert selfSigned(String name) throws IOException, InterruptedException {
        Path d = Files.createDirectories(dir.resolve("certs").resolve(name));
        Path key = d.resolve("k.pem");
        Path cert = d.resolve("c.pem");
        Path log = d.resolve("openssl.out");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=" + name, "-addext", "subjectAltName=DNS:" + name, "-days", "2", "-keyout", key.toString(),
                "-out", cert.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl req failed: " + Files.readString(log));
        }
        return new Cert(cert, key);
    }

    /** TLS that trusts exactly the certificate in {@code pem}, nothing else. */
    static SSLContext trusting(Path pem) throws Exception {
        X509Certificate c;
        try (InputStream in = Files.newInputStream(pem)) {
            c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("only", c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
