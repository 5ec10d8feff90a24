package dev.berth.router.haproxy;

import dev.berth.support.testing.RouterScenarios;
import dev.berth.support.testing.RouterScenarios.Respawn;
import dev.berth.support.testing.UpstreamProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real haproxy never black-holes a domain that has a live instance, retries a GET that an
 * instance dropped, and never replays a non-idempotent request: the shared {@link RouterScenarios},
 * each bounded (at most 16 clients and 20 s, a connection per request, no client retry); fails,
 * never skips, when haproxy is missing.
 */
class HaproxyNoBlackHoleIT {
    @TempDir
    Path dir;

    private HaproxyRouter router;
    private int port;

    @BeforeEach
    void start() throws Exception {
        router = HaproxyRouter.builder().prefix(dir.resolve("haproxy")).httpPort(UpstreamProcess.freePort())
                .httpsPort(UpstreamProcess.freePort()).build();
        port = router.settings().httpPort();
    }

    @AfterEach
    void stop() {
        router.close();
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
    void instancesRespawnedOnTheSameAddressServeAtOnceWhenTheSameTableIsApplied() throws Exception {
        RouterScenarios.respawnOnTheSameAddressServesAtOnce(router, port, dir.resolve("ups"), Respawn.SAME_TABLE);
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
