package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.NodeStatus;

/**
 * The figure of issue 7: one liveness round over 10 hosts running 1,000 instances (100 real
 * {@code sleep} processes per host, each started through the backend). Logs the figures (starts,
 * rounds, adoption by a new backend); asserts only correctness, never timing.
 * {@code -Dberth.bench.perHost=N} changes the count per host.
 */
class LivenessBenchIT {
    private static final Logger LOG = LoggerFactory.getLogger(LivenessBenchIT.class);
    private static final int HOSTS = 10;
    private static final int PER_HOST = Integer.getInteger("berth.bench.perHost", 100);
    private static Kit kit;

    @BeforeAll
    static void hosts() throws Exception {
        kit = Kit.withHosts(41, HOSTS);
    }

    @AfterAll
    static void removeHosts() {
        if (kit != null) {
            kit.close(); // kills every instance with its host
        }
    }

    @Test
    void oneRoundOverTenHostsWithAThousandInstances() throws Exception {
        AppSpec sleeper = Kit.sleeper("bench").build();
        try (SshBackend backend = kit.backend().heartbeat(Duration.ZERO).build()) {
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(HOSTS * 2);
            try {
                List<Future<?>> starts = new ArrayList<>();
                for (NetnsHost h : kit.hosts) {
                    for (int part = 0; part < 2; part++) {
                        int first = part;
                        starts.add(pool.submit(() -> {
                            for (int i = first; i < PER_HOST; i += 2) {
                                backend.start(req("b" + h.n + "-" + i, Kit.node(h), sleeper));
                            }
                            return null;
                        }));
                    }
                }
                for (Future<?> f : starts) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            long startMs = (System.nanoTime() - t0) / 1_000_000;
            int total = HOSTS * PER_HOST;
            LOG.info("started {} instances on {} hosts in {} ms ({} ms per start, 2 starts at a time per host)", total,
                    HOSTS, startMs, String.format("%.1f", startMs * 2.0 * HOSTS / total));

            long[] rounds = new long[7];
            for (int r = 0; r < rounds.length; r++) {
                long s = System.nanoTime();
                List<NodeStatus> statuses = backend.checkHosts();
                rounds[r] = (System.nanoTime() - s) / 1_000;
                assertThat(statuses).allMatch(NodeStatus::reachable);
                assertThat(statuses.stream().mapToInt(st -> st.running().size()).sum()).isEqualTo(total);
            }
            long[] sorted = rounds.clone();
            Arrays.sort(sorted);
            LOG.info("one liveness round over {} hosts with {} instances (one round per host on its liveness channel, in parallel): "
                    + "first {} ms, then min {} ms, median {} ms, max {} ms", HOSTS, total, rounds[0] / 1000,
                    sorted[0] / 1000.0, sorted[sorted.length / 2] / 1000.0, sorted[sorted.length - 1] / 1000.0);

            long s = System.nanoTime();
            try (SshBackend fresh = kit.backend().heartbeat(Duration.ZERO).build()) {
                assertThat(fresh.list()).hasSize(total);
                LOG.info("a new backend connected and listed (adopted) {} instances on {} hosts in {} ms", total, HOSTS,
                        (System.nanoTime() - s) / 1_000_000);
            }
        }
    }
}
