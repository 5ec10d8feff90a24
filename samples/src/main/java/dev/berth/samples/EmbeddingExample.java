package dev.berth.samples;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.nio.file.Path;

/**
 * The README's "using Berth from code" example, compiled and run by {@code EmbeddingExampleIT}:
 * wire a platform, deploy an app, scale it, and close the platform, which leaves the instances
 * running for the next platform on the same state to adopt.
 */
public final class EmbeddingExample {
    private EmbeddingExample() {
    }

    public static void main(String[] args) {
        run(Path.of(args.length > 0 ? args[0] : "berth-state"));
    }

    static void run(Path dir) {
        try (Platform platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(4).memoryMb(8192).build()))
                .backend(ProcessBackend.builder().baseDir(dir.resolve("instances")).build())
                .stateDir(dir.resolve("platform"))
                .listener(event -> System.out.println(event))
                .build()) {
            App web = platform.deploy(AppSpec.builder("web")
                    .command(Samples.javaCommand(HelloApp.class))   // an argv list, never a shell string
                    .env("PORT", AppSpec.RANDOM_PORT)              // a free port 8000-9000 per instance
                    .instances(3)                                  // or Instances.ALL: one per eligible node
                    .resources(Resources.builder().cpu(0.5).memoryMb(256).build())
                    .healthCheck(HealthCheck.http("/health"))
                    .build());
            web.scale(5);
            web.instances().forEach(i -> System.out.println(i.record()));
        }   // close() leaves every instance running; platform.stopAll(timeout) stops them
    }
}
