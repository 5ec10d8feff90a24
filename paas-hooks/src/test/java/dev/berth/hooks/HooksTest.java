// The hook queue over a platform on the test kit's SimBackend: order per app, retries that hold no other app back, presets, restarts.
package dev.berth.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HookJob;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.api.NotFoundException;
import dev.berth.api.Resources;
import dev.berth.core.Platform;
import dev.berth.testkit.SimBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HooksTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<NodeSpec> NODES = List.of(NodeSpec.of("n1", Resources.of(16, 65536)),
            NodeSpec.of("n2", Resources.of(16, 65536)));

    @TempDir
    Path state;

    private final SimBackend sim = SimBackend.builder().nodes(List.of("n1", "n2")).build();
    private final RecordingModule module = new RecordingModule("rec");
    private Platform platform;
    private Hooks hooks;

    private void start() {
        platform = Platform.builder().cluster(NODES).backend(sim).stateDir(state.resolve("platform"))
                .nodeDownAfter(Duration.ofMillis(300)).build();
        hooks = hooks(module);
    }

    private Hooks hooks(RecordingModule m) {
        return Hooks.builder().platform(platform).module(m).stateFile(state.resolve("hooks.json"))
                .minBackoff(Duration.ofMillis(50)).build();
    }

    @AfterEach
    void stop() {
        if (hooks != null) {
            hooks.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private static AppSpec app(String name, int instances, String command) {
        return AppSpec.builder(name).command(command).instances(instances).resources(Resources.of(1, 256)).build();
    }

    private Set<String> ready(String app) {
        return platform.app(app).records().stream().filter(r -> r.state() == InstanceState.HEALTHY)
                .map(r -> r.id()).collect(Collectors.toSet());
    }

    private void awaitView(RecordingModule m, String app) {
        await().atMost(WAIT).until(() -> ready(app).equals(m.view(app)) && hooks.lanes().stream()
                .filter(l -> l.app().equals(app)).allMatch(l -> l.pending().isEmpty()));
    }

    /** Each instance's jobs go UP, DOWN, UP, ...: never two of a kind in a row. */
    private static void alternate(List<HookJob> jobs) {
        Map<String, HookJob.Type> last = new HashMap<>();
        for (HookJob j : jobs) {
            HookJob.Type before = last.put(j.instance(), j.type());
            assertThat(before).as("%s after %s", j, before).isNotEqualTo(j.type());
            if (before == null) {
                assertThat(j.type()).as("an instance's first job").isEqualTo(HookJob.Type.UP);
            }
        }
    }

    @Test
    void theJobsOfAnAppComeInThePlatformsOrderThroughScalingCrashesARollingDeployAndANodeLoss() {
        start();
        hooks.setPreset("rec", "web", true, Map.of());
        platform.deploy(app("web", 2, "serve v1"));
        awaitView(module, "web");
        platform.scale("web", Instances.of(4));
        awaitView(module, "web");
        String victim = ready("web").iterator().next();
        sim.kill(victim, 1);
        await().atMost(WAIT).until(() -> platform.instance(victim).record().restarts() == 1);
        awaitView(module, "web");
        platform.scale("web", Instances.of(2));
        awaitView(module, "web");
        platform.deploy(app("web", 2, "serve v2"));
        await().atMost(WAIT).until(() -> platform.instances("web").stream().allMatch(i -> i.record().release()
                .equals(platform.app("web").release())) && ready("web").size() == 2);
        awaitView(module, "web");
        String lostNode = platform.instance(ready("web").iterator().next()).record().node();
        sim.setNodeAlive(lostNode, false);
        await().atMost(WAIT).until(() -> ready("web").size() == 2 && ready("web").stream()
                .noneMatch(id -> platform.instance(id).record().node().equals(lostNode)));
        awaitView(module, "web");

        List<HookJob> jobs = module.of("web");
        alternate(jobs);
        assertThat(jobs).anyMatch(j -> j.instance().equals(victim) && "exited".equals(j.reason()));
        assertThat(jobs).anyMatch(j -> "stopped".equals(j.reason()));   // the scale-down
        assertThat(jobs).anyMatch(j -> "replaced".equals(j.reason()));  // the rolling deploy
        assertThat(jobs).anyMatch(j -> "lost".equals(j.reason()));      // the node loss
        assertThat(jobs.stream().filter(j -> j.type() == HookJob.Type.UP))
                .allSatisfy(j -> assertThat(j.node()).isNotNull());
        assertThat(jobs.stream().map(HookJob::id).distinct().count()).isEqualTo(jobs.size());
    }

    @Test
    void aFailingAppIsRetriedWithItsJobIdWhileOtherAppsGoOn() {
        start();
        hooks.setPreset("rec", "slow", true, Map.of());
        hooks.setPreset("rec", "fast", true, Map.of());
        module.failNext("slow", Integer.MAX_VALUE); // until told otherwise
        platform.deploy(app("slow", 1, "serve"));
        await().atMost(WAIT).until(() -> !module.failures.isEmpty());
        platform.deploy(app("fast", 2, "serve"));
        awaitView(module, "fast"); // while slow's first job is still failing
        assertThat(module.of("slow")).isEmpty();
        assertThat(hooks.lanes()).anySatisfy(l -> {
            assertThat(l.app()).isEqualTo("slow");
            assertThat(l.lastError()).contains("told to fail slow");
            assertThat(l.attempts()).isPositive();
        });
        module.failNext("slow", 0); // the receiver is back
        awaitView(module, "slow");
        assertThat(module.failures).allMatch(id -> id.equals(module.of("slow").get(0).id())); // the same job, retried
    }

    @Test
    void aDisabledPresetGetsNothingAndEnablingItSyncsWhatIsReady() {
        start();
        hooks.setPreset("rec", "web", false, Map.of());
        platform.deploy(app("web", 3, "serve"));
        await().atMost(WAIT).until(() -> ready("web").size() == 3);
        platform.deploy(app("other", 1, "serve")); // no preset at all
        await().atMost(WAIT).until(() -> ready("other").size() == 1);
        hooks.sync();
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> module.jobs.isEmpty());

        hooks.setPreset("rec", "web", true, Map.of());
        awaitView(module, "web");
        assertThat(module.of("web")).hasSize(3).allMatch(j -> j.type() == HookJob.Type.UP);
        assertThat(module.of("other")).isEmpty();

        assertThatThrownBy(() -> hooks.setPreset("rec", "web", true, Map.of("bad", 1))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("options.bad");
        assertThatThrownBy(() -> hooks.setPreset("nope", "web", true, Map.of())).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("installed: [rec]");
        assertThatThrownBy(() -> hooks.setPreset("rec", "Web App", true, Map.of())).isInstanceOf(InvalidSpecException.class);
        assertThat(hooks.preset("rec", "web")).hasValueSatisfying(p -> assertThat(p.options()).isEmpty());
    }

    @Test
    void aFailingJobOfAPresetDisabledMeanwhileIsDroppedAndReEnablingGoesOn() {
        start();
        hooks.setPreset("rec", "web", true, Map.of());
        module.failWithError = true; // an Error, not an Exception: the lane must still be retried
        module.failNext("web", Integer.MAX_VALUE);
        platform.deploy(app("web", 2, "serve"));
        await().atMost(WAIT).until(() -> hooks.lanes().get(0).attempts() >= 2);
        hooks.setPreset("rec", "web", false, Map.of());
        await().atMost(WAIT).until(() -> hooks.lanes().get(0).pending().isEmpty());
        module.failNext("web", 0);
        hooks.setPreset("rec", "web", true, Map.of());
        awaitView(module, "web");
        assertThat(module.overlapped).isFalse();
    }

    @Test
    void newOptionsSendEverythingAgainAndARemovedPresetStartsOver() {
        start();
        hooks.setPreset("rec", "web", true, Map.of("target", "a"));
        platform.deploy(app("web", 3, "serve"));
        awaitView(module, "web");
        hooks.setPreset("rec", "web", true, Map.of("target", "b")); // a new target knows nothing yet
        await().atMost(WAIT).until(() -> module.of("web").size() == 6);
        assertThat(module.of("web").subList(3, 6)).allMatch(j -> j.type() == HookJob.Type.UP);
        hooks.setPreset("rec", "web", true, Map.of("target", "b")); // the same options: nothing again
        hooks.removePreset("rec", "web");
        assertThat(hooks.lanes()).isEmpty();
        assertThatThrownBy(() -> hooks.removePreset("rec", "web")).isInstanceOf(NotFoundException.class);
        hooks.setPreset("rec", "web", true, Map.of("target", "c"));
        await().atMost(WAIT).until(() -> module.of("web").size() == 9);
        assertThat(module.overlapped).isFalse();
        assertThatThrownBy(() -> hooks.setPreset("rec", "web", true, java.util.Collections.singletonMap("x", null)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("options.x");
    }

    @Test
    void aCorruptStateFileIsRefusedWithWhatToDo() throws Exception {
        platform = Platform.builder().cluster(NODES).backend(sim).stateDir(state.resolve("platform")).build();
        java.nio.file.Files.writeString(state.resolve("hooks.json"), "{\"presets\": [{\"module\": 3}]");
        assertThatThrownBy(() -> hooks(module)).isInstanceOf(dev.berth.api.StateStoreException.class)
                .hasMessageContaining("hooks.json").hasMessageContaining("move it away");
    }

    @Test
    void pendingJobsSurviveARestartAndKeepTheirIdsAndOrder() {
        start();
        hooks.setPreset("rec", "web", true, Map.of());
        module.failNext("web", Integer.MAX_VALUE); // the receiver is down: every job stays pending
        platform.deploy(app("web", 3, "serve"));
        await().atMost(WAIT).until(() -> hooks.lanes().get(0).pending().size() == 3 && ready("web").size() == 3);
        List<String> pending = hooks.lanes().get(0).pending().stream().map(HookJob::id).toList();
        hooks.close(); // as a crash would, but for the last save (a crash loses at most the last 100 ms)

        RecordingModule again = new RecordingModule("rec");
        hooks = hooks(again);
        awaitView(again, "web");
        assertThat(again.of("web").stream().map(HookJob::id).toList()).isEqualTo(pending); // the saved jobs, in order
    }

    @Test
    void aRestartedHooksKeepsItsPresetsAndCheckpointsAndSendsOnlyWhatChanged() {
        start();
        hooks.setPreset("rec", "web", true, Map.of());
        platform.deploy(app("web", 3, "serve"));
        awaitView(module, "web");
        hooks.close();
        platform.scale("web", Instances.of(5)); // while no hooks run
        await().atMost(WAIT).until(() -> ready("web").size() == 5);

        RecordingModule again = new RecordingModule("rec");
        hooks = hooks(again);
        assertThat(hooks.preset("rec", "web")).isPresent();
        await().atMost(WAIT).until(() -> again.of("web").size() == 2);
        assertThat(again.of("web")).allMatch(j -> j.type() == HookJob.Type.UP && !module.view("web").contains(j.instance()));
        Set<String> both = new java.util.HashSet<>(module.view("web"));
        both.addAll(again.view("web"));
        assertThat(both).isEqualTo(ready("web"));
    }
}
