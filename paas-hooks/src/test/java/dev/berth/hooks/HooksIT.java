// The hook modules against real things: instances as processes, a webhook receiver on loopback, a command, a file-sd file.
package dev.berth.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.AppSpec;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real platform (process backend: busybox httpd instances on loopback ports, SIGKILLed and
 * respawned for real) with the real webhook, command and file-sd modules; for a node loss, the
 * test kit's SimBackend (whose nodes can be switched off) with the real webhook.
 */
class HooksIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    @TempDir
    Path tmp;
    private Platform platform;
    private Hooks hooks;
    private WebhookReceiver receiver;

    @BeforeEach
    void start() throws Exception {
        platform = Platform.builder().node(NodeSpec.of("local", Resources.builder().cpu(16).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state")).build();
        hooks = Hooks.builder().platform(platform).module(new WebhookModule()).module(new CommandModule())
                .module(new FileSdModule()).stateFile(tmp.resolve("state").resolve("hooks.json"))
                .minBackoff(Duration.ofMillis(100)).build();
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void stop() {
        hooks.close();
        receiver.close();
        platform.stopAll(Duration.ofSeconds(30));
        platform.close();
    }

    private static AppSpec web(String name, int instances, String greeting) {
        return AppSpec.builder(name).command("sh", "-c", "echo " + greeting + " > index.html; exec busybox httpd -f -p 127.0.0.1:$PORT -h .")
                .env(Map.of("PORT", "RANDOM_PORT")).instances(instances).build();
    }

    private Set<String> ready(String app) {
        return platform.app(app).records().stream().filter(r -> r.state() == InstanceState.HEALTHY)
                .map(r -> r.id()).collect(Collectors.toSet());
    }

    private Map<String, Object> webhook() {
        return Map.of("url", receiver.url(), "secret", WebhookReceiver.SECRET, "timeoutMs", 2000);
    }

    private void awaitReceived(String app) {
        await().atMost(WAIT).until(() -> ready(app).equals(receiver.view(app)) && hooks.lanes().stream()
                .filter(l -> l.app().equals(app)).allMatch(l -> l.pending().isEmpty()));
    }

    @Test
    void aWebhookSeesEachAppsChangesInOrderThroughScalingAKillARespawnAndARollingDeploy() {
        hooks.setPreset("webhook", "web", true, webhook());
        hooks.setPreset("webhook", "quiet", false, webhook());
        platform.deploy(web("web", 2, "one"));
        platform.deploy(web("quiet", 1, "shh"));
        awaitReceived("web");
        platform.scale("web", Instances.of(4));
        awaitReceived("web");
        String victim = ready("web").iterator().next();
        platform.instance(victim).kill(); // SIGKILL: a crash, respawned
        await().atMost(WAIT).until(() -> platform.instance(victim).record().restarts() == 1);
        awaitReceived("web");
        platform.scale("web", Instances.of(2));
        awaitReceived("web");
        String release = platform.deploy(web("web", 2, "two")).release();
        await().atMost(WAIT).until(() -> ready("web").size() == 2 && platform.instances("web").stream()
                .allMatch(i -> i.record().release().equals(release)));
        awaitReceived("web");

        List<JsonNode> jobs = receiver.of("web");
        Map<String, String> last = new HashMap<>();
        for (JsonNode j : jobs) { // per instance: UP, DOWN, UP, ... in the platform's order
            String before = last.put(j.path("instance").asText(), j.path("type").asText());
            assertThat(before).as("%s", j).isNotEqualTo(j.path("type").asText());
            if (before == null) {
                assertThat(j.path("type").asText()).as("an instance's first job: %s", j).isEqualTo("UP");
            }
        }
        assertThat(jobs).anyMatch(j -> j.path("instance").asText().equals(victim) && j.path("reason").asText().equals("exited"));
        assertThat(jobs).anyMatch(j -> j.path("reason").asText().equals("stopped"));
        assertThat(jobs).anyMatch(j -> j.path("reason").asText().equals("replaced"));
        assertThat(jobs.stream().filter(j -> j.path("type").asText().equals("UP")))
                .allSatisfy(j -> assertThat(j.path("endpoint").asText()).matches("127\\.0\\.0\\.1:[0-9]+"));
        assertThat(jobs.get(0).fieldNames()).toIterable()
                .containsExactly("id", "type", "app", "instance", "release", "node", "endpoint", "reason", "at");
        assertThat(receiver.of("quiet")).as("a disabled preset gets nothing").isEmpty();
        assertThat(receiver.refused).as("every request was signed").isEmpty();
    }

    @Test
    void aNodeLossReachesTheWebhookAsDownLostThenUpElsewhere() throws Exception {
        // nodes that can be switched off: the test kit's SimBackend, with the real webhook over real HTTP
        dev.berth.testkit.SimBackend sim = dev.berth.testkit.SimBackend.builder().nodes(List.of("n1", "n2")).build();
        try (Platform cluster = Platform.builder().cluster(List.of(NodeSpec.of("n1", Resources.of(16, 65536)),
                        NodeSpec.of("n2", Resources.of(16, 65536)))).backend(sim).stateDir(tmp.resolve("sim-state"))
                .nodeDownAfter(Duration.ofMillis(300)).build();
             Hooks simHooks = Hooks.builder().platform(cluster).module(new WebhookModule()).build()) {
            simHooks.setPreset("webhook", "api", true, webhook());
            cluster.deploy(AppSpec.builder("api").command("serve").instances(2).resources(Resources.of(1, 256)).build());
            @SuppressWarnings("unchecked")
            Set<String>[] ready = new Set[1];
            java.util.function.Supplier<Set<String>> healthy = () -> cluster.app("api").records().stream()
                    .filter(r -> r.state() == InstanceState.HEALTHY).map(r -> r.id()).collect(Collectors.toSet());
            await().atMost(WAIT).until(() -> healthy.get().size() == 2 && receiver.view("api").equals(healthy.get()));
            String lost = cluster.instance(healthy.get().iterator().next()).record().node();
            String other = lost.equals("n1") ? "n2" : "n1";
            sim.setNodeAlive(lost, false);
            await().atMost(WAIT).until(() -> {
                ready[0] = healthy.get();
                return ready[0].size() == 2 && ready[0].stream().allMatch(id -> cluster.instance(id).record().node().equals(other))
                        && receiver.view("api").equals(ready[0]);
            });
            List<JsonNode> jobs = receiver.of("api");
            assertThat(jobs).anyMatch(j -> j.path("type").asText().equals("DOWN") && j.path("reason").asText().equals("lost")
                    && j.path("node").asText().equals(lost));
            assertThat(jobs.get(jobs.size() - 1).path("type").asText()).isEqualTo("UP");
            assertThat(jobs.get(jobs.size() - 1).path("node").asText()).isEqualTo(other);
        }
    }

    @Test
    void aFailingReceiverIsRetriedWhileOtherAppsGoOn() {
        receiver.failing.add("slow");
        hooks.setPreset("webhook", "slow", true, webhook());
        hooks.setPreset("webhook", "fast", true, webhook());
        platform.deploy(web("slow", 1, "s"));
        await().atMost(WAIT).until(() -> hooks.lanes().stream().anyMatch(l -> l.app().equals("slow") && l.attempts() >= 2));
        platform.deploy(web("fast", 2, "f"));
        awaitReceived("fast");
        assertThat(receiver.of("slow")).isEmpty();
        assertThat(hooks.lanes()).anySatisfy(l -> assertThat(l.lastError()).contains("answered 503"));
        receiver.failing.clear();
        awaitReceived("slow");
    }

    @Test
    void fileSdKeepsAPrometheusTargetFileAndACommandGetsTheJobInItsEnvironment() throws Exception {
        Path sd = tmp.resolve("file-sd");
        Path log = tmp.resolve("command.log");
        hooks.setPreset("file-sd", "web", true, Map.of("dir", sd.toString()));
        hooks.setPreset("command", "web", true, Map.of("argv", List.of("sh", "-c",
                "printf '%s %s %s\\n' \"$BERTH_EVENT\" \"$BERTH_INSTANCE\" \"$BERTH_ENDPOINT\" >> \"$1\"", "sh", log.toString())));
        platform.deploy(web("web", 3, "one"));
        Path file = sd.resolve("web.json");
        ObjectMapper json = new ObjectMapper();
        await().atMost(WAIT).until(() -> Files.exists(file) && json.readTree(file.toFile()).size() == 3);
        platform.scale("web", Instances.of(2));
        await().atMost(WAIT).until(() -> json.readTree(file.toFile()).size() == 2);

        // Prometheus' file_sd format: a list of {"targets": ["host:port", ...], "labels": {name: value}}
        Pattern labelName = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
        JsonNode groups = json.readTree(file.toFile());
        assertThat(groups.isArray()).isTrue();
        Set<String> targets = new java.util.HashSet<>();
        for (JsonNode g : groups) {
            assertThat(g.fieldNames()).toIterable().containsExactlyInAnyOrder("targets", "labels");
            g.path("targets").forEach(t -> {
                assertThat(t.asText()).matches("127\\.0\\.0\\.1:[0-9]+");
                targets.add(t.asText());
            });
            g.path("labels").fields().forEachRemaining(e -> {
                assertThat(e.getKey()).matches(labelName);
                assertThat(e.getValue().isTextual()).isTrue();
            });
            assertThat(g.path("labels").path("app").asText()).isEqualTo("web");
        }
        assertThat(targets).isEqualTo(platform.instances("web").stream().filter(i -> ready("web").contains(i.id()))
                .map(i -> i.record().endpoint().toString()).collect(Collectors.toSet()));

        await().atMost(WAIT).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 4);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.subList(0, 3)).allMatch(l -> l.matches("UP web-[0-9]+ 127\\.0\\.0\\.1:[0-9]+"));
        assertThat(lines.get(3)).matches("DOWN web-[0-9]+ 127\\.0\\.0\\.1:[0-9]+");
    }
}
