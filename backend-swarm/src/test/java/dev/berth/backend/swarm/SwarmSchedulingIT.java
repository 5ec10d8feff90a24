// Swarm schedules: it places, restarts and moves the tasks, while Berth gates, routes and rolls out with no failed request.
package dev.berth.backend.swarm;

import static dev.berth.backend.swarm.SwarmBackendIT.answering;
import static dev.berth.backend.swarm.SwarmBackendIT.freePort;
import static dev.berth.backend.swarm.SwarmBackendIT.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.Constraints;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SwarmBackend} scheduling by Swarm (its default) under the platform, on {@link SwarmCluster}
 * behind nginx: the nodes the tasks run on are Swarm's choice (within {@code maxPerNode}), a
 * container killed on its node is restarted by Swarm and taken back by Berth as the same instance,
 * a rolling update under load fails no request, and a node cut off has its tasks moved by Swarm
 * and routed again, each instance id running once after the heal. The node loss comes last: it
 * leaves the swarm's raft busy for a while.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SwarmSchedulingIT {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmSchedulingIT.class);
    private static final Duration WAIT = Duration.ofSeconds(90);
    @TempDir
    static Path tmp;
    private static SwarmCluster swarm;
    /** Node number (1-3) by Swarm node id. */
    private static final Map<String, Integer> NUMBER = new HashMap<>();

    @BeforeAll
    static void up() throws Exception {
        swarm = SwarmCluster.start(tmp.resolve("swarm"));
        for (int n = 1; n <= SwarmCluster.NODES; n++) {
            NUMBER.put(swarm.docker(n, "info", "--format", "{{.Swarm.NodeID}}").strip(), n);
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (swarm != null) {
            swarm.close();
        }
    }

    private static SwarmBackend backend(String name) {
        SwarmBackend.Builder b = SwarmBackend.builder().manager(swarm.socket(1)).name(name);
        NUMBER.forEach((id, n) -> b.engine(id, swarm.socket(n)));
        return b.build();
    }

    private static Platform platform(SwarmBackend backend, String dir, int http) {
        return Platform.builder().cluster(backend.nodes()).backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve(dir + "-nginx")).httpPort(http).build())
                .stateDir(tmp.resolve(dir + "-state")).build();
    }

    /** A task's field, read from the manager ({@code docker inspect --type task}). */
    private static String task(String taskId, String format) throws Exception {
        return swarm.docker(1, "inspect", "--type", "task", "--format", format, taskId).strip();
    }

    private static long healthy(Platform p) {
        return records(p).stream().filter(r -> r.state() == InstanceState.HEALTHY).count();
    }

    @Test
    @Order(1)
    void swarmPlacesAndRestartsTasksAndARollingUpdateFailsNoRequest() throws Exception {
        int http = freePort();
        SwarmBackend backend = backend("sched");
        assertThat(backend.nodeStatus()).as("no node liveness of Berth's own: Swarm moves tasks off a down node").isEmpty();
        Platform p = platform(backend, "sched", http);
        try {
            AppSpec app = SwarmBackendIT.hello(6).toBuilder().constraints(new Constraints(false, 2, Map.of())).build();
            p.deploy(app);
            await().atMost(WAIT).until(() -> healthy(p) == 6);
            for (InstanceRecord r : records(p)) {
                assertThat(r.node()).as("%s: the node Swarm put its task on", r.id()).isEqualTo(task(r.handle(), "{{.NodeID}}"));
                assertThat(swarm.docker(1, "service", "inspect", "--format", "{{.Spec.TaskTemplate.Placement.Constraints}}",
                        "sched-" + r.id())).as("not pinned by Berth").doesNotContain("node.id==");
            }
            assertThat(records(p).stream().collect(Collectors.groupingBy(InstanceRecord::node, Collectors.counting())))
                    .as("maxPerNode 2, as Swarm placement constraints").hasSize(3).allSatisfy((node, n) -> assertThat(n).isEqualTo(2));
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 6);

            // A container killed on its node: Swarm restarts the task, Berth takes it back as the same instance.
            InstanceRecord victim = records(p).get(0);
            String service = swarm.docker(1, "service", "inspect", "--format", "{{.ID}}", "sched-" + victim.id()).strip();
            String container = task(victim.handle(), "{{.Status.ContainerStatus.ContainerID}}");
            swarm.docker(NUMBER.get(victim.node()), "kill", container);
            await().atMost(WAIT).until(() -> records(p).stream().anyMatch(r -> r.id().equals(victim.id())
                    && r.state() == InstanceState.HEALTHY && r.restarts() == 1 && !r.handle().equals(victim.handle())));
            assertThat(swarm.docker(1, "service", "inspect", "--format", "{{.ID}}", "sched-" + victim.id()).strip())
                    .as("the same service: Swarm restarted its task, Berth made nothing new").isEqualTo(service);
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 6);

            String first = p.app("hello").release();
            SwarmBackendIT.Load load = new SwarmBackendIT.Load(http, 4);
            try {
                await().atMost(WAIT).until(() -> load.ok.sum() > 200);
                p.deploy(app.toBuilder().env("GREETING", "two").build());
                await().atMost(WAIT).until(() -> !p.app("hello").release().equals(first) && records(p).size() == 6
                        && records(p).stream().allMatch(r -> r.release().equals(p.app("hello").release())
                                && r.state() == InstanceState.HEALTHY));
                long seen = load.ok.sum();
                await().atMost(WAIT).until(() -> load.ok.sum() > seen + 200);
            } finally {
                load.close();
            }
            LOG.info("rolling update with Swarm scheduling: {} requests ok, {} failed", load.ok.sum(), load.failures.size());
            assertThat(load.failures).as("failed requests of %d", load.ok.sum()).isEmpty();
            assertThat(records(p).stream().collect(Collectors.groupingBy(InstanceRecord::node, Collectors.counting())))
                    .allSatisfy((node, n) -> assertThat(n).isLessThanOrEqualTo(2));
        } finally {
            try {
                p.stopAll(Duration.ofSeconds(30));
            } finally {
                p.close();
            }
        }
    }

    @Test
    @Order(2)
    void aNodeCutOffHasItsTasksMovedBySwarmAndRoutedAndEachIdRunsOnceAfterTheHeal() throws Exception {
        int http = freePort();
        SwarmBackend backend = backend("moved");
        Platform p = platform(backend, "moved", http);
        try {
            p.deploy(SwarmBackendIT.hello(4).toBuilder().constraints(Constraints.none()).build());
            await().atMost(WAIT).until(() -> healthy(p) == 4);
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 4);
            // the node to cut: not the backend's manager (node 1); the other one with more instances
            Map<Integer, Long> perNode = records(p).stream().collect(Collectors.groupingBy(r -> NUMBER.get(r.node()),
                    Collectors.counting()));
            int victim = perNode.getOrDefault(2, 0L) >= perNode.getOrDefault(3, 0L) ? 2 : 3;
            Set<String> moved = records(p).stream().filter(r -> NUMBER.get(r.node()) == victim).map(InstanceRecord::id)
                    .collect(Collectors.toSet());
            assertThat(moved).isNotEmpty();
            SwarmBackendIT.Cut cut = SwarmBackendIT.cutUnderLoad(swarm, victim, http, () -> {
                List<InstanceRecord> now = records(p);
                return now.size() == 4 && now.stream().allMatch(r -> NUMBER.get(r.node()) != victim
                        && r.state() == InstanceState.HEALTHY);
            }, () -> answering(http).size() == 4);
            LOG.info("swarm node cut off, Swarm scheduling: its tasks moved and healthy {} ms after the cut; load {} ok, {} failed "
                    + "(the first: {})", cut.took().toMillis(), cut.load().ok.sum(), cut.load().failures.size(),
                    cut.load().failures.stream().limit(3).toList());
            assertThat(cut.took()).as("moved after the cut").isLessThan(Duration.ofSeconds(30));
            assertThat(records(p)).extracting(InstanceRecord::id).as("the same instances, moved").containsAll(moved);

            swarm.heal(victim);
            await().atMost(WAIT).ignoreExceptions().until(() -> { // one running task per instance once the node is back
                for (InstanceRecord r : records(p)) {
                    List<String> running = swarm.docker(1, "service", "ps", "--filter", "desired-state=running", "--format",
                            "{{.CurrentState}}", "moved-" + r.id()).lines().filter(l -> l.startsWith("Running")).toList();
                    if (running.size() != 1) {
                        return false;
                    }
                }
                return swarm.docker(victim, "ps", "-q", "--filter", "label=berth.managed=moved").isBlank();
            });
            assertThat(answering(http)).isEqualTo(records(p).stream().map(InstanceRecord::id).collect(Collectors.toSet()));
        } finally {
            try {
                p.stopAll(Duration.ofSeconds(30));
            } finally {
                p.close();
            }
        }
    }
}
