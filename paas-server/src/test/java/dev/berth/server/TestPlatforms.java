// The real platform the API's ITs drive: the process backend in the test's folder, and how a test ends it.
package dev.berth.server;

import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.core.PlatformBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** Platforms for the ITs: one node "local" of {@code cpu} CPUs, instances as real processes under {@code tmp}. */
final class TestPlatforms {
    private TestPlatforms() {
    }

    /** A platform on the process backend, its instances and state under {@code tmp}; {@code more} may add a router. */
    static Platform processes(Path tmp, double cpu, UnaryOperator<PlatformBuilder> more) {
        return more.apply(Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(cpu).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))).build();
    }

    /** Closes the server (if any), stops every instance and closes the platform (if any). */
    static void stop(ControlServer server, Platform platform) {
        if (server != null) {
            server.close();
        }
        if (platform != null) {
            platform.stopAll(Duration.ofSeconds(30));
            platform.close();
        }
    }
}
