package dev.berth.backend.docker;

import static dev.berth.backend.docker.Kit.req;
import static dev.berth.backend.docker.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import dev.berth.spi.RunningInstance;

/**
 * The Docker backend while the real dockerd goes down and comes back: clear errors while it is
 * down, each instance's exit reported once, no duplicated container after it is back, and the
 * event stream working again. The daemon comes back with a TLS listener on 127.0.0.1 as well, so
 * that the backend is also tested over TCP with TLS; the original command line is restored at the
 * end.
 */
class DaemonRestartIT {
    record Exit(String id, String handle, ExitInfo info) {
    }

    private static Dockerd original;
    private static Path certs;

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
        original = Dockerd.running();
    }

    @AfterAll
    static void restore() throws Exception {
        try {
            if (!original.argv().equals(Dockerd.running().argv())) {
                Dockerd.stop();
                Dockerd.start(original.argv());
            }
        } finally {
            Kit.removeTestImages();
            if (certs != null) {
                Kit.run(List.of("rm", "-rf", certs.toString()));
            }
        }
    }

    /** An httpd that ends at once on SIGTERM (as PID 1 it would ignore it), so that dockerd stops it quickly. */
    private static AppSpec web(String app) {
        return Kit.sh(app, "mkdir -p /tmp/w && echo \"hello $BERTH_INSTANCE_ID\" > /tmp/w/index.html"
                + " && trap 'kill $child; exit 143' TERM; httpd -f -p $PORT -h /tmp/w & child=$!; wait $child")
                .env("PORT", AppSpec.RANDOM_PORT).build();
    }

    @Test
    void aRestartedDaemonIsResynchronizedWithoutDuplicatesAndServesTls() throws Exception {
        String node = Kit.node();
        List<Exit> exits = new CopyOnWriteArrayList<>();
        AppSpec web = web("restarted");
        try (DockerBackend backend = Kit.builder(node).build()) {
            backend.onExit((id, handle, exit) -> exits.add(new Exit(id, handle, exit)));
            RunningInstance one = backend.start(req("restarted-1", node, web));
            RunningInstance two = backend.start(req("restarted-2", node, web));

            Dockerd.stop();

            // Down: clear errors that name the engine, and nothing half-made.
            assertThatThrownBy(() -> backend.start(req("restarted-3", node, web)))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("instance 'restarted-3'")
                    .hasMessageContaining("cannot reach the Docker daemon at unix:///var/run/docker.sock");
            assertThatThrownBy(backend::list).isInstanceOf(BackendException.class)
                    .hasMessageContaining("is dockerd running?");

            // Back, with a TLS listener too.
            certs = Files.createTempDirectory("berth-docker-tls");
            int tlsPort = freePort();
            Certificates.make(certs);
            List<String> argv = new ArrayList<>(original.argv());
            if (!original.namesHosts()) {
                argv.addAll(List.of("-H", "unix:///var/run/docker.sock"));
            }
            argv.addAll(List.of("-H", "tcp://127.0.0.1:" + tlsPort, "--tlsverify",
                    "--tlscacert=" + certs.resolve("ca.pem"), "--tlscert=" + certs.resolve("server-cert.pem"),
                    "--tlskey=" + certs.resolve("server-key.pem")));
            Dockerd.start(argv);

            // The containers ended with the daemon: each exit is reported once, with its container.
            waiting().until(() -> exits.size() >= 2);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> exits.size() == 2);
            assertThat(exits).extracting(Exit::id, Exit::handle).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("restarted-1", one.handle()),
                    org.assertj.core.groups.Tuple.tuple("restarted-2", two.handle()));
            assertThat(backend.list()).isEmpty();

            // Started again: one container per instance, never two, and they serve.
            RunningInstance again = backend.start(req("restarted-1", node, web));
            backend.start(req("restarted-2", node, web));
            backend.start(req("restarted-3", node, web));
            for (String id : List.of("restarted-1", "restarted-2", "restarted-3")) {
                assertThat(Kit.docker("ps", "-aq", "--filter", "label=" + DockerBackend.INSTANCE + "=" + id).out()
                        .lines().count()).as("containers of %s", id).isEqualTo(1);
            }
            assertThat(again.handle()).isNotEqualTo(one.handle());
            assertThat(get(again)).isEqualTo("hello restarted-1");

            // The event stream is back: a container killed from outside is reported.
            Kit.docker("kill", again.handle());
            waiting().until(() -> exits.stream().anyMatch(e -> e.handle().equals(again.handle())));
        }

        // Over TCP with TLS: the same engine, the client certificate checked.
        int port = Integer.parseInt(Dockerd.running().argv().stream().filter(a -> a.startsWith("tcp://127.0.0.1:"))
                .findFirst().orElseThrow().substring("tcp://127.0.0.1:".length()));
        String tlsNode = Kit.node();
        try (DockerBackend tls = Kit.builder(tlsNode).dockerHost("tcp://127.0.0.1:" + port).tls(certs).build()) {
            assertThat(tls.nodeSpec().capacity().get("cpu")).isPositive();
            RunningInstance i = tls.start(req("tls-1", tlsNode, web("tls")));
            assertThat(get(i)).isEqualTo("hello tls-1");
            assertThat(tls.list()).extracting(RunningInstance::instanceId).containsExactly("tls-1");
        }
        try (DockerBackend plain = Kit.builder(Kit.node()).dockerHost("tcp://127.0.0.1:" + port).build()) {
            assertThatThrownBy(plain::list).isInstanceOf(BackendException.class)
                    .hasMessageContaining("tcp://127.0.0.1:" + port);
        } finally {
            Kit.removeTestContainers();
        }
    }

    private static String get(RunningInstance i) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String[] body = new String[1];
        waiting().ignoreExceptions().until(() -> {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + i.endpoint() + "/"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            body[0] = r.body().trim();
            return r.statusCode() == 200;
        });
        return body[0];
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
    static final class Certificates {
        static void make(Path dir) throws IOException {
            String d = dir.toString();
            Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
            Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca-key.pem", "-out", d + "/ca.pem",
                    "-days", "2", "-subj", "/CN=berth-test-ca");
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server-key.pem", "-out", d + "/server.csr",
                    "-subj", "/CN=127.0.0.1");
            openssl("x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca-key.pem",
                    "-CAcreateserial", "-out", d + "/server-cert.pem", "-days", "2", "-extfile", d + "/server.ext");
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/key.pem", "-out", d + "/client.csr",
                    "-subj", "/CN=berth-test-client");
            openssl("x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca-key.pem",
                    "-CAcreateserial", "-out", d + "/cert.pem", "-days", "2", "-extfile", d + "/client.ext");
        }

        private static void openssl(String... args) throws IOException {
            List<String> argv = new ArrayList<>(List.of("openssl"));
            argv.addAll(List.of(args));
            Kit.Result r = Kit.run(argv);
            if (r.code() != 0) {
                throw new AssertionError(argv + " failed: " + r.out());
            }
        }
    }
}
