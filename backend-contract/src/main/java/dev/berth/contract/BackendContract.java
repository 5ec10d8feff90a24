// The contract every Backend keeps, as JUnit tests that each backend's integration test runs against its real thing.
package dev.berth.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.RunningInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the platform relies on from any {@link Backend}, checked against a real one: a backend's
 * integration test extends this class and says how to make a backend object over its real thing
 * (a base directory, a Docker engine, SSH hosts) and on which node to start. Every test starts
 * instances of a small shell app ({@link #app}), which prints {@code hello $GREETING}, then a
 * {@code beat} line every 200 ms, for at most a minute.
 *
 * <ul>
 *   <li>start returns the instance running, and it is listed;</li>
 *   <li>starting an id that runs returns it unchanged (same handle), listed once;</li>
 *   <li>stop ends it (gone from the list), and stopping it again or an unknown id is a no-op;</li>
 *   <li>kill is reported to the exit listener exactly once, with the instance's handle, as exit code
 *       137 with a reason naming SIGKILL; killing or stopping it again, or an unknown id, is a
 *       no-op;</li>
 *   <li>a new backend object over the same place lists (adopts) what runs, with the same handle,
 *       and can stop it;</li>
 *   <li>logs hold its output, follow sees new lines as they come;</li>
 *   <li>exec runs a command beside it, with its environment, and returns exit code and output;</li>
 *   <li>environment shows its env; describe says something about it;</li>
 *   <li>an app's setup runs once per release and node, before its instances, whatever the number
 *       of instances started (also at once), and its output reaches the build-output listener; a
 *       backend that runs no setup ({@link #runsSetup()} false: containers build it into their
 *       image) refuses such an app with an error naming its setup, starting nothing.</li>
 * </ul>
 *
 * Instances left running are stopped after each test, and backend objects closed.
 */
public abstract class BackendContract {
    /** How long an asynchronous effect (an exit report, a log line) may take. */
    protected static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String GREETING = "contract";

    private final List<Backend> opened = new ArrayList<>();
    private final List<String> started = new ArrayList<>();
    /** Exits reported to the backend under test: instance id and handle. */
    private final List<String> exits = new CopyOnWriteArrayList<>();
    /** The same exits' code and reason: instance id, code, reason. */
    private final List<String> reasons = new CopyOnWriteArrayList<>();
    /** The backend under test, made by {@link #newBackend} before each test. */
    protected Backend backend;

    /** A new backend object over the same real thing as every other one this test makes. */
    protected abstract Backend newBackend();

    /** The node the instances start on. */
    protected abstract String node();

    /** The release of the instances (default {@code r1}). */
    protected String release() {
        return "r1";
    }

    /** Whether this backend runs an app's setup; one that does not must refuse an app that has one. */
    protected boolean runsSetup() {
        return true;
    }

    /**
     * An app running {@code script} with {@code /bin/sh -c}; a backend that needs more (an image)
     * adds it here.
     */
    protected AppSpec.Builder app(String name, String script) {
        return AppSpec.builder(name).command("/bin/sh", "-c", script);
    }

    @BeforeEach
    final void openBackend() {
        backend = open();
        backend.onExit((id, handle, exit) -> {
            reasons.add(id + " " + exit.code() + " " + exit.reason());
            exits.add(id + " " + handle);
        });
    }

    @AfterEach
    final void stopAndClose() {
        try {
            Backend cleaner = opened.isEmpty() ? null : opened.get(0);
            for (String id : started) {
                try {
                    cleaner.stop(id, Duration.ofSeconds(2));
                } catch (RuntimeException e) {
                    // best effort: the next test starts other ids
                }
            }
        } finally {
            for (Backend b : opened) {
                b.close();
            }
        }
    }

    private Backend open() {
        Backend b = newBackend();
        opened.add(b);
        return b;
    }

    private AppSpec.Builder beating() {
        return app("contract", "echo \"hello $GREETING\"; i=0; while [ $i -lt 300 ]; do echo beat $i; "
                + "i=$((i+1)); sleep 0.2; done").env("GREETING", GREETING);
    }

    private RunningInstance start(String id) {
        return start(id, beating().build(), release());
    }

    private RunningInstance start(String id, AppSpec spec, String release) {
        started.add(id);
        return backend.start(new LaunchRequest(id, node(), spec, release));
    }

    private List<String> listed(Backend b) {
        return b.list().stream().map(RunningInstance::instanceId).toList();
    }

    @Test
    void startReturnsTheInstanceRunningAndItIsListed() {
        RunningInstance ri = start("contract-1");

        assertThat(ri.instanceId()).isEqualTo("contract-1");
        assertThat(ri.app()).isEqualTo("contract");
        assertThat(ri.release()).isEqualTo(release());
        assertThat(ri.node()).isEqualTo(node());
        assertThat(ri.handle()).isNotBlank();
        assertThat(ri.startedAt()).isNotNull();
        assertThat(listed(backend)).contains("contract-1");
    }

    @Test
    void startingAnIdThatRunsReturnsItUnchanged() {
        RunningInstance first = start("contract-2");
        RunningInstance again = start("contract-2");

        assertThat(again.handle()).isEqualTo(first.handle());
        assertThat(listed(backend)).containsOnlyOnce("contract-2");
    }

    @Test
    void stopEndsTheInstanceAndStoppingAgainOrAnUnknownIdIsANoOp() {
        start("contract-3");

        backend.stop("contract-3", Duration.ofSeconds(5));

        assertThat(listed(backend)).doesNotContain("contract-3");
        assertThatCode(() -> backend.stop("contract-3", Duration.ofSeconds(1))).doesNotThrowAnyException();
        assertThatCode(() -> backend.stop("contract-unknown", Duration.ofSeconds(1))).doesNotThrowAnyException();
    }

    @Test
    void aKillIsReportedOnceWithTheInstancesHandle() {
        RunningInstance ri = start("contract-4");

        backend.kill("contract-4");

        String expected = "contract-4 " + ri.handle();
        await().atMost(PATIENCE).until(() -> exits.contains(expected));
        assertThat(reasons).singleElement().asString().startsWith("contract-4 137 ").contains("SIGKILL");
        backend.kill("contract-4");
        backend.stop("contract-4", Duration.ofSeconds(1));
        backend.kill("contract-unknown");
        await().during(Duration.ofSeconds(1)).atMost(PATIENCE).until(() -> exits.stream().filter(expected::equals).count() == 1);
        assertThat(exits).containsExactly(expected);
        await().atMost(PATIENCE).until(() -> !listed(backend).contains("contract-4"));
    }

    @Test
    void aNewBackendObjectAdoptsWhatRunsWithTheSameHandleAndCanStopIt() {
        RunningInstance ri = start("contract-5");

        Backend next = open();

        assertThat(next.list()).filteredOn(r -> r.instanceId().equals("contract-5")).singleElement()
                .satisfies(r -> assertThat(r.handle()).isEqualTo(ri.handle()));
        next.stop("contract-5", Duration.ofSeconds(5));
        assertThat(listed(next)).doesNotContain("contract-5");
    }

    @Test
    void logsHoldTheOutputAndFollowSeesNewLines() throws Exception {
        start("contract-6");
        await().atMost(PATIENCE).until(() -> backend.console().logs("contract-6", 100).stream()
                .anyMatch(l -> l.contains("hello " + GREETING)));

        List<String> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable following = backend.console().follow("contract-6", seen::add)) {
            await().atMost(PATIENCE).until(() -> seen.stream().anyMatch(l -> l.contains("beat")));
        }
    }

    @Test
    void execRunsBesideTheInstanceWithItsEnvironment() {
        start("contract-7");

        ExecResult r = backend.console().exec("contract-7", List.of("/bin/sh", "-c", "echo \"in $GREETING\"; exit 3"),
                Duration.ofSeconds(20));

        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.output()).contains("in " + GREETING);
    }

    @Test
    void environmentShowsTheInstancesEnvAndDescribeSaysSomething() {
        start("contract-8");

        assertThat(backend.console().environment("contract-8")).containsEntry("GREETING", GREETING);
        assertThat(backend.console().describe("contract-8")).isNotEmpty();
    }

    @Test
    void setupRunsOncePerReleaseBeforeItsInstancesOrIsRefused() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        backend.onBuildOutput((app, release, node, line) -> lines.add(app + "/" + release + "@" + node + ": " + line));
        AppSpec spec = beating().setup("/bin/sh", "-c", "echo \"setup of $BERTH_APP $BERTH_RELEASE\"").build();
        if (!runsSetup()) {
            assertThatThrownBy(() -> start("contract-9", spec, release())).isInstanceOf(BackendException.class)
                    .hasMessageContaining("app 'contract'").hasMessageContaining("setup");
            assertThat(listed(backend)).doesNotContain("contract-9");
            return;
        }
        CompletableFuture<RunningInstance> a = CompletableFuture.supplyAsync(() -> start("contract-9", spec, release()));
        CompletableFuture<RunningInstance> b = CompletableFuture.supplyAsync(() -> start("contract-10", spec, release()));
        CompletableFuture.allOf(a, b).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        start("contract-11", spec, release());
        start("contract-12", spec, "r2");

        String once = "contract/" + release() + "@" + node() + ": setup of contract " + release();
        assertThat(lines).as("the setup's output, once per release").containsOnlyOnce(once)
                .containsOnlyOnce("contract/r2@" + node() + ": setup of contract r2");
        assertThat(listed(backend)).contains("contract-9", "contract-10", "contract-11", "contract-12");
    }
}
