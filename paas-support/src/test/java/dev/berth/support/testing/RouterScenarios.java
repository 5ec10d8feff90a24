package dev.berth.support.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RouteSettings;
import dev.berth.spi.Router;
import dev.berth.api.RoutingTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a router must survive without failing a request, run against a real router by each router
 * module's IT: an instance killed under load, an instance that closes without answering (GETs
 * retried, POSTs never replayed), instances respawned on the same address after the router saw
 * them fail, the only instance replaced under load, and a request that waited out its read
 * timeout (not replayed). Every load is bounded ({@link BoundedLoad}),
 * every request a new connection without client retries. Not thread-safe.
 */
public final class RouterScenarios {
    private static final Logger LOG = LoggerFactory.getLogger(RouterScenarios.class);
    /** The domain every scenario routes. */
    public static final String DOMAIN = "zero.test";
    private static final String APP = "zero";

    /** How respawned instances get back into the router (scenario c). */
    public enum Respawn {
        /** Not at all: the table never changed while they were away. */
        NO_APPLY,
        /** The unchanged table is applied again once they are back. */
        SAME_TABLE,
        /** They were taken out while away, and are put back once they are back. */
        PUT_BACK
    }

    private RouterScenarios() {
    }

    /** The route of {@link #DOMAIN} to {@code endpoints}, round robin. */
    public static RoutingTable table(List<Endpoint> endpoints) {
        return new RoutingTable(Map.of(DOMAIN, new RoutingTable.Route(APP, Balance.ROUND_ROBIN, endpoints)));
    }

    /**
     * (a) Three instances under 16 clients; one is killed with SIGKILL mid-load and its port then
     * refuses; the router alone copes for 3 s, then the table without it is applied: 0 failed GETs.
     */
    public static void oneOfThreeKilledUnderLoad(Router router, int port, Path dir) throws Exception {
        List<UpstreamProcess> ups = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                ups.add(UpstreamProcess.start(dir, "u" + i, 20));
            }
            router.apply(table(ups.stream().map(UpstreamProcess::endpoint).toList()));
            BoundedLoad load = BoundedLoad.start(port, DOMAIN, 16, 100_000, 15_000, 2);
            try {
                assertThat(load.awaitOk(300, 5_000)).as("the load runs: %s", load.failures()).isTrue();
                ups.get(1).kill();
                long atKill = load.ok();
                pause(3_000); // the table still lists the dead instance: the router alone decides
                long whileDead = load.ok() - atKill;
                router.apply(table(List.of(ups.get(0).endpoint(), ups.get(2).endpoint())));
                long applied = load.ok();
                assertThat(load.awaitOk(applied + 200, 5_000)).as("the load goes on").isTrue();
                assertThat(load.running()).as("the load ran until the end").isTrue();
                load.stop();
                LOG.info("(a) one of three killed: {} requests answered ({} while the dead one was still routed), "
                        + "{} failed, by instance {}", load.ok(), whileDead, load.failed(), load.byBody());
                assertThat(load.failures()).as("failed GETs (%d)", load.failed()).isEmpty();
                assertThat(whileDead).as("answers while the killed instance was still in the table").isGreaterThan(100);
                assertThat(load.byBody()).containsKeys("u0", "u1", "u2");
            } finally {
                load.stop();
            }
        } finally {
            ups.forEach(UpstreamProcess::close);
        }
    }

    /**
     * (b) Of three instances one reads each request and closes without answering: every GET is
     * answered by another instance (each by exactly one), while every POST that reached the closing
     * one gets 502 and is seen by no other instance: a non-idempotent request is never replayed.
     */
    public static void closedWithoutAnswerRetriesGetsNeverPosts(Router router, int port) throws Exception {
        try (RawUpstream a = RawUpstream.answering("a"); RawUpstream dying = RawUpstream.closing("dying");
                RawUpstream b = RawUpstream.answering("b")) {
            router.apply(table(List.of(a.endpoint(), dying.endpoint(), b.endpoint())));
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                HttpCall.Response r = HttpCall.get(port, DOMAIN, "get-" + i);
                if (!r.ok()) {
                    wrong.add("get-" + i + ": " + r.status() + " " + r.body().strip());
                }
            }
            assertThat(wrong).as("failed GETs").isEmpty();
            assertThat(ids(dying, "GET")).as("GETs the closing instance read").isNotEmpty();
            for (int i = 0; i < 30; i++) {
                String id = "get-" + i;
                assertThat(count(a, id) + count(b, id)).as("answering instances that saw %s", id).isEqualTo(1);
            }

            int posts = 0;
            int refused = 0;
            for (; posts < 60 && ids(dying, "POST").size() < 5; posts++) {
                String id = "post-" + posts;
                HttpCall.Response r = HttpCall.post(port, DOMAIN, id, "payload " + id);
                boolean reachedDying = ids(dying, "POST").contains(id);
                int elsewhere = count(a, id) + count(b, id);
                if (reachedDying) {
                    refused++;
                    assertThat(r.status()).as("%s reached the closing instance: the client's answer", id)
                            .isEqualTo(502);
                    assertThat(elsewhere).as("%s replayed on another instance", id).isZero();
                    assertThat(count(dying, id)).as("%s seen by the closing instance", id).isEqualTo(1);
                } else {
                    assertThat(r.status()).as("%s: %s", id, r.body()).isEqualTo(200);
                    assertThat(elsewhere).as("instances that saw %s", id).isEqualTo(1);
                }
            }
            LOG.info("(b) closing instance: 30 GETs answered ({} read by it first); {} POSTs, {} of them read by it, "
                    + "each answered 502 and replayed nowhere", ids(dying, "GET").size(), posts, refused);
            assertThat(refused).as("POSTs that reached the closing instance").isGreaterThanOrEqualTo(5);
        }
    }

    /**
     * A GET that waited out the route's read timeout (1 s) on an instance that never answers gets
     * 504 and is not replayed on another instance: that instance may be doing the work.
     */
    public static void aRequestThatTimedOutIsNotReplayed(Router router, int port) throws Exception {
        try (RawUpstream busy = RawUpstream.silent("busy"); RawUpstream a = RawUpstream.answering("a")) {
            RouteSettings quick = RouteSettings.defaults().withReadTimeout(Duration.ofSeconds(1));
            router.apply(new RoutingTable(Map.of(DOMAIN, new RoutingTable.Route(APP, Balance.ROUND_ROBIN,
                    List.of(busy.endpoint(), a.endpoint()), null, quick))));
            int sent = 0;
            for (; sent < 12 && busy.seen().size() < 2; sent++) {
                String id = "slow-" + sent;
                long t0 = System.nanoTime();
                HttpCall.Response r = HttpCall.get(port, DOMAIN, id);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                boolean reachedBusy = busy.seen().stream().anyMatch(s -> s.id().equals(id));
                if (reachedBusy) {
                    assertThat(r.status()).as("%s waited out the read timeout (%d ms)", id, ms).isEqualTo(504);
                    assertThat(count(a, id)).as("%s replayed after its read timeout", id).isZero();
                    assertThat(ms).as("%s answered after", id).isBetween(900L, 3_000L);
                } else {
                    assertThat(r.status()).as("%s: %s", id, r.body()).isEqualTo(200);
                }
            }
            LOG.info("(e) {} GETs, {} waited out the read timeout: 504, replayed nowhere", sent, busy.seen().size());
            assertThat(busy.seen()).as("requests the busy instance read").hasSize(2);
        }
    }

    /**
     * (c) Two instances die while clients keep asking (all fail: nothing is left), long enough for the
     * router to mark both failed (passive and active checks: 7.5 s); new processes then listen on
     * the same addresses and get back into the router as {@code how} says; from then on every request
     * must be answered at once.
     */
    public static void respawnOnTheSameAddressServesAtOnce(Router router, int port, Path dir, Respawn how)
            throws Exception {
        List<UpstreamProcess> ups = new ArrayList<>();
        try {
            UpstreamProcess a = UpstreamProcess.start(dir, "a", 0);
            UpstreamProcess b = UpstreamProcess.start(dir, "b", 0);
            ups.add(a);
            ups.add(b);
            RoutingTable both = table(List.of(a.endpoint(), b.endpoint()));
            router.apply(both);
            assertThat(HttpCall.get(port, DOMAIN, "before").ok()).isTrue();
            a.kill();
            b.kill();
            BoundedLoad dead = BoundedLoad.start(port, DOMAIN, 4, 2_000, 7_500, 5);
            pause(7_500);
            dead.stop();
            assertThat(dead.ok()).as("answers while no instance lived").isZero();
            assertThat(dead.failed()).as("requests while no instance lived").isGreaterThan(100);
            if (how == Respawn.PUT_BACK) {
                router.apply(table(List.of()));
            }
            UpstreamProcess a2 = UpstreamProcess.start(dir, a.endpoint().port(), "a2", 0);
            ups.add(a2);
            UpstreamProcess b2 = UpstreamProcess.start(dir, b.endpoint().port(), "b2", 0);
            ups.add(b2);
            if (how != Respawn.NO_APPLY) {
                router.apply(both);
            }
            HttpCall.Response first = HttpCall.get(port, DOMAIN, "first");
            BoundedLoad load = BoundedLoad.start(port, DOMAIN, 8, 100_000, 2_000, 2);
            pause(2_000);
            load.stop();
            LOG.info("(c) respawned on the same addresses ({}): first answer {}, then {} answered, {} failed, by "
                    + "instance {}", how, first.status(), load.ok(), load.failed(), load.byBody());
            assertThat(first.status()).as("the first request after the respawn: %s", first.body()).isEqualTo(200);
            assertThat(load.failures()).as("failed requests (%d)", load.failed()).isEmpty();
            assertThat(load.ok()).isGreaterThan(100);
            assertThat(load.byBody()).as("both respawned instances serve").containsOnlyKeys("a2", "b2");
        } finally {
            ups.forEach(UpstreamProcess::close);
        }
    }

    /**
     * (d) The only instance is replaced by a new one in one apply under 16 clients; the old one is
     * killed after a 0.5 s grace (as a platform stops a drained instance): 0 failed.
     */
    public static void onlyInstanceReplacedUnderLoad(Router router, int port, Path dir) throws Exception {
        List<UpstreamProcess> ups = new ArrayList<>();
        try {
            UpstreamProcess old = UpstreamProcess.start(dir, "old", 20);
            ups.add(old);
            router.apply(table(List.of(old.endpoint())));
            BoundedLoad load = BoundedLoad.start(port, DOMAIN, 16, 100_000, 15_000, 2);
            try {
                assertThat(load.awaitOk(300, 5_000)).as("the load runs: %s", load.failures()).isTrue();
                UpstreamProcess neu = UpstreamProcess.start(dir, "new", 20);
                ups.add(neu);
                router.apply(table(List.of(neu.endpoint())));
                pause(500);
                old.kill();
                long killed = load.ok();
                assertThat(load.awaitOk(killed + 300, 5_000)).as("the new instance serves").isTrue();
                assertThat(load.running()).as("the load ran until the end").isTrue();
                load.stop();
                LOG.info("(d) only instance replaced: {} answered, {} failed, by instance {}", load.ok(), load.failed(),
                        load.byBody());
                assertThat(load.failures()).as("failed requests (%d)", load.failed()).isEmpty();
                assertThat(load.byBody()).containsOnlyKeys("old", "new");
            } finally {
                load.stop();
            }
        } finally {
            ups.forEach(UpstreamProcess::close);
        }
    }

    private static Set<String> ids(RawUpstream u, String method) {
        Set<String> ids = new TreeSet<>();
        u.seen().stream().filter(s -> s.method().equals(method)).forEach(s -> ids.add(s.id()));
        return ids;
    }

    private static int count(RawUpstream u, String id) {
        return (int) u.seen().stream().filter(s -> s.id().equals(id)).count();
    }

    private static void pause(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }
}
