package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.req;
import static dev.berth.backend.process.Kit.sh;
import static dev.berth.backend.process.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.ExitInfo;
import dev.berth.spi.RunningInstance;

/**
 * Issue 12 item 8: instances cost no JVM thread each, and a kill -9 of one is still seen within
 * tens of milliseconds. {@code -Dberth.manyInstances=N} sets the count (default 1000); bounded in
 * count and time.
 */
class ManyInstancesIT {
    private static final Logger LOG = LoggerFactory.getLogger(ManyInstancesIT.class);
    private static final int COUNT = Integer.getInteger("berth.manyInstances", 1000);
    private static final Duration BOUND = Duration.ofMinutes(4);

    @TempDir
    Path base;
    ProcessBackend backend;
    final Map<String, Long> exitedAt = new ConcurrentHashMap<>();
    final Map<String, ExitInfo> exits = new ConcurrentHashMap<>();

    @AfterEach
    void cleanUp() {
        if (backend != null) {
            backend.close();
        }
        Kit.stopAll(base);
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    @Test
    void manyInstancesCostNoThreadEachAndAKillIsSeenAtOnce() throws Exception {
        backend = Kit.builder(base).build();
        Backend.ExitListener listener = (id, handle, exit) -> {
            exitedAt.put(id, System.nanoTime());
            exits.put(id, exit);
        };
        backend.onExit(listener);
        // warm up: the JDK's shared helper threads exist before we count
        backend.start(req("warm", sh("many", "sleep 1000").build()));
        backend.stop("warm", Duration.ofSeconds(5));
        int before = threads();
        long deadline = System.nanoTime() + BOUND.toNanos();
        AppSpec spec = AppSpec.builder("many").command("sleep", "1000").build();
        List<RunningInstance> started = new ArrayList<>();
        for (int i = 0; i < COUNT && System.nanoTime() < deadline; i++) {
            started.add(backend.start(req("m" + i, spec)));
        }
        assertThat(started).as("started within %s", BOUND).hasSize(COUNT);
        Thread.sleep(500);
        int after = threads();
        LOG.info("JVM threads: {} before, {} with {} instances running", before, after, COUNT);
        System.err.println("ManyInstancesIT: JVM threads " + before + " before, " + after + " with " + COUNT
                + " instances running");
        assertThat(after - before).as("threads added by %d instances", COUNT).isLessThanOrEqualTo(10);
        assertThat(backend.list()).hasSize(COUNT);

        // a kill -9 from outside is seen promptly, with its status
        RunningInstance victim = started.get(COUNT / 2);
        long t0 = System.nanoTime();
        ProcessHandle.of(Long.parseLong(victim.handle())).orElseThrow().destroyForcibly();
        waiting().until(() -> exitedAt.containsKey(victim.instanceId()));
        long millis = (exitedAt.get(victim.instanceId()) - t0) / 1_000_000;
        LOG.info("kill -9 seen after {} ms with {} instances running", millis, COUNT);
        System.err.println("ManyInstancesIT: kill -9 seen after " + millis + " ms");
        assertThat(millis).isLessThan(500);
        assertThat(exits.get(victim.instanceId()).code()).isEqualTo(137);
    }
}
