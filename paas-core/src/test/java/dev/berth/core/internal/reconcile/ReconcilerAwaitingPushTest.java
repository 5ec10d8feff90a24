// An app following a repository nothing was pushed to runs nothing and routes "not deployed yet".
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.RestartPolicy;
import dev.berth.api.RoutingTable;
import dev.berth.api.Source;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An app that follows a git repository nothing was pushed to has no code: the loop starts no
 * instance for it (nothing runs in an empty directory, nothing crash-loops) and routes its domains
 * as "not deployed yet"; the first push's release then runs and is routed as usual.
 */
class ReconcilerAwaitingPushTest {
    private static final String COMMIT = "8b72433" + "0".repeat(33);
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private static AppSpec following(String commit) {
        return LoopHarness.web(2, RestartPolicy.defaults()).source(new Source.Git("web", commit, true)).build();
    }

    private RoutingTable.Route lastRoute() {
        return h.router.applied.isEmpty() ? null
                : h.router.applied.get(h.router.applied.size() - 1).routes().get(LoopHarness.DOMAIN);
    }

    @Test
    void noInstanceBeforeTheFirstPushAndItsDomainSaysNotDeployed() {
        h.open(LoopHarness.nodes(2), Duration.ofSeconds(5));
        h.loop.deploy(following(null));
        h.eventually(() -> lastRoute() != null);
        h.advance(Duration.ofMillis(800)); // several resync passes (200 ms)

        assertThat(h.backend.starts).isEmpty();
        assertThat(h.instances()).isEmpty();
        assertThat(lastRoute().status()).isEqualTo(RoutingTable.Route.Status.NOT_DEPLOYED);
        assertThat(lastRoute().endpoints()).isEmpty();

        String release = h.loop.deploy(following(COMMIT));
        h.eventually(() -> h.inState(InstanceState.HEALTHY).size() == 2);
        assertThat(h.instances()).allMatch(i -> i.release().equals(release));
        h.eventually(() -> lastRoute().endpoints().size() == 2);
        assertThat(lastRoute().status()).isEqualTo(RoutingTable.Route.Status.SERVING);
        // live once routed: the release succeeds after the router applied a table with both instances
        h.eventually(() -> h.events(PlatformEvent.DeploySucceeded.class).stream()
                .anyMatch(e -> e.release().equals(release)));
    }

    @Test
    void instancesThatRanWithoutCodeAreStopped() {
        h.open(LoopHarness.nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(LoopHarness.web(1, RestartPolicy.defaults()).build());
        h.eventually(() -> h.inState(InstanceState.HEALTHY).size() == 1);

        h.loop.deploy(following(null)); // e.g. a manifest that now follows a repository nothing was pushed to
        h.eventually(() -> h.instances().isEmpty());
        assertThat(h.backend.running).isEmpty();
        h.eventually(() -> lastRoute().status() == RoutingTable.Route.Status.NOT_DEPLOYED);
    }
}
