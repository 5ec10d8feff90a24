package dev.berth.samples;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instance;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The first thing to run: three instances of {@link HelloApp} as local processes. It prints what
 * happens (started, healthy, exited, respawned) and the endpoints; {@code kill -9} one of the
 * printed pids and watch it come back. Ctrl-C stops the instances and exits.
 *
 * <p>Usage: {@code Quickstart [STATE_DIR]} (default {@code berth-quickstart}).
 */
public final class Quickstart {
    private Quickstart() {
    }

    /** The quickstart's app: 3 instances of {@code command} (HelloApp's), a port each, an HTTP check. */
    static AppSpec helloSpec(java.util.List<String> command) {
        return AppSpec.builder("hello")
                .command(command)
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(3)
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofSeconds(1), Duration.ofSeconds(1))
                       .withGracePeriod(Duration.ofSeconds(20)))
                .build();
    }

    public static void main(String[] args) throws InterruptedException {
        Path state = Path.of(args.length > 0 ? args[0] : "berth-quickstart").toAbsolutePath();
        Resources machine = Resources.builder().cpu(Runtime.getRuntime().availableProcessors()).build();
        CountDownLatch healthy = new CountDownLatch(3);
        Platform platform = Platform.builder()
                .node(NodeSpec.of("local", machine))
                .backend(ProcessBackend.builder().baseDir(state.resolve("instances")).build())
                .stateDir(state.resolve("state"))
                .listener(new EventPrinter(System.out))
                .listener(e -> {
                    if (e instanceof PlatformEvent.InstanceHealthy) {
                        healthy.countDown();
                    }
                })
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping every instance ...");
            platform.stopAll(Duration.ofSeconds(30));
            platform.close();
            System.out.println("stopped.");
        }, "quickstart-shutdown"));

        App hello = platform.deploy(helloSpec(Samples.javaCommand(HelloApp.class)));
        healthy.await();
        System.out.println();
        System.out.println("hello runs " + hello.instances().size() + " instances:");
        for (Instance i : hello.instances()) {
            var r = i.record();
            if (r.state() == InstanceState.HEALTHY) {
                System.out.println("  " + r.id() + "  pid " + r.handle() + "  http://" + r.endpoint() + "/");
            }
        }
        System.out.println("Try: curl http://<endpoint>/   then   kill -9 <pid>   and watch it respawn. Ctrl-C stops all.");
        System.out.println();
        new CountDownLatch(1).await();
    }
}
