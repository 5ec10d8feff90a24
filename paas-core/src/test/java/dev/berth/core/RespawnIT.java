package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.Instance;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Respawn on real processes: kill -9 after a good run, the instance is started again at once and answers. */
class RespawnIT {
    private static final Logger LOG = LoggerFactory.getLogger(RespawnIT.class);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final int KILLS = 10;

    @TempDir
    Path tmp;

    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private Platform platform;

    @AfterEach
    void stop() {
        if (platform != null) {
            platform.stopAll(WAIT);
            platform.close();
        }
    }

    private InstanceRecord record() {
        return platform.instances("web").stream().map(Instance::record).findFirst().orElseThrow();
    }

    private static boolean answers(InstanceRecord r) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + r.endpoint() + "/")).timeout(Duration.ofSeconds(1)).build();
            return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body().startsWith("web-1 " + r.handle());
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private <T extends PlatformEvent> Instant last(Class<T> type) {
        return events.stream().filter(type::isInstance).reduce((a, b) -> b).map(PlatformEvent::at).orElseThrow();
    }

    private static long p(List<Long> values, int percent) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (sorted.size() * percent) / 100));
    }

    @Test
    void aKilledInstanceWithoutAHealthCheckAnswersAgainSoonAfterAGoodRun() throws Exception {
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .listener(events::add)
                .build();
        // Mako's shape: a PORT, no health check; the default restart policy (back-off from 1 s)
        platform.deploy(AppSpec.builder("web").command(TestHttpApp.command()).env("PORT", AppSpec.RANDOM_PORT).build());
        List<Long> exitToStart = new ArrayList<>();
        List<Long> killToReady = new ArrayList<>();
        List<Long> killToAnswer = new ArrayList<>();

        for (int k = 0; k < KILLS; k++) {
            int restarts = k;
            await().atMost(WAIT).until(() -> record().state() == InstanceState.HEALTHY && record().restarts() == restarts);
            InstanceRecord before = record();
            assertThat(answers(before)).as("answers once ready").isTrue();
            Thread.sleep(1100); // a good run
            long t0 = System.nanoTime();
            Instant killedAt = Instant.now();
            ProcessHandle.of(Long.parseLong(before.handle())).orElseThrow().destroyForcibly(); // kill -9
            await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> {
                InstanceRecord r = record();
                return r.restarts() == restarts + 1 && r.state() == InstanceState.HEALTHY && answers(r);
            });
            killToAnswer.add((System.nanoTime() - t0) / 1_000_000);
            exitToStart.add(Duration.between(last(PlatformEvent.InstanceExited.class), last(PlatformEvent.InstanceStarting.class)).toMillis());
            killToReady.add(Duration.between(killedAt, last(PlatformEvent.InstanceHealthy.class)).toMillis());
        }

        LOG.info("kill -9 of a ready instance, {} times: exit seen -> start called p50 {} ms p90 {} ms; kill -> ready "
                        + "p50 {} ms p90 {} ms; kill -> answering p50 {} ms p90 {} ms", KILLS, p(exitToStart, 50),
                p(exitToStart, 90), p(killToReady, 50), p(killToReady, 90), p(killToAnswer, 50), p(killToAnswer, 90));
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceRespawning)
                .extracting(e -> ((PlatformEvent.InstanceRespawning) e).delay()).hasSize(KILLS).containsOnly(Duration.ZERO);
        assertThat(p(exitToStart, 50)).as("p50 ms from the exit seen to the start").isLessThan(50);
        assertThat(p(killToAnswer, 50)).as("p50 ms from kill -9 to answering again (the back-off alone was 1 s)")
                .isLessThan(1000);
    }
}
