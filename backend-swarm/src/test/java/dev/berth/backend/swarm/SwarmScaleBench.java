// How deploy and removal times grow from 6 to 60 instances on the 3-node swarm, Swarm or Berth placing: a measurement.
package dev.berth.backend.swarm;

import static dev.berth.backend.swarm.SwarmBackendIT.records;
import static org.awaitility.Awaitility.await;

import dev.berth.api.Constraints;
import dev.berth.api.InstanceState;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Not part of the suite (its name matches no failsafe pattern): run it by name,
 * {@code mvn -B -o -pl backend-swarm verify -Dit.test=SwarmScaleBench -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false}. For 6 and 60 instances (no constraint, no router), with
 * Swarm and then Berth placing, it prints one line: from the deploy call until every instance is
 * healthy, and from the removal until no service is left.
 */
class SwarmScaleBench {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmScaleBench.class);
    private static final Duration WAIT = Duration.ofMinutes(5);
    @TempDir
    Path tmp;

    @Test
    void deployAndRemoveTimesFromSixToSixtyInstances() throws Exception {
        try (SwarmCluster swarm = SwarmCluster.start(tmp.resolve("swarm"))) {
            for (boolean swarmSchedules : new boolean[] {true, false}) {
                for (int n : new int[] {6, 60}) {
                    String name = (swarmSchedules ? "s" : "b") + n;
                    SwarmBackend backend = SwarmBackend.builder().manager(swarm.socket(1)).name(name)
                            .swarmSchedules(swarmSchedules).build();
                    Platform p = Platform.builder().cluster(backend.nodes()).backend(backend)
                            .stateDir(tmp.resolve(name)).build();
                    try {
                        long t0 = System.nanoTime();
                        p.deploy(SwarmBackendIT.hello(n).toBuilder().routing(dev.berth.api.Routing.none())
                                .constraints(Constraints.none()).resources(dev.berth.api.Resources.of(0.02, 8)).build());
                        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> records(p).stream()
                                .filter(r -> r.state() == InstanceState.HEALTHY).count() == n);
                        long up = System.nanoTime() - t0;
                        long t1 = System.nanoTime();
                        p.remove("hello");
                        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> swarm.docker(1, "service", "ls",
                                "-q", "--filter", "label=berth.managed=" + name).isBlank());
                        long down = System.nanoTime() - t1;
                        LOG.info("{\"placement\":\"{}\",\"instances\":{},\"allHealthyMs\":{},\"allRemovedMs\":{}}",
                                swarmSchedules ? "swarm" : "berth", n, up / 1_000_000, down / 1_000_000);
                    } finally {
                        p.close();
                        backend.close();
                    }
                }
            }
        }
    }
}
