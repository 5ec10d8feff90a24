package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instance;
import dev.berth.api.InstanceState;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The platform and a real nginx: a domain reaches the app's healthy instances, and only those. */
class RoutedPlatformIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Platform platform;
    private int port;

    @AfterEach
    void stop() {
        if (platform != null) {
            try {
                platform.stopAll(WAIT);
            } finally {
                platform.close(); // closes the router too, which stops its nginx
            }
        }
    }

    /** A response: status and body. */
    private record Response(int statusCode, String body) {
    }

    /** GET / with that Host header, over a plain socket (java.net.http refuses to set Host). */
    private Response get(String host) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET / HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(all.substring(all.indexOf(' ') + 1, all.indexOf(' ') + 4));
            int bodyAt = all.indexOf("\r\n\r\n");
            return new Response(status, bodyAt < 0 ? "" : all.substring(bodyAt + 4));
        }
    }

    /** The instance ids that answer {@code count} requests (each must succeed). */
    private Set<String> answering(int count) throws IOException {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            Response r = get("hello.test");
            assertThat(r.statusCode()).isEqualTo(200);
            seen.add(r.body().split(" ")[2]); // "hello from <id> (...)"
        }
        return seen;
    }

    @Test
    void aDomainReachesTheHealthyInstancesOnly() throws Exception {
        port = TestTools.freePort();
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(port).build())
                .stateDir(tmp.resolve("state"))
                .build();
        platform.deploy(AppSpec.builder("hello")
                .command(Samples.javaCommand(HelloApp.class))
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(2)
                .routing(Routing.of("hello.test"))
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500)))
                .build());
        await().atMost(WAIT).until(() -> platform.instances("hello").stream()
                .filter(i -> i.record().state() == InstanceState.HEALTHY).count() == 2);

        // Both healthy instances serve the domain; an unknown host is 404.
        await().atMost(WAIT).ignoreExceptions().until(() -> answering(10).size() == 2);
        assertThat(get("nobody.test").statusCode()).isEqualTo(404);

        // A host name added to the running app is served at once by the same instances; removed, it is 404.
        String release = platform.app("hello").release();
        Set<String> handles = new HashSet<>(platform.instances("hello").stream().map(i -> i.record().handle()).toList());
        platform.addHostname("hello", "Hi.Test");
        await().atMost(WAIT).until(() -> get("hi.test").statusCode() == 200);
        assertThat(get("hello.test").statusCode()).isEqualTo(200);
        assertThat(platform.app("hello").release()).isEqualTo(release);
        assertThat(platform.instances("hello")).extracting(i -> i.record().handle()).containsExactlyInAnyOrderElementsOf(handles);
        platform.removeHostname("hello", "hi.test");
        await().atMost(WAIT).until(() -> get("hi.test").statusCode() == 404);
        assertThatThrownBy(() -> platform.addHostname("hello", "a;b.test")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("routing.domains");
        assertThat(platform.app("hello").spec().routing().domains()).containsExactly("hello.test");

        // One stopped on purpose leaves the table; every request still succeeds, on the other.
        List<Instance> instances = platform.instances("hello");
        instances.get(0).stop();
        String left = instances.get(1).id();
        await().atMost(WAIT).until(() -> answering(10).equals(Set.of(left)));

        // The app stopped: the domain answers 503, not a connection error.
        platform.stop("hello");
        await().atMost(WAIT).until(() -> get("hello.test").statusCode() == 503);
    }
}
