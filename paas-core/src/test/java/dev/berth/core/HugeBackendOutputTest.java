package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.spi.RunningInstance;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend whose setup prints one 20 MB line and then fails, again and again: the platform's
 * events and log stay small (each text capped in bytes), however often it retries.
 */
class HugeBackendOutputTest {
    private static final int LINE = 20_000_000;

    @TempDir
    Path tmp;

    /** Emits a 20 MB build line and fails with a 20 MB reason on every start. */
    static final class LoudFailingBackend implements Backend {
        final AtomicInteger starts = new AtomicInteger();
        private volatile BuildListener build = (a, r, n, l) -> { };

        @Override
        public String name() {
            return "loud";
        }

        @Override
        public RunningInstance start(LaunchRequest request) {
            starts.incrementAndGet();
            String output = "npm ERR! " + "x".repeat(LINE);
            build.output(request.app().name(), request.release(), request.node(), output);
            throw new BackendException("instance " + request.instanceId() + ": setup failed with 1:\n" + output);
        }

        @Override
        public void stop(String instanceId, Duration grace) {
        }

        @Override
        public void kill(String instanceId) {
        }

        @Override
        public List<RunningInstance> list() {
            return List.of();
        }

        @Override
        public void onExit(ExitListener listener) {
        }

        @Override
        public void onBuildOutput(BuildListener listener) {
            build = listener;
        }

        @Override
        public InstanceConsole console() {
            return new InstanceConsole() {
                @Override
                public List<String> logs(String instanceId, int lines) {
                    return List.of();
                }

                @Override
                public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
                    return () -> { };
                }

                @Override
                public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
                    throw new BackendException("no exec here");
                }
            };
        }

        @Override
        public void close() {
        }
    }

    private static long textBytes(PlatformEvent e) {
        return e.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void fiveFailedSetupsOfATwentyMegabyteLineCostKilobytesNotHundredsOfMegabytes() throws Exception {
        LoudFailingBackend backend = new LoudFailingBackend();
        List<PlatformEvent> events = new CopyOnWriteArrayList<>();
        PrintStream original = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try (Platform platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(4).build()))
                .backend(backend)
                .stateDir(tmp.resolve("state"))
                .resyncInterval(Duration.ofMillis(200))
                .listener(events::add)
                .build()) {
            platform.deploy(AppSpec.builder("web").command("npm", "start")
                    .restartPolicy(new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(200), 2.0, Duration.ofMinutes(1)))
                    .build());
            await().atMost(Duration.ofSeconds(30)).until(() -> events.stream()
                    .filter(e -> e instanceof PlatformEvent.InstanceStartFailed).count() >= 5);
        } finally {
            System.setErr(original);
        }
        assertThat(backend.starts.get()).isGreaterThanOrEqualTo(5);
        List<PlatformEvent> seen = List.copyOf(events);
        assertThat(seen).filteredOn(e -> e instanceof PlatformEvent.BuildOutput).isNotEmpty()
                .allSatisfy(e -> assertThat(((PlatformEvent.BuildOutput) e).line().getBytes(StandardCharsets.UTF_8).length)
                        .isLessThanOrEqualTo(4096 + 40));
        assertThat(seen).allSatisfy(e -> assertThat(textBytes(e)).as(e.getClass().getSimpleName())
                .isLessThanOrEqualTo(65_536 + 1_000));
        long total = seen.stream().mapToLong(HugeBackendOutputTest::textBytes).sum();
        assertThat(total).as("bytes of all %d events", seen.size()).isLessThan(2_000_000);
        // 5 x 20 MB went through the backend; the platform's log of it stays small
        assertThat(log.size()).as("bytes of platform log").isLessThan(2_000_000);
    }
}
