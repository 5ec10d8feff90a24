// The hook modules across a failover: presets, checkpoints and pending jobs in real ZooKeeper, so the new leader's modules go on where the old one's stopped.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HookJob;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.core.Platform;
import dev.berth.hooks.Hooks;
import dev.berth.spi.HookModule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two controllers; the leader runs the hook modules on {@link ZooKeeperHookState}. One receiver
 * (the module's list) stands for what is outside: after the leader's session dies, the new
 * leader's modules load the preset and the checkpoint, find nothing missing, and tell the
 * receiver only what happens next.
 */
class HaHooksIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path tmp;
    private Controllers controllers;
    private final List<HookJob> received = new CopyOnWriteArrayList<>();
    private final List<Hooks> running = new CopyOnWriteArrayList<>();

    /** The receiver: every job it is handed. */
    private final HookModule receiver = new HookModule() {
        @Override
        public String name() {
            return "rec";
        }

        @Override
        public void validate(Map<String, Object> options) {
            // none
        }

        @Override
        public void handle(HookJob job, Map<String, Object> options) {
            received.add(job);
        }
    };

    @BeforeEach
    void start() throws Exception {
        controllers = new Controllers(tmp);
    }

    @AfterEach
    void stop() throws Exception {
        running.forEach(Hooks::close);
        controllers.close();
    }

    private HaController controller(String id) throws Exception {
        int index = controllers.clients.size();
        HaController[] self = new HaController[1];
        Hooks[] hooks = new Hooks[1];
        self[0] = controllers.start(id, "/berth/hooks", b -> b
                .onLead(p -> {
                    Leadership l = self[0].leadership();
                    hooks[0] = Hooks.builder().platform(p).module(receiver)
                            .state(new ZooKeeperHookState(controllers.clients.get(index), "/berth/hooks", l, l.epoch())).build();
                    running.add(hooks[0]);
                })
                .onStepDown(p -> {
                    hooks[0].close();
                    running.remove(hooks[0]);
                }));
        return self[0];
    }

    private static long healthy(Platform p) {
        return p.instances("web").stream().filter(i -> i.record().state() == InstanceState.HEALTHY).count();
    }

    @Test
    void theNewLeadersModulesGoOnWhereTheOldOnesStopped() throws Exception {
        HaController first = controller("c1");
        await().atMost(WAIT).until(() -> first.platform().isPresent() && !running.isEmpty());
        running.get(0).setPreset("rec", "web", true, Map.of());
        Platform p1 = first.platform().orElseThrow();
        p1.deploy(AppSpec.builder("web").command("sh", "-c", "exec sleep 300").instances(2).build());
        await().atMost(WAIT).until(() -> healthy(p1) == 2 && received.size() == 2);
        HaController second = controller("c2");

        controllers.expireSession(0);
        await().atMost(WAIT).until(() -> second.platform().isPresent() && first.platform().isEmpty() && running.size() == 1);
        Platform p2 = second.platform().orElseThrow();
        Hooks hooks2 = running.get(0);
        assertThat(hooks2.preset("rec", "web")).as("the preset, from ZooKeeper").isPresent();
        await().atMost(WAIT).until(() -> healthy(p2) == 2);
        hooks2.sync();
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2); // nothing again

        p2.scale("web", Instances.of(3));
        await().atMost(WAIT).until(() -> received.size() == 3);
        assertThat(received).allMatch(j -> j.type() == HookJob.Type.UP);
        assertThat(received.stream().map(HookJob::instance).distinct().count()).isEqualTo(3);
        assertThat(hooks2.lanes().get(0).acknowledged()).isEqualTo(3);
    }
}
