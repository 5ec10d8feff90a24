package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1,000 apps of 10 instances each through the real nginx (fails, never skips): {@link NginxRouter#check}
 * renders and validates without touching what serves, {@link NginxRouter#apply} makes it serve.
 * Logs the times; asserts only generous bounds, since other tests may share the machine.
 */
class NginxLargeTableIT {
    private static final Logger LOG = LoggerFactory.getLogger(NginxLargeTableIT.class);
    private static final int APPS = 1000;
    private static final int INSTANCES = 10;

    @TempDir
    Path dir;

    private Fixtures fx;

    @BeforeEach
    void fixtures() {
        fx = new Fixtures(dir);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void checksAndAppliesAThousandAppsOfTenInstances() throws Exception {
        NginxRouter router = fx.router("nginx", b -> b);
        RoutingTable table = table(0);
        String before = Files.readString(router.configFile());

        List<Long> checkMs = new ArrayList<>();
        String text = null;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            text = router.check(table);
            checkMs.add((System.nanoTime() - t0) / 1_000_000);
        }
        assertThat(Files.readString(router.configFile())).as("check installs nothing").isEqualTo(before);
        assertThat(text.split("\n    upstream ", -1)).hasSize(APPS + 1);

        List<Long> applyMs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RoutingTable next = table(i); // one instance moves each time
            long t0 = System.nanoTime();
            router.apply(next);
            applyMs.add((System.nanoTime() - t0) / 1_000_000);
        }
        // routed (no instance listens, so nginx answers 502 or 504, never the unknown host's 404)
        assertThat(Fixtures.get(Fixtures.httpPort(router), "app-7.test").status()).isNotEqualTo(404);
        assertThat(Fixtures.get(Fixtures.httpPort(router), "nobody.test").status()).isEqualTo(404);

        LOG.info("{} apps x {} instances ({} KiB of config): check (render + nginx -t) {} ms, apply until only the "
                + "new configuration serves {} ms", APPS, INSTANCES, text.length() / 1024, checkMs, applyMs);
        // the times are logged, not asserted: on a loaded 2-core CI machine one nginx -t took 12 s (the
        // figures belong to docs/performance.md's benchmark, RouterBench)
    }

    /** Apps app-0..app-999 on app-N.test, instances on unused loopback ports; {@code shift} moves one. */
    private static RoutingTable table(int shift) {
        Map<String, Route> routes = new TreeMap<>();
        for (int a = 0; a < APPS; a++) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                int port = 20_000 + a * INSTANCES + i + (a == 0 && i == 0 ? 10_000 + shift : 0);
                endpoints.add(new Endpoint("127.0.0.1", port));
            }
            routes.put("app-" + a + ".test", new Route("app-" + a, Balance.LEAST_CONN, endpoints));
        }
        return new RoutingTable(routes);
    }
}
