package dev.berth.router.nginx;

import static dev.berth.router.nginx.Fixtures.get;
import static dev.berth.router.nginx.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each route's body limit and timeouts, through the real nginx; fails, never skips. */
class NginxRouteSettingsIT {
    private static final int MIB = 1024 * 1024;

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
    void aBodyOverTheRoutesLimitGets413AndZeroMeansNoLimit() throws Exception {
        Endpoint counter = fx.upstream(ex ->
                Fixtures.answer(ex, 200, "got " + ex.getRequestBody().readAllBytes().length));
        NginxRouter router = fx.router("nginx", b -> b);
        router.apply(new RoutingTable(Map.of(
                "limited.test", route("limited", counter, RouteSettings.defaults().withMaxBodyMb(1)),
                "unlimited.test", route("unlimited", counter, RouteSettings.defaults().withMaxBodyMb(0)))));
        int port = Fixtures.httpPort(router);

        assertThat(request(port, "limited.test", "POST", new byte[2 * MIB]).status()).isEqualTo(413);
        Fixtures.Response small = request(port, "limited.test", "POST", new byte[1000]);
        assertThat(small.status()).isEqualTo(200);
        assertThat(small.body()).isEqualTo("got 1000");
        Fixtures.Response big = request(port, "unlimited.test", "POST", new byte[2 * MIB]);
        assertThat(big.status()).isEqualTo(200);
        assertThat(big.body()).isEqualTo("got " + 2 * MIB);
    }

    @Test
    void anInstanceSlowerThanTheRoutesReadTimeoutGets504AndAPatientRouteWaits() throws Exception {
        Endpoint slow = fx.upstream(ex -> {
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Fixtures.answer(ex, 200, "slow");
        });
        NginxRouter router = fx.router("nginx", b -> b);
        router.apply(new RoutingTable(Map.of(
                "hasty.test", route("hasty", slow, RouteSettings.defaults().withReadTimeout(Duration.ofMillis(300))),
                "patient.test", route("patient", slow, RouteSettings.defaults()))));
        int port = Fixtures.httpPort(router);

        long t0 = System.nanoTime();
        Fixtures.Response hasty = get(port, "hasty.test");
        long hastyMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(hasty.status()).isEqualTo(504);
        assertThat(hastyMs).as("answered after the 300 ms read timeout, not after the instance's 2 s")
                .isBetween(290L, 1800L);

        Fixtures.Response patient = get(port, "patient.test");
        assertThat(patient.status()).isEqualTo(200);
        assertThat(patient.body()).isEqualTo("slow");
    }

    private static Route route(String app, Endpoint e, RouteSettings settings) {
        return new Route(app, Balance.LEAST_CONN, List.of(e), null, settings);
    }
}
