package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instance;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.Source;
import dev.berth.api.StateStoreException;
import dev.berth.backend.process.ProcessBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The platform end to end on real local processes: start, respawn, back-off, adoption, health. */
class PlatformIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path tmp;

    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private Platform platform;

    @BeforeEach
    void open() {
        platform = newPlatform();
    }

    private Platform newPlatform() {
        return Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(64).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .resyncInterval(Duration.ofMillis(500))
                .stopGrace(Duration.ofSeconds(5))
                .listener(events::add)
                .build();
    }

    @AfterEach
    void stopEverything() {
        if (platform != null) {
            platform.stopAll(WAIT);
            platform.close();
        }
    }

    private static AppSpec.Builder httpApp(String name, int instances) {
        return AppSpec.builder(name)
                .command(TestHttpApp.command())
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(instances)
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500))
                        .withGracePeriod(Duration.ofSeconds(30)).withMaxConsecutiveFailures(3));
    }

    private List<InstanceRecord> records(String app) {
        return platform.instances(app).stream().map(Instance::record).toList();
    }

    private List<InstanceRecord> awaitHealthy(String app, int count) {
        await().atMost(WAIT).until(() -> records(app).stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == count
                && records(app).size() == count);
        return records(app);
    }

    private static String get(InstanceRecord r) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + r.endpoint() + "/")).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> resp = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        return resp.body();
    }

    @Test
    void threeInstancesStartAndAnswerHttp() throws Exception {
        platform.deploy(httpApp("web", 3).build());

        List<InstanceRecord> healthy = awaitHealthy("web", 3);

        assertThat(healthy).extracting(InstanceRecord::id).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
        assertThat(healthy).extracting(InstanceRecord::handle).doesNotHaveDuplicates();
        assertThat(healthy).extracting(r -> r.endpoint().port()).allSatisfy(p -> assertThat(p).isBetween(8000, 9000))
                .doesNotHaveDuplicates();
        for (InstanceRecord r : healthy) {
            assertThat(get(r)).isEqualTo(r.id() + " " + r.handle());
        }
        assertThat(platform.cluster().nodes()).singleElement().satisfies(n -> assertThat(n.instances()).isEqualTo(3));
    }

    @Test
    void aKilledInstanceIsRespawnedAndAnswersAgain() throws Exception {
        platform.deploy(httpApp("web", 2).build());
        InstanceRecord victim = awaitHealthy("web", 2).get(0);

        ProcessHandle.of(Long.parseLong(victim.handle())).orElseThrow().destroyForcibly(); // kill -9

        await().atMost(WAIT).until(() -> {
            InstanceRecord r = platform.instance(victim.id()).record();
            return r.state() == InstanceState.HEALTHY && r.restarts() == 1 && !victim.handle().equals(r.handle());
        });
        InstanceRecord respawned = platform.instance(victim.id()).record();
        assertThat(get(respawned)).isEqualTo(victim.id() + " " + respawned.handle());
        assertThat(respawned.lastExit()).isNotNull();
        assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(PlatformEvent.InstanceExited.class,
                x -> assertThat(x.instance()).isEqualTo(victim.id())));
    }

    @Test
    void aCrashLoopingAppBacksOffExponentially() {
        RestartPolicy policy = new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(800), 2.0, Duration.ofMinutes(1));
        platform.deploy(AppSpec.builder("crasher").command("/bin/sh", "-c", "echo crashing; exit 3")
                .restartPolicy(policy).build());

        await().atMost(WAIT).until(() -> respawns("crasher-1").size() >= 6);

        List<PlatformEvent.InstanceRespawning> respawns = respawns("crasher-1").subList(0, 6);
        assertThat(respawns).extracting(PlatformEvent.InstanceRespawning::restarts).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(respawns).extracting(r -> r.delay().toMillis()).containsExactly(100L, 200L, 400L, 800L, 800L, 800L);
        // Each start waits at least its delay after the exit before it: no spinning.
        List<PlatformEvent.InstanceStarting> starts = events.stream()
                .filter(e -> e instanceof PlatformEvent.InstanceStarting s && s.instance().equals("crasher-1"))
                .map(PlatformEvent.InstanceStarting.class::cast).toList();
        for (int k = 0; k < 5; k++) {
            PlatformEvent.InstanceRespawning r = respawns.get(k);
            PlatformEvent.InstanceStarting next = starts.get(k + 1);
            assertThat(Duration.between(r.at(), next.at())).isGreaterThanOrEqualTo(r.delay());
        }
        assertThat(platform.instance("crasher-1").record().restarts()).isGreaterThanOrEqualTo(5); // the 6th is announced
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceExited x && x.exit().code() == 3).isNotEmpty();
    }

    private List<PlatformEvent.InstanceRespawning> respawns(String id) {
        return events.stream().filter(e -> e instanceof PlatformEvent.InstanceRespawning r && r.instance().equals(id))
                .map(PlatformEvent.InstanceRespawning.class::cast).toList();
    }

    @Test
    void aNewPlatformOnTheSameStateAdoptsEveryInstanceWithUnchangedPids() {
        platform.deploy(httpApp("web", 3).build());
        Map<String, String> pids = awaitHealthy("web", 3).stream()
                .collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle));

        platform.close();
        platform = null;
        pids.values().forEach(pid -> assertThat(ProcessHandle.of(Long.parseLong(pid))).hasValueSatisfying(
                h -> assertThat(h.isAlive()).isTrue()));
        events.clear();

        platform = newPlatform();

        List<InstanceRecord> adopted = awaitHealthy("web", 3);
        assertThat(adopted.stream().collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle))).isEqualTo(pids);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceAdopted).hasSize(3);
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.InstanceStarting);
    }

    @Test
    void anUnhealthyInstanceIsReplaced() throws Exception {
        platform.deploy(httpApp("web", 1).build());
        InstanceRecord before = awaitHealthy("web", 1).get(0);
        // The instance runs in its own directory; make its health check fail there.
        String cwd = platform.exec(before.id(), List.of("pwd")).output().trim();
        Files.writeString(Path.of(cwd, "unhealthy"), "yes");

        // Three failed probes in a row: stopped and scheduled for respawn. The replacement runs in the
        // same directory, so the test heals it before the respawn.
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.InstanceRespawning));
        Files.delete(Path.of(cwd, "unhealthy"));
        assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(PlatformEvent.InstanceUnhealthy.class,
                u -> assertThat(u.reason()).contains("replacing")));
        await().atMost(WAIT).until(() -> {
            InstanceRecord r = platform.instance(before.id()).record();
            return r.state() == InstanceState.HEALTHY && r.restarts() == 1 && !r.handle().equals(before.handle());
        });
        assertThat(ProcessHandle.of(Long.parseLong(before.handle())).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void scaleStopStartAndRemove() {
        platform.deploy(httpApp("web", 3).build());
        awaitHealthy("web", 3);

        platform.scale("web", dev.berth.api.Instances.of(1));
        List<InstanceRecord> left = awaitHealthy("web", 1);
        assertThat(left).extracting(InstanceRecord::id).containsExactly("web-1");

        platform.app("web").stop();
        await().atMost(WAIT).until(() -> records("web").isEmpty());
        platform.app("web").start();
        awaitHealthy("web", 1);

        List<String> pids = records("web").stream().map(InstanceRecord::handle).toList();
        platform.remove("web");
        await().atMost(WAIT).until(() -> platform.apps().isEmpty());
        await().atMost(WAIT).until(() -> pids.stream()
                .noneMatch(p -> ProcessHandle.of(Long.parseLong(p)).map(ProcessHandle::isAlive).orElse(false)));
    }

    @Test
    void logsAndExecReachTheInstance() {
        platform.deploy(httpApp("web", 1).build());
        InstanceRecord r = awaitHealthy("web", 1).get(0);

        await().atMost(WAIT).until(() -> platform.logs(r.id(), 10).stream().anyMatch(l -> l.contains("listening on")));
        assertThat(platform.exec(r.id(), List.of("/bin/sh", "-c", "echo $BERTH_INSTANCE_ID $PORT")).output().trim())
                .isEqualTo(r.id() + " " + r.endpoint().port());
    }

    @Test
    void aNewReleaseReplacesTheOldInstances() throws Exception {
        platform.deploy(httpApp("web", 2).env("GREETING", "v1").build());
        awaitHealthy("web", 2);

        platform.deploy(httpApp("web", 2).env("GREETING", "v2").build());

        await().atMost(WAIT).until(() -> {
            List<InstanceRecord> rs = records("web");
            return rs.size() == 2 && rs.stream().allMatch(r -> r.release().startsWith("r2-") && r.state() == InstanceState.HEALTHY);
        });
        for (InstanceRecord r : records("web")) {
            assertThat(get(r)).endsWith("v2");
        }
    }

    @Test
    void aCorruptStateFileIsAClearErrorNotAnEmptyState() throws IOException {
        platform.deploy(AppSpec.builder("sleeper").command("/bin/sleep", "600").build());
        await().atMost(WAIT).until(() -> records("sleeper").stream().anyMatch(r -> r.state() == InstanceState.HEALTHY));
        platform.stopAll(WAIT);
        platform.close();
        platform = null;
        Path journal = tmp.resolve("state/journal-0.log"); // a few records, far from the first compaction
        byte[] bytes = Files.readAllBytes(journal);
        bytes[20] ^= 0x01; // in the first record: its checksum fails and more records follow it
        Files.write(journal, bytes);

        assertThatThrownBy(this::newPlatform).isInstanceOf(StateStoreException.class)
                .hasMessageContaining(journal.toString()).hasMessageContaining("corrupt")
                .hasMessageContaining("the record at byte 0");

        Path file = tmp.resolve("state/snapshot.json");
        Files.writeString(file, "{\"format\": 1, \"generation\": 1, \"apps\": [{\"name\": \"sleeper\", \"spec\": {");
        assertThatThrownBy(this::newPlatform).isInstanceOf(StateStoreException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("corrupt");

        Files.writeString(file, "");
        assertThatThrownBy(this::newPlatform).isInstanceOf(StateStoreException.class).hasMessageContaining(file.toString());
    }

    @Test
    void aMakoManifestLikeTheSeedRuns() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("manifests"));
        String argv = TestHttpApp.command().stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        Files.writeString(dir.resolve("beep.json"), """
                {
                  "beep": {
                    "instances": "*",
                    "load": 1,
                    "routing": {
                      "domain": "beep.example.com"
                    },
                    "opts": {
                      "setup": [],
                      "command": [%s],
                      "env": {
                        "PORT": "RANDOM_PORT"
                      }
                    }
                  }
                }
                """.formatted(argv));
        List<AppSpec> specs = Manifests.load(dir);
        assertThat(specs).singleElement().satisfies(s -> {
            assertThat(s.instances().all()).isTrue();
            assertThat(s.resources().get(Resources.LOAD)).isEqualTo(1.0);
            assertThat(s.routing().domains()).containsExactly("beep.example.com");
        });

        // without opts.commit the app follows its repository: nothing runs before the first push
        platform.deploy(specs.get(0));
        long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        await().atMost(WAIT).until(() -> System.nanoTime() >= until);
        assertThat(records("beep")).isEmpty();

        // its command as code of its own (no health check: ready once it accepts a connection)
        platform.deploy(specs.get(0).toBuilder().source(Source.none()).build());
        InstanceRecord r = awaitHealthy("beep", 1).get(0);
        assertThat(get(r)).startsWith("beep-1 "); // healthy means it answers: no request before it listens
    }

    @Test
    void aMakoManifestPinningACommitThatWasNeverPushedIsAClearError() throws IOException {
        String json = """
                {"beep": {"instances": 1, "opts": {"command": ["/bin/sleep", "60"],
                 "commit": "8b7243393950e0209c7a9346e9a1a839b99619d9"}}}
                """;
        AppSpec spec = Manifests.parseMakoJson(json, "beep.json").get(0);

        assertThatThrownBy(() -> platform.deploy(spec)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app 'beep'").hasMessageContaining("8b7243393950e0209c7a9346e9a1a839b99619d9")
                .hasMessageContaining("git push it first");
        assertThat(platform.apps()).isEmpty();
    }

    @Test
    void unplaceableInstancesAreReportedWithAReason() {
        platform.deploy(AppSpec.builder("huge").command("/bin/sleep", "60")
                .resources(Resources.builder().cpu(1000).build()).build());

        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.InstancesUnplaced));
        PlatformEvent.InstancesUnplaced u = events.stream().filter(e -> e instanceof PlatformEvent.InstancesUnplaced)
                .map(PlatformEvent.InstancesUnplaced.class::cast).findFirst().orElseThrow();
        assertThat(u.reason()).contains("cpu");
        assertThat(records("huge")).isEmpty();
    }
}
