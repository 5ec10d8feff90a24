// Two controllers on one machine sharing real ZooKeeper and the process backend: the leader's session dies, the other adopts its instances.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes, a real ZooKeeper server (in-process): only the leader runs a platform; when its
 * session expires the other controller is elected, loads the state the first one wrote and adopts
 * the same processes (same handles, no restart), and goes on.
 */
class HaControllerIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path tmp;
    private Controllers controllers;

    @BeforeEach
    void start() throws Exception {
        controllers = new Controllers(tmp);
    }

    @AfterEach
    void stop() throws Exception {
        controllers.close();
    }

    private static Map<String, String> handles(Platform p) {
        return p.app("web").records().stream()
                .collect(Collectors.toMap(InstanceRecord::id, r -> String.valueOf(r.handle())));
    }

    @Test
    void whenTheLeadersSessionDiesTheOtherAdoptsItsInstancesWithoutARestart() throws Exception {
        HaController first = controllers.start("c1", "/berth/ha", b -> b);
        await().atMost(WAIT).until(() -> first.platform().isPresent());
        HaController second = controllers.start("c2", "/berth/ha", b -> b);
        Platform p1 = first.platform().orElseThrow();
        p1.deploy(AppSpec.builder("web").command("sh", "-c", "exec sleep 300").instances(2).build());
        await().atMost(WAIT).until(() -> p1.instances("web").size() == 2 && p1.instances("web").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        Map<String, String> before = handles(p1);
        assertThat(second.platform()).as("a follower runs no platform").isEmpty();

        controllers.expireSession(0); // c1's machine "dies"
        await().atMost(Duration.ofSeconds(10)).until(() -> second.platform().isPresent() && first.platform().isEmpty());
        Platform p2 = second.platform().orElseThrow();
        await().atMost(WAIT).until(() -> p2.instances("web").size() == 2 && p2.instances("web").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        assertThat(handles(p2)).as("the same processes, adopted").isEqualTo(before);
        assertThat(p2.instances("web")).allMatch(i -> i.record().restarts() == 0);

        p2.scale("web", Instances.of(3)); // the new leader writes and acts
        await().atMost(WAIT).until(() -> p2.instances("web").stream().filter(i -> i.record().state() == InstanceState.HEALTHY)
                .count() == 3);
    }
}
