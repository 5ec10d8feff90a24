package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.AppSpec;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/events} against a real platform (process backend) and server: a client that
 * disconnects and resumes with {@code Last-Event-ID} gets every event once, a client whose events
 * left the buffer gets a {@code resync} first, and the index keeps growing across a restart.
 */
class EventStreamIT {
    private static final String TOKEN = "admin-token-0123456789";

    @TempDir
    Path tmp;

    private final ObjectMapper json = new ObjectMapper();
    private Platform platform;
    private ControlServer server;

    @AfterEach
    void stop() {
        TestPlatforms.stop(server, platform);
    }

    private void start(int buffer) {
        platform = TestPlatforms.processes(tmp, 64, b -> b);
        startServer(buffer);
    }

    private void startServer(int buffer) {
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).tokens(Tokens.admin(TOKEN))
                .eventBuffer(buffer).eventIndexFile(tmp.resolve("state/api-event-index"))
                .heartbeat(Duration.ofMillis(200)).build();
    }

    private static AppSpec sleeper(int instances) {
        return AppSpec.builder("web").command("sh", "-c", "exec sleep 300").instances(instances).build();
    }

    private void awaitStarted(int n) {
        await().atMost(Duration.ofSeconds(60)).until(() -> platform.instances("web").size() == n && platform.instances("web")
                .stream().allMatch(i -> i.record().state().name().matches("RUNNING|HEALTHY")));
    }

    private String type(SseClient.Event e) throws Exception {
        return json.readTree(e.data()).get("type").asText();
    }

    @Test
    void aClientThatResumesWithLastEventIdGetsEveryEventOnce() throws Exception {
        start(10_000);
        long last;
        try (SseClient sse = new SseClient(server.port(), "/v1/events", TOKEN, null)) {
            platform.deploy(sleeper(2));
            List<SseClient.Event> seen = sse.readUntil(e -> e.data().contains("\"InstanceStarted\"")
                    && e.data().contains("web-2"));
            assertThat(seen).allMatch(e -> e.name() == null && e.id() > 0);
            JsonNode first = json.readTree(seen.get(0).data());
            assertThat(first.get("index").asLong()).isEqualTo(seen.get(0).id());
            assertThat(first.get("app").asText()).isEqualTo("web");
            last = seen.get(seen.size() - 1).id();
        }
        awaitStarted(2);
        platform.scale("web", dev.berth.api.Instances.of(4)); // while nobody listens
        awaitStarted(4);
        try (SseClient sse = new SseClient(server.port(), "/v1/events", TOKEN, Long.toString(last))) {
            List<SseClient.Event> resumed = sse.readUntil(e -> e.data().contains("\"InstanceStarted\"")
                    && e.data().contains("web-4"));
            assertThat(resumed.get(0).id()).isEqualTo(last + 1); // nothing lost
            for (int i = 1; i < resumed.size(); i++) {
                assertThat(resumed.get(i).id()).isEqualTo(resumed.get(i - 1).id() + 1); // nothing twice, no gap
            }
            assertThat(resumed).noneMatch(e -> "resync".equals(e.name()));
        }
        try (SseClient filtered = new SseClient(server.port(), "/v1/events?type=InstanceStarted&index=0", TOKEN, null)) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            List<SseClient.Event> started = filtered.readUntil(e -> n.incrementAndGet() == 4);
            for (SseClient.Event e : started) {
                assertThat(type(e)).isEqualTo("InstanceStarted");
            }
            assertThat(started).extracting(e -> json.readTree(e.data()).get("instance").asText())
                    .containsExactlyInAnyOrder("web-1", "web-2", "web-3", "web-4");
        }
    }

    @Test
    void aFollowedLogGoesOnAcrossARespawn() throws Exception {
        start(10_000);
        platform.deploy(AppSpec.builder("web").command("sh", "-c", "echo run of pid $$; exec sleep 300").build());
        awaitStarted(1);
        try (SseClient logs = new SseClient(server.port(), "/v1/instances/web-1/logs?follow=true&lines=10", TOKEN, null)) {
            String first = logs.readUntil(e -> e.data().startsWith("run of pid ")).get(0).data();
            platform.instance("web-1").kill(); // the platform respawns it under the same id
            List<SseClient.Event> after = logs.readUntil(e -> e.data().startsWith("run of pid ") && !e.data().equals(first));
            assertThat(after.get(after.size() - 1).data()).startsWith("run of pid ").isNotEqualTo(first);
        }
    }

    @Test
    void eventsThatLeftTheBufferAreAnnouncedByAResyncAndTheIndexSurvivesARestart() throws Exception {
        start(100);
        platform.deploy(sleeper(1));
        awaitStarted(1);
        long early = 1;
        platform.scale("web", dev.berth.api.Instances.of(40)); // about 80 events: more than the buffer keeps
        awaitStarted(40);
        try (SseClient sse = new SseClient(server.port(), "/v1/events", TOKEN, Long.toString(early))) {
            List<SseClient.Event> got = sse.readUntil(e -> e.id() > 0 && !"resync".equals(e.name()));
            assertThat(got.get(0).name()).isEqualTo("resync");
            assertThat(json.readTree(got.get(0).data()).get("after").asLong()).isEqualTo(early);
            assertThat(got.get(1).id()).isGreaterThan(early + 1);
        }
        long before;
        try (SseClient sse = new SseClient(server.port(), "/v1/events?index=0", TOKEN, null)) {
            before = sse.readUntil(e -> !"resync".equals(e.name())).get(0).id();
        }
        server.close();
        startServer(100); // a new server on the same index file
        try (SseClient sse = new SseClient(server.port(), "/v1/events", TOKEN, null)) {
            platform.scale("web", dev.berth.api.Instances.of(41));
            long after = sse.readUntil(e -> e.id() > 0).get(0).id();
            assertThat(after).isGreaterThan(before);
        }
    }
}
