// ControlServerTlsIT: the control API over HTTPS on a real platform, and its certificate replaced on disk while it serves.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.core.Platform;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ControlServer} with TLS against a real platform (process backend) on a loopback port, with
 * certificates made by the real openssl: served over HTTPS only, and a certificate replaced on disk
 * is what new connections get, without a restart; a broken replacement leaves the old one serving.
 */
class ControlServerTlsIT {
    private static final String ADMIN = "admin-token-0123456789";
    private static final Duration RELOAD = Duration.ofMillis(200);

    @TempDir
    Path tmp;

    private final Set<X509Certificate> trusted = new HashSet<>();
    private Platform platform;
    private ControlServer server;

    @BeforeEach
    void startPlatform() {
        platform = TestPlatforms.processes(tmp, 8, b -> b);
    }

    @AfterEach
    void stop() {
        TestPlatforms.stop(server, platform);
    }

    private ControlServer.Builder builder() {
        return ControlServer.builder().platform(platform).bind("127.0.0.1", 0).tokens(Tokens.admin(ADMIN))
                .tlsReloadInterval(RELOAD);
    }

    private TlsFiles.Pair trust(TlsFiles.Pair pair) throws Exception {
        trusted.add(TlsFiles.certificate(pair.cert()));
        return pair;
    }

    /** A GET on a new connection (a new client), trusting the test's certificates. */
    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return TlsFiles.client(trusted).send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The subject new connections are served. */
    private String served() throws Exception {
        HttpResponse<String> health = get("/v1/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        return TlsFiles.servedSubject(health);
    }

    @Test
    void aReplacedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
        TlsFiles.Pair live = trust(TlsFiles.rsa(tmp.resolve("live"), "one"));
        server = builder().tlsPem(live.cert(), live.key()).build();
        int port = server.port();
        assertThat(server.url()).isEqualTo("https://127.0.0.1:" + port);

        HttpResponse<String> health = get("/v1/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"ok\"");
        assertThat(TlsFiles.servedSubject(health)).isEqualTo("CN=one");
        assertThat(health.sslSession().orElseThrow().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
        HttpResponse<String> apps = get("/v1/apps", ADMIN);
        assertThat(apps.statusCode()).isEqualTo(200);
        assertThat(apps.body().trim()).isEqualTo("[]");
        assertThat(get("/v1/apps", null).statusCode()).isEqualTo(401);

        // the deploy tool writes an EC pair for CN=two next to them and renames each into place
        TlsFiles.Pair two = trust(TlsFiles.ec(tmp.resolve("two"), "two"));
        TlsFiles.replace(live.cert(), two.cert());
        TlsFiles.replace(live.key(), two.key());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> served().equals("CN=two"));
        assertThat(server.port()).isEqualTo(port);
        assertThat(server.tls().reloads()).isEqualTo(1);
        assertThat(get("/v1/apps", ADMIN).statusCode()).isEqualTo(200);

        // garbage in the key file: CN=two goes on serving, and the failure is reported once
        int failures = server.tls().failures();
        TlsFiles.replace(live.key(), "-----BEGIN PRIVATE KEY-----\ngarbage\n".getBytes(StandardCharsets.US_ASCII));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.tls().failures() == failures + 1);
        await().during(RELOAD.multipliedBy(5)).atMost(Duration.ofSeconds(10)).until(() -> server.tls().failures() == failures + 1);
        assertThat(served()).isEqualTo("CN=two");
        assertThat(get("/v1/apps", ADMIN).statusCode()).isEqualTo(200);

        // a certificate with the wrong key: still CN=two; then the right key, and CN=three is served
        TlsFiles.Pair three = trust(TlsFiles.rsa(tmp.resolve("three"), "three"));
        TlsFiles.replace(live.cert(), three.cert());
        TlsFiles.replace(live.key(), two.key());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.tls().failures() >= failures + 2);
        assertThat(served()).isEqualTo("CN=two");
        TlsFiles.replace(live.key(), three.key());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> served().equals("CN=three"));
        assertThat(server.tls().reloads()).isEqualTo(2);
    }

    @Test
    void pkcs12IsServedAndReloaded() throws Exception {
        Path p12 = TlsFiles.p12(trust(TlsFiles.rsa(tmp.resolve("one"), "one")), "secret");
        char[] password = "secret".toCharArray();
        server = builder().tlsPkcs12(p12, password).build();
        java.util.Arrays.fill(password, '\0'); // the builder kept its own copy
        assertThat(served()).isEqualTo("CN=one");
        assertThat(get("/v1/apps", ADMIN).statusCode()).isEqualTo(200);

        Path two = TlsFiles.p12(trust(TlsFiles.ec(tmp.resolve("two"), "two")), "secret");
        TlsFiles.replace(p12, two);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> served().equals("CN=two"));
    }

    @Test
    void plainHttpToTheTlsPortGetsNoAnswer() throws Exception {
        TlsFiles.Pair one = trust(TlsFiles.rsa(tmp.resolve("one"), "one"));
        server = builder().tlsPem(one.cert(), one.key()).build();
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/apps");
        HttpRequest request = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + ADMIN)
                .timeout(Duration.ofSeconds(10)).build();
        long started = System.nanoTime();
        assertThatThrownBy(() -> plain.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class).isNotInstanceOf(HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5)); // refused, not ignored
        assertThat(served()).isEqualTo("CN=one"); // and HTTPS goes on
    }

    @Test
    void badTlsFilesFailTheBuildAndNothingListens() throws Exception {
        TlsFiles.Pair one = TlsFiles.rsa(tmp.resolve("one"), "one");
        TlsFiles.Pair two = TlsFiles.rsa(tmp.resolve("two"), "two");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path missing = tmp.resolve("missing.pem");
        assertThatThrownBy(() -> ControlServer.builder().platform(platform).bind("127.0.0.1", port).tokens(Tokens.admin(ADMIN))
                .tlsPem(one.cert(), missing).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tlsPem: private key " + missing)
                .hasMessageContaining("PKCS#8 PRIVATE KEY");
        assertThat(TlsFiles.listening(port)).isFalse();

        TlsFiles.openssl(tmp, "rsa", "-in", one.key().toString(), "-traditional", "-out", "pkcs1.pem");
        assertThatThrownBy(() -> ControlServer.builder().platform(platform).bind("127.0.0.1", port).tokens(Tokens.admin(ADMIN))
                .tlsPem(one.cert(), tmp.resolve("pkcs1.pem")).build())
                .hasMessageStartingWith("tlsPem: private key").hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        assertThatThrownBy(() -> ControlServer.builder().platform(platform).bind("127.0.0.1", port).tokens(Tokens.admin(ADMIN))
                .tlsPem(one.cert(), two.key()).build())
                .hasMessageStartingWith("tlsPem: private key").hasMessageContaining("does not belong");
        Path p12 = TlsFiles.p12(one, "secret");
        assertThatThrownBy(() -> ControlServer.builder().platform(platform).bind("127.0.0.1", port).tokens(Tokens.admin(ADMIN))
                .tlsPkcs12(p12, "nope".toCharArray()).build())
                .hasMessageStartingWith("tlsPkcs12: PKCS#12 file " + p12).hasMessageContaining("password is wrong");
        assertThat(TlsFiles.listening(port)).isFalse();
        assertThat(platform.apps()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("berth-api-tls"));
        // and the same port serves once the files are right
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", port).tokens(Tokens.admin(ADMIN))
                .tlsPem(trust(one).cert(), one.key()).build();
        assertThat(server.port()).isEqualTo(port);
        assertThat(served()).isEqualTo("CN=one");
        assertThat(server.url()).isEqualTo("https://127.0.0.1:" + port);
    }
}
