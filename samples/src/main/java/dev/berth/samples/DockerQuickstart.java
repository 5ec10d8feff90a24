package dev.berth.samples;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instance;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.Source;
import dev.berth.backend.docker.DockerBackend;
import dev.berth.core.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The quickstart on Docker: the same "hello" app, three instances, each a container on the local
 * Docker Engine. No registry is needed: the app's image is built here, from a directory source
 * whose Dockerfile starts {@code FROM scratch} and copies in Debian's static busybox, whose
 * {@code httpd} answers "hello from INSTANCE" on {@code /} and "ok" on {@code /health}. It prints
 * the build's output, what happens to each instance, and the endpoints and container ids;
 * {@code docker kill} one and watch it come back. Ctrl-C stops the containers and exits.
 *
 * <p>Usage: {@code DockerQuickstart [STATE_DIR]} (default {@code berth-docker-quickstart}). Needs
 * a running dockerd and {@code /bin/busybox} ({@code apt-get install docker.io busybox-static}).
 */
public final class DockerQuickstart {
    private static final String HELLO = """
            #!/bin/sh
            # The hello app: one page per instance, a health file, httpd in the foreground.
            mkdir -p /www
            echo "hello from $BERTH_INSTANCE_ID (release $BERTH_RELEASE${VERSION:+, $VERSION})" > /www/index.html
            echo ok > /www/health
            # As PID 1, sh must end on TERM itself (the default action is ignored for PID 1).
            trap 'kill $child; exit 0' TERM INT
            httpd -f -p "$PORT" -h /www &
            child=$!
            wait $child
            """;

    private DockerQuickstart() {
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args.length > 0 ? args[0] : "berth-docker-quickstart").toAbsolutePath();
        Path context = helloImage(state.resolve("hello-image"), "");
        DockerBackend docker = DockerBackend.builder().build();
        CountDownLatch healthy = new CountDownLatch(3);
        Platform platform = Platform.builder()
                .node(docker.nodeSpec())
                .backend(docker)
                .stateDir(state.resolve("state"))
                .listener(new EventPrinter(System.out))
                .listener(e -> {
                    if (e instanceof PlatformEvent.InstanceHealthy) {
                        healthy.countDown();
                    }
                })
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping every container ...");
            platform.stopAll(Duration.ofSeconds(30));
            platform.close();
            docker.close();
            System.out.println("stopped.");
        }, "docker-quickstart-shutdown"));

        App hello = platform.deploy(AppSpec.builder("hello")
                .source(Source.directory(context))
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(3)
                .resources(Resources.builder().cpu(0.25).memoryMb(32).build())
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .build());
        healthy.await();
        System.out.println();
        System.out.println("hello runs " + hello.instances().size() + " containers:");
        for (Instance i : hello.instances()) {
            var r = i.record();
            if (r.state() == InstanceState.HEALTHY) {
                System.out.println("  " + r.id() + "  container " + r.handle().substring(0, 12) + "  http://" + r.endpoint() + "/");
            }
        }
        System.out.println("Try: curl http://<endpoint>/   then   docker kill <container>   and watch it respawn. Ctrl-C stops all.");
        System.out.println();
        new CountDownLatch(1).await();
    }

    /**
     * Writes the hello app's image build context into {@code dir}: a Dockerfile {@code FROM scratch}
     * with {@code /bin/busybox} (its applets installed) and the hello script. {@code version}, when
     * not empty, is part of every answer, so that two contexts make two different releases.
     *
     * @return {@code dir}
     */
    public static Path helloImage(Path dir, String version) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isRegularFile(busybox)) {
            throw new IllegalStateException("/bin/busybox is missing: apt-get install busybox-static");
        }
        Files.createDirectories(dir);
        Files.copy(busybox, dir.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("hello.sh"), HELLO);
        Files.setPosixFilePermissions(dir.resolve("hello.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                RUN ["/bin/busybox", "--install", "-s", "/bin"]
                COPY hello.sh /hello.sh
                ENV PATH=/bin
                """ + (version.isEmpty() ? "" : "ENV VERSION=" + version + "\n") + """
                CMD ["/bin/sh", "/hello.sh"]
                """);
        return dir;
    }
}
