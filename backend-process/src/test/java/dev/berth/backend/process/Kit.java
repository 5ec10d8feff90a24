// Helpers of the process backend's tests: backends on a temp dir, requests, exits recorded, stopping everything.
package dev.berth.backend.process;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.core.ConditionFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.ExitInfo;
import dev.berth.spi.LaunchRequest;

/** Shared helpers for the process backend tests. */
final class Kit {
    static final String NODE = "node1";
    static final String RELEASE = "r1";

    private Kit() {
    }

    static ProcessBackend.Builder builder(Path base) {
        return ProcessBackend.builder().baseDir(base).portRange(20000, 20999).setupTimeout(Duration.ofSeconds(30));
    }

    /** An app running {@code sh -c script}. */
    static AppSpec.Builder sh(String app, String script) {
        return AppSpec.builder(app).command("/bin/sh", "-c", script);
    }

    static LaunchRequest req(String id, AppSpec spec) {
        return new LaunchRequest(id, NODE, spec, RELEASE);
    }

    /** A script that prints a line every 100 ms, bounded, then ends. */
    static String beats(int count) {
        return "i=0; while [ $i -lt " + count + " ]; do echo \"beat $i\"; i=$((i+1)); sleep 0.1; done";
    }

    static ConditionFactory waiting() {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50));
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(Procs::running).orElse(false);
    }

    static boolean alive(String pid) {
        return alive(Long.parseLong(pid));
    }

    /**
     * Stops everything running under the base dir, through a fresh backend (catches adopted ones
     * too), then waits until each stopped instance's wrapper has recorded its exit: the wrapper
     * outlives the app by a moment and writes in the instance's dir, which would race JUnit's
     * deletion of {@code base}.
     */
    static void stopAll(Path base) {
        List<Path> dirs = new java.util.ArrayList<>();
        try (ProcessBackend b = ProcessBackend.builder().baseDir(base).build()) {
            for (var i : b.list()) {
                dirs.add(base.resolve(i.node()).resolve(i.app()).resolve("instances").resolve(i.instanceId()));
                b.stop(i.instanceId(), Duration.ofSeconds(1));
            }
        }
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> dirs.stream().allMatch(d -> !java.nio.file.Files.exists(d)
                    || (java.nio.file.Files.exists(d.resolve(Wrapper.EXIT)) && !java.nio.file.Files.exists(d.resolve(".exit.tmp")))));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // a test killed a wrapper itself: no exit will be written, and nothing writes there any more
        }
    }

    record Exit(String id, String handle, ExitInfo info) {
    }

    /** Records exits reported to it. */
    static final class Exits implements Backend.ExitListener {
        final List<Exit> seen = new CopyOnWriteArrayList<>();

        @Override
        public void exited(String instanceId, String handle, ExitInfo exit) {
            seen.add(new Exit(instanceId, handle, exit));
        }

        List<Exit> of(String id) {
            return seen.stream().filter(e -> e.id().equals(id)).toList();
        }
    }
}
