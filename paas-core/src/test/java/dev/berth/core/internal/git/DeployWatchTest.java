package dev.berth.core.internal.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.ExitInfo;
import dev.berth.api.PlatformEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What a pusher is told of a deploy, from the platform's events (fed by hand here). */
class DeployWatchTest {
    private static final Instant T = Instant.parse("2026-12-05T18:00:00Z");
    private static final String SECRET = "hunter2-db-password";

    private final List<String> said = new CopyOnWriteArrayList<>();
    private final Map<String, String> releases = Map.of("web-3", "r2", "web-4", "r2", "web-1", "r1");
    private final Map<String, List<String>> output = Map.of("web-3", List.of("Traceback (most recent call last):",
            "  File \"app.py\", line 1", "    print('broken'", "SyntaxError: '(' was never closed",
            "connecting with " + SECRET));

    private DeployWatch watch() {
        return new DeployWatch("web", List.of(SECRET, "1", "RANDOM_PORT"), said::add, new DeployWatch.Instances() {
            @Override
            public Optional<String> releaseOf(String instanceId) {
                return Optional.ofNullable(releases.get(instanceId));
            }

            @Override
            public List<String> lastLines(String instanceId, int n) {
                List<String> all = output.getOrDefault(instanceId, List.of());
                return all.subList(Math.max(0, all.size() - n), all.size());
            }
        });
    }

    @Test
    void aRolledBackReleaseIsRefusedWithTheReasonAndTheFailingInstancesLastLines() {
        DeployWatch w = watch();
        w.onEvent(new PlatformEvent.DeployStarted(T, "web", "r2", "r1"));
        w.onEvent(new PlatformEvent.BuildOutput(T, "other", "r9", "n1", "not this app"));
        w.onEvent(new PlatformEvent.BuildOutput(T, "web", "r2", "n1", "installing with " + SECRET));
        w.onEvent(new PlatformEvent.InstanceStarting(T, "web", "web-1", "n1")); // a respawn of the old release
        w.onEvent(new PlatformEvent.InstanceExited(T, "web", "web-1", new ExitInfo(9, T, "killed")));
        w.onEvent(new PlatformEvent.InstanceStarting(T, "web", "web-3", "n1"));
        w.onEvent(new PlatformEvent.InstanceExited(T, "web", "web-3", new ExitInfo(1, T, "exited with 1")));
        w.onEvent(new PlatformEvent.DeployFailed(T, "web", "r2", "instances of release r2 failed 3 times; last "
                + "failure: web-3: exited with 1", "r1"));

        var verdict = w.await("r2", Duration.ofSeconds(5), () -> true);

        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.reason()).isEqualTo("release r2 was rolled back (back to r1): instances of release r2 "
                + "failed 3 times; last failure: web-3: exited with 1");
        assertThat(said).containsExactly(
                "berth: [n1] installing with ***",
                "berth: instance web-3 exited: exited with 1",
                "berth: release r2 was rolled back (back to r1): instances of release r2 failed 3 times; last "
                        + "failure: web-3: exited with 1",
                "berth: last 5 lines of instance web-3's output:",
                "berth:   Traceback (most recent call last):",
                "berth:     File \"app.py\", line 1",
                "berth:       print('broken'",
                "berth:   SyntaxError: '(' was never closed",
                "berth:   connecting with ***");
        assertThat(String.join("\n", said)).doesNotContain(SECRET).doesNotContain("not this app");
    }

    @Test
    void aReleaseThatGoesLiveIsAcceptedWithItsProgress() {
        DeployWatch w = watch();
        w.onEvent(new PlatformEvent.DeployStarted(T, "web", "r2", "r1"));
        w.onEvent(new PlatformEvent.DeployProgress(T, "web", "r2", 1, 2));
        w.onEvent(new PlatformEvent.DeployProgress(T, "web", "r2", 2, 2));
        w.onEvent(new PlatformEvent.DeploySucceeded(T, "web", "r2", Duration.ofMillis(1234)));

        assertThat(w.await("r2", Duration.ofSeconds(5), () -> true).accepted()).isTrue();
        assertThat(said).containsExactly("berth: 1 of 2 instances healthy", "berth: 2 of 2 instances healthy",
                "berth: release r2 is live on 2 instances (1234 ms)");
    }

    @Test
    void buildOutputIsCappedAndTheWaitIsBounded() {
        DeployWatch w = watch();
        IntStream.range(0, DeployWatch.BUILD_LINES + 50).forEach(i ->
                w.onEvent(new PlatformEvent.BuildOutput(T, "web", "r2", "n1", "line " + i)));
        long start = System.nanoTime();
        var verdict = w.await("r2", Duration.ofMillis(300), () -> true);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(verdict.accepted()).isTrue(); // no outcome in time: it keeps rolling out, the push is not failed
        assertThat(said).hasSize(DeployWatch.BUILD_LINES + 1);
        assertThat(said.get(said.size() - 1)).startsWith("berth: no outcome for release r2 within 0 s");

        said.clear();
        DeployWatch closing = watch();
        assertThat(closing.await("r2", Duration.ofMinutes(5), () -> false).accepted()).isTrue();
        assertThat(said).containsExactly("berth: the platform is stopping; release r2 resumes when it starts again");
    }

    @Test
    void theTailIsAtMostTwentyLinesAndFourKiB() {
        List<String> many = IntStream.range(0, 50).mapToObj(i -> "line " + i).toList();
        assertThat(DeployWatch.capped(many)).hasSize(DeployWatch.TAIL_LINES).endsWith("line 49").startsWith("line 30");
        List<String> wide = IntStream.range(0, 20).mapToObj(i -> "x".repeat(1000)).toList();
        List<String> capped = DeployWatch.capped(wide);
        assertThat(capped).hasSizeLessThanOrEqualTo(4);
        assertThat(String.join("\n", capped).length()).isLessThanOrEqualTo(DeployWatch.TAIL_BYTES);
        assertThat(DeployWatch.capped(List.of("y".repeat(100_000)))).singleElement()
                .satisfies(l -> assertThat(l.length()).isLessThanOrEqualTo(DeployWatch.TAIL_BYTES));
    }
}
