package dev.berth.router.nginx;

import dev.berth.support.testing.RouterScenarios;
import dev.berth.support.testing.RouterScenarios.Respawn;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real nginx never black-holes a domain that has a live instance, and never replays a
 * non-idempotent request: the shared {@link RouterScenarios}, each bounded (at most 16 clients and
 * 20 s, a connection per request, no client retry); fails, never skips, when nginx is missing.
 */
class NginxNoBlackHoleIT {
    @TempDir
    Path dir;

    private Fixtures fx;
    private NginxRouter router;
    private int port;

    @BeforeEach
    void start() throws Exception {
        fx = new Fixtures(dir);
        router = fx.router("nginx", b -> b);
        port = Fixtures.httpPort(router);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void anInstanceKilledUnderLoadFailsNoGet() throws Exception {
        RouterScenarios.oneOfThreeKilledUnderLoad(router, port, dir.resolve("ups"));
    }

    @Test
    void aGetToAnInstanceThatClosesIsRetriedElsewhereAPostNever() throws Exception {
        RouterScenarios.closedWithoutAnswerRetriesGetsNeverPosts(router, port);
    }

    @Test
    void instancesRespawnedOnTheSameAddressServeAtOnceWithoutAnyApply() throws Exception {
        RouterScenarios.respawnOnTheSameAddressServesAtOnce(router, port, dir.resolve("ups"), Respawn.NO_APPLY);
    }

    @Test
    void instancesPutBackOnTheSameAddressServeAtOnce() throws Exception {
        RouterScenarios.respawnOnTheSameAddressServesAtOnce(router, port, dir.resolve("ups"), Respawn.PUT_BACK);
    }

    @Test
    void aGetThatWaitedOutTheReadTimeoutIsNotReplayed() throws Exception {
        RouterScenarios.aRequestThatTimedOutIsNotReplayed(router, port);
    }

    @Test
    void theOnlyInstanceReplacedUnderLoadFailsNoRequest() throws Exception {
        RouterScenarios.onlyInstanceReplacedUnderLoad(router, port, dir.resolve("ups"));
    }
}
