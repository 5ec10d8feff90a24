// The owned haproxy outlives a router closed with keepRunningOnClose, and a killed haproxy is started again.
package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.support.testing.BoundedLoad;
import dev.berth.support.testing.HttpCall;
import dev.berth.support.testing.RawUpstream;
import dev.berth.support.testing.RouterScenarios;
import dev.berth.support.testing.UpstreamProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real haproxy: a router built with {@code keepRunningOnClose} leaves haproxy serving
 * when it closes, the next router on the prefix adopts that very haproxy, and no request fails
 * across the hand-over; an haproxy master killed with SIGKILL (its worker exits with it) is noticed
 * by the liveness check and a new master serves the last table, as the log says. Fails, never
 * skips, when haproxy is missing.
 */
class HaproxyLifecycleIT {
    @TempDir
    Path dir;

    private RawUpstream upstream;
    private HaproxyRouter last;

    @AfterEach
    void stop() throws Exception {
        if (last != null) {
            last.stop();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private HaproxyRouter router(int port, boolean keep) throws Exception {
        last = HaproxyRouter.builder().prefix(dir.resolve("haproxy")).httpPort(port).httpsPort(UpstreamProcess.freePort())
                .keepRunningOnClose(keep).livenessInterval(Duration.ofMillis(200)).build();
        return last;
    }

    @Test
    void aRouterClosedWithKeepRunningOnCloseLeavesHaproxyServingAndTheNextAdoptsItWithoutAFailedRequest()
            throws Exception {
        upstream = RawUpstream.answering("u1");
        int port = UpstreamProcess.freePort();
        HaproxyRouter first = router(port, true);
        first.apply(RouterScenarios.table(List.of(upstream.endpoint())));
        long pid = first.ownedPid().orElseThrow();

        BoundedLoad load = BoundedLoad.start(port, RouterScenarios.DOMAIN, 4, 100_000, 15_000, 2);
        assertThat(load.awaitOk(100, 5_000)).as("the load runs: %s", load.failures()).isTrue();
        first.close();
        long atClose = load.ok();
        assertThat(load.awaitOk(atClose + 100, 5_000)).as("haproxy serves after close: %s", load.failures()).isTrue();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);

        HaproxyRouter second = router(port, false);
        assertThat(second.adopted()).isTrue();
        assertThat(second.ownedPid()).hasValue(pid);
        second.apply(RouterScenarios.table(List.of(upstream.endpoint())));
        long applied = load.ok();
        assertThat(load.awaitOk(applied + 100, 5_000)).as("the load goes on").isTrue();
        load.stop();
        assertThat(load.failures()).as("failed GETs of %d", load.ok()).isEmpty();

        second.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
    }

    @Test
    void aKilledHaproxyIsStartedAgainWithTheLastTableAndTheLogSaysSo() throws Exception {
        upstream = RawUpstream.answering("u1");
        int port = UpstreamProcess.freePort();
        HaproxyRouter router = router(port, false);
        router.apply(RouterScenarios.table(List.of(upstream.endpoint())));
        long pid = router.ownedPid().orElseThrow();
        List<ProcessHandle> workers = ProcessHandle.of(pid).orElseThrow().children().toList();
        assertThat(workers).isNotEmpty();

        String logged = capturingStderr(() -> {
            ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // kill -9 of the master
            await().atMost(Duration.ofSeconds(20)).until(() -> router.ownedPid().isPresent()
                    && router.ownedPid().getAsLong() != pid);
        });
        long revived = router.ownedPid().getAsLong();
        assertThat(logged).contains("haproxy (pid " + pid + ") was not running; started it again")
                .doesNotContain("rejected");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(workers).as("the old workers are gone").noneMatch(ProcessHandle::isAlive));
        assertThat(Files.readString(dir.resolve("haproxy/run/haproxy.pid")).strip()).isEqualTo(Long.toString(revived));
        assertThat(HttpCall.get(port, RouterScenarios.DOMAIN, "probe").body()).isEqualTo("u1"); // the last table, at once

        router.apply(RouterScenarios.table(List.of())); // and it reloads as usual
        assertThat(HttpCall.get(port, RouterScenarios.DOMAIN, "probe").status()).isEqualTo(503);
        assertThat(router.ownedPid()).hasValue(revived);
    }

    /** Runs {@code body} with this JVM's stderr (where slf4j-simple logs) also copied into the result. */
    static String capturingStderr(ThrowingRunnable body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (copy) {
                    copy.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    /** A test step that may throw. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
