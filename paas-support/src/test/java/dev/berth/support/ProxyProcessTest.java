// The owned proxy process with real processes: adopted from a pid file, stopped with its workers (killed when stubborn), left running, a failure retried once when it died.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyProcessTest {
    @TempDir
    Path dir;
    private Process started;

    /**
     * A "master" that runs a "worker" child (sleep) and, as the proxies do, stops it and exits on
     * SIGTERM; {@code stubborn}: both ignore SIGTERM.
     */
    private ProcessHandle master(boolean stubborn) throws Exception {
        String script = stubborn ? "trap '' TERM; sleep 30 & while :; do sleep 0.1; done"
                : "sleep 30 & w=$!; trap 'kill $w; exit 0' TERM; while :; do sleep 0.1; done";
        started = new ProcessBuilder("sh", "-c", script).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (started.toHandle().children().findAny().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(started.toHandle().children().findAny()).as("the worker has started").isPresent();
        return started.toHandle();
    }

    @AfterEach
    void kill() {
        if (started != null) {
            started.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            started.destroyForcibly();
        }
    }

    @Test
    void stopEndsTheMasterAndWaitsForItsWorkers() throws Exception {
        ProcessHandle h = master(false);
        List<ProcessHandle> workers = h.descendants().toList();
        ProxyProcess m = new ProxyProcess("test", "127.0.0.1", 1, 2, Duration.ofSeconds(5));
        assertThat(m.owned()).isFalse();
        assertThat(m.livePid()).isEmpty();
        m.started(h);
        assertThat(m.adopted()).isFalse();
        assertThat(m.livePid()).hasValue(h.pid());
        assertThat(m.exited()).isFalse();
        long t0 = System.nanoTime();
        m.stop();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("no grace period used").isLessThan(3000);
        assertThat(h.isAlive()).isFalse();
        assertThat(workers).isNotEmpty().allSatisfy(w -> assertThat(w.isAlive()).isFalse());
        assertThat(m.exited()).isTrue();
        assertThat(m.livePid()).isEmpty();
        assertThat(m.pid()).as("the handle is kept until forgotten").isEqualTo(h.pid());
        m.forget();
        assertThat(m.owned()).isFalse();
        m.stop(); // nothing owned: nothing to do
    }

    @Test
    void aMasterThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        ProcessHandle h = master(true);
        ProcessHandle worker = h.children().findAny().orElseThrow();
        ProxyProcess m = new ProxyProcess("test", "127.0.0.1", 1, 2, Duration.ofSeconds(5));
        m.started(h);
        long t0 = System.nanoTime();
        m.stop();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(h.isAlive()).isFalse();
        // the master gets its grace period, then the worker that outlived it gets one
        assertThat(seconds).isBetween(2L * ProxyProcess.GRACE_SECONDS - 1, 3L * ProxyProcess.GRACE_SECONDS);
        worker.onExit().get(5, TimeUnit.SECONDS);
        assertThat(worker.isAlive()).isFalse();
    }

    @Test
    void aPidFileNamingALiveProcessIsAdoptableAndDetachLeavesItRunning() throws Exception {
        ProcessHandle h = master(false);
        Path pidFile = Files.writeString(dir.resolve("proxy.pid"), h.pid() + "\n");
        ProxyProcess m = new ProxyProcess("test", "127.0.0.1", 1, 2, Duration.ofSeconds(5));
        m.adopt(ProxyProcess.fromPidFile(pidFile).orElseThrow());
        assertThat(m.adopted()).isTrue();
        assertThat(m.livePid()).hasValue(h.pid());
        m.detach(dir);
        assertThat(m.owned()).isFalse();
        assertThat(h.isAlive()).as("detach leaves it running").isTrue();
        m.detach(dir); // idempotent
    }

    @Test
    void aMissingStaleOrGarbledPidFileNamesNothing() throws Exception {
        assertThat(ProxyProcess.fromPidFile(dir.resolve("none.pid"))).isEmpty();
        assertThat(ProxyProcess.fromPidFile(Files.writeString(dir.resolve("bad.pid"), "12ab\n"))).isEmpty();
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(5, TimeUnit.SECONDS);
        assertThat(ProxyProcess.fromPidFile(Files.writeString(dir.resolve("old.pid"), gone.pid() + "\n"))).isEmpty();
    }

    @Test
    void aFailureIsRetriedOnceAfterARevivalOnlyWhenTheMasterDiedUnderIt() throws Exception {
        ProxyProcess m = new ProxyProcess("test", "127.0.0.1", 1, 2, Duration.ofSeconds(5));
        AtomicInteger tries = new AtomicInteger();
        List<String> revived = new ArrayList<>();
        Supplier<String> failsFirst = () -> {
            if (tries.incrementAndGet() == 1) {
                throw new BerthException("reload failed");
            }
            return "served";
        };
        // the master runs: the failure is the answer
        m.started(master(false));
        assertThatThrownBy(() -> m.retryIfDied(failsFirst, () -> revived.add("x")))
                .hasMessage("reload failed");
        assertThat(revived).isEmpty();
        // the master died: revived, then tried once more
        m.stop();
        tries.set(0);
        assertThat(m.retryIfDied(failsFirst, () -> revived.add("x"))).isEqualTo("served");
        assertThat(revived).hasSize(1);
        assertThat(tries).hasValue(2);
    }
}
