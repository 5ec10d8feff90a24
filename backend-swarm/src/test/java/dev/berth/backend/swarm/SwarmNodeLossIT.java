// A swarm node cut off under load: its instances start on the other nodes and are routed; after the heal no id runs twice.
package dev.berth.backend.swarm;

import static dev.berth.backend.swarm.SwarmBackendIT.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With Berth placing ({@code swarmSchedules(false)}): a node of {@link SwarmCluster} (not the
 * manager the backend talks to) loses its link while four
 * instances serve through nginx under load: the swarm marks it down, the platform marks it down
 * and starts its instances on the other nodes, and nginx routes only to the new ones; when the link
 * comes back, the platform stops the ones it replaced, so each instance id has one service.
 */
class SwarmNodeLossIT {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmNodeLossIT.class);
    private static final Duration WAIT = Duration.ofSeconds(90);
    @TempDir
    Path tmp;
    private SwarmCluster swarm;

    @AfterEach
    void down() throws Exception {
        if (swarm != null) {
            swarm.close();
        }
    }

    @Test
    void aNodeCutOffHasItsInstancesRunElsewhereAndRoutedAndNoIdRunsTwiceAfterTheHeal() throws Exception {
        swarm = SwarmCluster.start(tmp.resolve("swarm"));
        int http = SwarmBackendIT.freePort();
        SwarmBackend backend = SwarmBackend.builder().manager(swarm.socket(1)).swarmSchedules(false).build(); // Berth places
        String[] swarmIds = new String[SwarmCluster.NODES + 1];
        for (int n = 1; n <= SwarmCluster.NODES; n++) { // no berth.node label: a node's id is its Swarm id
            swarmIds[n] = swarm.docker(n, "info", "--format", "{{.Swarm.NodeID}}").strip();
        }
        Platform p = Platform.builder().cluster(backend.nodes()).backend(backend).nodeDownAfter(Duration.ofSeconds(2))
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(http).build())
                .stateDir(tmp.resolve("state")).build();
        try {
            p.deploy(SwarmBackendIT.hello(4)); // at most 2 a node: what the cut node ran fits on the other two
            await().atMost(WAIT).until(() -> records(p).stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == 4);
            // the node to cut: not the first (the backend's manager), the one of the others with more instances
            Map<String, Long> perNode = records(p).stream().collect(Collectors.groupingBy(InstanceRecord::node, Collectors.counting()));
            int victim = perNode.getOrDefault(swarmIds[2], 0L) >= perNode.getOrDefault(swarmIds[3], 0L) ? 2 : 3;
            String third = swarmIds[victim];
            Set<String> lost = records(p).stream().filter(r -> r.node().equals(third)).map(InstanceRecord::id).collect(Collectors.toSet());
            assertThat(lost).isNotEmpty();
            SwarmBackendIT.Cut cut = SwarmBackendIT.cutUnderLoad(swarm, victim, http, () -> records(p).stream()
                    .filter(r -> !r.node().equals(third) && r.state() == InstanceState.HEALTHY).count() == 4,
                    () -> SwarmBackendIT.answering(http).stream().noneMatch(lost::contains) && SwarmBackendIT.answering(http).size() == 4);
            LOG.info("swarm node cut off: its instances healthy on the others {} ms after the cut; load {} ok, {} failed (the first: {})",
                    cut.took().toMillis(), cut.load().ok.sum(), cut.load().failures.size(), cut.load().failures.stream().limit(3).toList());
            assertThat(cut.took()).as("replaced after the cut").isLessThan(Duration.ofSeconds(30));

            swarm.heal(victim);
            await().atMost(WAIT).ignoreExceptions().until(() -> { // (the managers answer once their raft has caught up)
                List<String> names = swarm.docker(1, "service", "ls", "--format", "{{.Name}}").lines()
                        .filter(l -> l.startsWith("berth-hello-")).toList();
                return names.size() == 4 && lost.stream().noneMatch(id -> names.contains("berth-" + id));
            });
            Set<String> ids = records(p).stream().map(InstanceRecord::id).collect(Collectors.toSet());
            assertThat(ids).hasSize(4).doesNotContainAnyElementsOf(lost);
            assertThat(SwarmBackendIT.answering(http)).isEqualTo(ids);
        } finally {
            p.stopAll(Duration.ofSeconds(30));
            p.close();
        }
    }
}
