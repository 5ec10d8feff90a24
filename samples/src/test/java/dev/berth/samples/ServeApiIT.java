package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serve's control API: with {@code BERTH_TOKEN} it serves the manifest folder's apps on
 * {@code --api-port} to that token only; without a token it starts none and says so; a token file
 * with a bad line refuses the start and names the line.
 */
class ServeApiIT {
    private static final String TOKEN = "serve-admin-token-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private Path manifests() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(dir.resolve("sleeper.yml"), """
                apps:
                  sleeper:
                    command: [sh, -c, "exec sleep 300"]
                    instances: 2
                """);
        return dir;
    }

    private HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTokenInTheEnvironmentStartsTheApiOnItsPort() throws Exception {
        int port = TestTools.freePort();
        try (JavaMain serve = new JavaMain(Map.of(ServeApi.BERTH_TOKEN, TOKEN), tmp.resolve("serve.out"), Serve.class,
                "--manifests", manifests().toString(), "--state", tmp.resolve("state").toString(), "--router", "none",
                "--stop-on-exit", "--api-port", Integer.toString(port))) {
            await().atMost(WAIT).until(() -> serve.count("control API on http://127.0.0.1:" + port) == 1
                    || !serve.process.isAlive());
            assertThat(serve.process.isAlive()).as("%s", serve.lines()).isTrue();
            await().atMost(WAIT).ignoreExceptions().until(() -> get(port, "/v1/apps", TOKEN).body()
                    .matches("(?s).*\"name\":\"sleeper\".*\"(RUNNING|HEALTHY)\":2.*"));
            assertThat(get(port, "/v1/apps", null).statusCode()).isEqualTo(401);
            assertThat(get(port, "/v1/apps", "another-token-0123456789").statusCode()).isEqualTo(401);
            assertThat(get(port, "/v1/health", null).statusCode()).isEqualTo(200);
            assertThat(serve.count("web page on http://127.0.0.1:" + port + "/")).isEqualTo(1);
            assertThat(get(port, "/login", null).body()).contains("<label for=\"token\">API token</label>");
            assertThat(serve.lines()).noneMatch(l -> l.contains(TOKEN));
        }
    }

    @Test
    void withoutATokenThereIsNoApiAndABadTokensFileRefusesTheStart() throws Exception {
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", manifests().toString(),
                "--state", tmp.resolve("state").toString(), "--router", "none", "--stop-on-exit")) {
            await().atMost(WAIT).until(() -> serve.count("no control API") == 1 || !serve.process.isAlive());
            assertThat(serve.count("give --tokens FILE or set BERTH_TOKEN")).isEqualTo(1);
        }
        Path tokens = Files.writeString(tmp.resolve("tokens"), "admin " + TOKEN + "\nroot nobody-knows-this-0123\n");
        JavaMain refused = new JavaMain(tmp.resolve("refused.out"), Serve.class, "--manifests", manifests().toString(),
                "--state", tmp.resolve("state2").toString(), "--router", "none", "--tokens", tokens.toString());
        assertThat(refused.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("Serve ended").isTrue();
        assertThat(refused.process.exitValue()).isEqualTo(2);
        assertThat(refused.lines()).anyMatch(l -> l.contains(tokens + " line 2: scope 'root' is not one of read, deploy, admin"));
        assertThat(refused.lines()).noneMatch(l -> l.contains("nobody-knows-this"));
        assertThat(tmp.resolve("state2")).doesNotExist();
    }

    @Test
    void tlsFlagsServeHttpsWithTheGivenCertificateAndABadPairRefusesTheStart() throws Exception {
        Path cert = tmp.resolve("cert.pem");
        Path key = tmp.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-subj", "/CN=serve-api", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("openssl.out").toFile()).start();
        assertThat(openssl.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && openssl.exitValue() == 0)
                .as("openssl made a certificate").isTrue();
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("serve", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();

        int port = TestTools.freePort();
        try (JavaMain serve = new JavaMain(Map.of(ServeApi.BERTH_TOKEN, TOKEN), tmp.resolve("serve.out"), Serve.class,
                "--manifests", manifests().toString(), "--state", tmp.resolve("state").toString(), "--router", "none",
                "--stop-on-exit", "--api-port", Integer.toString(port), "--api-tls-cert", cert.toString(),
                "--api-tls-key", key.toString())) {
            await().atMost(WAIT).until(() -> serve.count("control API on https://127.0.0.1:" + port) == 1
                    || !serve.process.isAlive());
            assertThat(serve.process.isAlive()).as("%s", serve.lines()).isTrue();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
                    + "/v1/health")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.sslSession()).hasValueSatisfying(session -> assertThat(session.getProtocol()).startsWith("TLSv1."));
        }

        JavaMain refused = new JavaMain(Map.of(ServeApi.BERTH_TOKEN, TOKEN), tmp.resolve("refused.out"), Serve.class,
                "--manifests", manifests().toString(), "--state", tmp.resolve("state2").toString(), "--router", "none",
                "--api-tls-cert", cert.toString());
        assertThat(refused.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("Serve ended").isTrue();
        assertThat(refused.process.exitValue()).isEqualTo(2);
        assertThat(refused.lines()).anyMatch(l -> l.contains("--api-tls-cert and --api-tls-key go together"));
        assertThat(tmp.resolve("state2")).doesNotExist();
    }
}
