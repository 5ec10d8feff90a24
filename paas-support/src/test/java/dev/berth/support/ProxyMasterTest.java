// The owned proxy master with real processes: adopted from a pid file, stopped with its workers (killed when stubborn), or left running.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyMasterTest {
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
        ProxyMaster m = new ProxyMaster("test");
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
        ProxyMaster m = new ProxyMaster("test");
        m.started(h);
        long t0 = System.nanoTime();
        m.stop();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(h.isAlive()).isFalse();
        // the master gets its grace period, then the worker that outlived it gets one
        assertThat(seconds).isBetween(2L * ProxyMaster.GRACE_SECONDS - 1, 3L * ProxyMaster.GRACE_SECONDS);
        worker.onExit().get(5, TimeUnit.SECONDS);
        assertThat(worker.isAlive()).isFalse();
    }

    @Test
    void aPidFileNamingALiveProcessIsAdoptableAndDetachLeavesItRunning() throws Exception {
        ProcessHandle h = master(false);
        Path pidFile = Files.writeString(dir.resolve("proxy.pid"), h.pid() + "\n");
        ProxyMaster m = new ProxyMaster("test");
        m.adopt(ProxyMaster.fromPidFile(pidFile).orElseThrow());
        assertThat(m.adopted()).isTrue();
        assertThat(m.livePid()).hasValue(h.pid());
        m.detach(dir);
        assertThat(m.owned()).isFalse();
        assertThat(h.isAlive()).as("detach leaves it running").isTrue();
        m.detach(dir); // idempotent
    }

    @Test
    void aMissingStaleOrGarbledPidFileNamesNothing() throws Exception {
        assertThat(ProxyMaster.fromPidFile(dir.resolve("none.pid"))).isEmpty();
        assertThat(ProxyMaster.fromPidFile(Files.writeString(dir.resolve("bad.pid"), "12ab\n"))).isEmpty();
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(5, TimeUnit.SECONDS);
        assertThat(ProxyMaster.fromPidFile(Files.writeString(dir.resolve("old.pid"), gone.pid() + "\n"))).isEmpty();
    }
}
