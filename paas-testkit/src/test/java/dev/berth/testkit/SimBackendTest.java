// Unit tests of SimBackend's Backend contract: idempotency, exits, listing, ports, node liveness.
package dev.berth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.NodeStatus;
import dev.berth.api.NotFoundException;
import dev.berth.spi.RunningInstance;
import java.time.Clock;
import java.time.ZoneId;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SimBackendTest {
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<String> exits = new CopyOnWriteArrayList<>();
    private final SimBackend sim = SimBackend.builder().nodes(List.of("n1", "n2")).clock(clock)
            .exitExecutor(Runnable::run).build();

    SimBackendTest() {
        sim.onExit((id, handle, exit) -> exits.add(id + " " + handle + " " + exit.code() + " " + exit.reason()));
    }

    private static LaunchRequest request(String id, String node) {
        return new LaunchRequest(id, node, AppSpec.builder("web").command("serve").build(), "r1");
    }

    private static LaunchRequest withPort(String id, String node) {
        AppSpec spec = AppSpec.builder("web").command("serve").env("PORT", AppSpec.RANDOM_PORT)
                .env("ADMIN_PORT", AppSpec.RANDOM_PORT).env("MODE", "x").build();
        return new LaunchRequest(id, node, spec, "r1");
    }

    @Test
    void startingAnIdThatRunsReturnsItUnchanged() {
        RunningInstance first = sim.start(request("web-1", "n1"));
        clock.advance(Duration.ofSeconds(5));
        RunningInstance again = sim.start(request("web-1", "n1"));

        assertThat(again).isEqualTo(first);
        assertThat(first.app()).isEqualTo("web");
        assertThat(first.release()).isEqualTo("r1");
        assertThat(first.node()).isEqualTo("n1");
        assertThat(first.endpoint()).isNull();
        assertThat(first.startedAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(sim.startCount()).isEqualTo(1);
        assertThat(sim.list()).containsExactly(first);
    }

    @Test
    void stopRemovesWithoutReportingAnExitAndAnUnknownIdIsANoOp() {
        sim.start(request("web-1", "n1"));

        sim.stop("web-1", GRACE);
        sim.stop("web-1", GRACE);
        sim.stop("never-was", GRACE);

        assertThat(sim.list()).isEmpty();
        assertThat(exits).isEmpty();
        assertThat(sim.stopCount()).isEqualTo(1);
    }

    @Test
    void killsAndCrashesAreReportedWithTheHandleOfTheEndedProcess() {
        RunningInstance a = sim.start(request("web-1", "n1"));
        RunningInstance b = sim.start(request("web-2", "n2"));

        sim.kill("web-1");
        sim.kill("web-2", 3);
        sim.kill("web-2", 3);
        sim.kill("unknown");

        assertThat(exits).containsExactly(
                "web-1 " + a.handle() + " 137 killed by Berth with SIGKILL",
                "web-2 " + b.handle() + " 3 exited with 3");
        assertThat(sim.list()).isEmpty();
        RunningInstance again = sim.start(request("web-1", "n1"));
        assertThat(again.handle()).as("a new process, a new handle").isNotEqualTo(a.handle());
        assertThatThrownBy(() -> sim.kill("web-1", 256)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exitCode 256").hasMessageContaining("0-255");
    }

    @Test
    void randomPortsAreResolvedUniquePerNodeAndFreedOnStop() {
        RunningInstance a = sim.start(withPort("web-1", "n1"));
        RunningInstance b = sim.start(withPort("web-2", "n1"));

        assertThat(a.endpoint()).isEqualTo(new Endpoint("127.0.0.1", Integer.parseInt(
                sim.console().environment("web-1").get("PORT"))));
        Set<String> ports = new HashSet<>();
        for (String id : List.of("web-1", "web-2")) {
            ports.add(sim.console().environment(id).get("PORT"));
            ports.add(sim.console().environment(id).get("ADMIN_PORT"));
            assertThat(sim.console().environment(id)).containsEntry("MODE", "x");
        }
        assertThat(ports).hasSize(4);
        assertThat(b.endpoint().port()).isNotEqualTo(a.endpoint().port());
        assertThat(sim.console().describe("web-1")).containsEntry("backend", "sim").containsEntry("node", "n1")
                .containsEntry("handle", a.handle()).containsEntry("endpoint", a.endpoint().toString());

        sim.stop("web-1", GRACE);
        assertThatThrownBy(() -> sim.console().environment("web-1")).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("web-1");
    }

    @Test
    void aReopenedBackendListsWhatTheFirstStartedAndTheClosedOneIsSilent() {
        RunningInstance a = sim.start(request("web-1", "n1"));
        sim.close();
        SimBackend next = sim.reopen();
        List<String> seen = new ArrayList<>();
        next.onExit((id, handle, exit) -> seen.add(id + " " + exit.code()));

        assertThat(next.list()).containsExactly(a);
        assertThat(next.start(request("web-1", "n1"))).isEqualTo(a);
        next.kill("web-1", 1);
        assertThat(seen).containsExactly("web-1 1");
        assertThat(exits).as("a closed backend reports nothing").isEmpty();
        assertThatThrownBy(() -> sim.start(request("web-2", "n1"))).isInstanceOf(BackendException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void everyDeclaredNodeAnswersNowAndListsWhatItRuns() {
        RunningInstance a = sim.start(request("web-1", "n1"));
        clock.advance(Duration.ofSeconds(3));

        List<NodeStatus> statuses = sim.nodeStatus();

        assertThat(statuses).extracting(NodeStatus::node).containsExactly("n1", "n2");
        assertThat(statuses).allSatisfy(s -> {
            assertThat(s.reachable()).isTrue();
            assertThat(s.lastContact()).isEqualTo(clock.instant());
        });
        assertThat(statuses.get(0).running()).containsExactly(a);
        assertThat(statuses.get(1).running()).isEmpty();
    }

    @Test
    void aSilentNodeKeepsItsLastAnswerRefusesCallsAndHidesItsInstances() {
        RunningInstance a = sim.start(request("web-1", "n1"));
        RunningInstance b = sim.start(request("web-2", "n2"));
        Instant cutAt = clock.instant();

        sim.setNodeAlive("n1", false);
        clock.advance(Duration.ofSeconds(10));

        NodeStatus n1 = sim.nodeStatus().get(0);
        assertThat(n1.reachable()).isFalse();
        assertThat(n1.lastContact()).isEqualTo(cutAt);
        assertThat(n1.lastError()).contains("n1", "does not answer");
        assertThat(n1.running()).containsExactly(a);
        assertThat(sim.nodeStatus().get(1).lastContact()).isEqualTo(clock.instant());
        assertThat(sim.list()).containsExactly(b);
        assertThat(sim.nodeAlive("n1")).isFalse();
        assertThatThrownBy(() -> sim.start(request("web-3", "n1"))).isInstanceOf(BackendException.class)
                .hasMessageContaining("web-3").hasMessageContaining("n1");
        assertThatThrownBy(() -> sim.stop("web-1", GRACE)).isInstanceOf(BackendException.class)
                .hasMessageContaining("n1");
        assertThatThrownBy(() -> sim.kill("web-1")).isInstanceOf(BackendException.class);
        assertThat(sim.runningOn("n1")).as("cut off, not dead").containsExactly(a);
        assertThat(exits).isEmpty();
    }

    @Test
    void aNodeThatAnswersAgainListsWhatStillRunsAndReportsCrashesItHadMeanwhile() {
        RunningInstance a = sim.start(request("web-1", "n1"));
        RunningInstance b = sim.start(request("web-2", "n1"));
        sim.setNodeAlive("n1", false);

        sim.kill("web-2", 9);
        assertThat(exits).as("nothing heard from a silent node").isEmpty();

        clock.advance(Duration.ofSeconds(10));
        sim.setNodeAlive("n1", true);

        assertThat(exits).containsExactly("web-2 " + b.handle() + " 9 exited with 9");
        NodeStatus n1 = sim.nodeStatus().get(0);
        assertThat(n1.reachable()).isTrue();
        assertThat(n1.lastContact()).isEqualTo(clock.instant());
        assertThat(n1.running()).containsExactly(a);
        sim.stop("web-1", GRACE);
        assertThat(sim.list()).isEmpty();
    }

    @Test
    void onlyDeclaredNodesRunInstances() {
        assertThatThrownBy(() -> sim.start(request("web-1", "n9"))).isInstanceOf(BackendException.class)
                .hasMessageContaining("n9").hasMessageContaining("not one of");
        assertThatThrownBy(() -> sim.setNodeAlive("n9", false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("n9");
    }

    @Test
    void withoutDeclaredNodesAnyNodeRunsAndReportsFromItsFirstUse() {
        SimBackend open = SimBackend.builder().clock(clock).exitExecutor(Runnable::run).build();
        assertThat(open.nodeStatus()).isEmpty();

        open.start(request("web-1", "a"));
        open.setNodeAlive("b", false);

        assertThat(open.nodeStatus()).extracting(NodeStatus::node, NodeStatus::reachable)
                .containsExactly(tuple("a", true), tuple("b", false));
    }

    @Test
    void withoutNodeLivenessNoNodeIsReported() {
        SimBackend quiet = SimBackend.builder().node("n1").nodeLiveness(false).build();
        quiet.start(request("web-1", "n1"));

        assertThat(quiet.nodeStatus()).isEmpty();
        quiet.close();
    }

    @Test
    void exitsGoToTheOwnThreadByDefault() throws Exception {
        SimBackend own = SimBackend.builder().node("n1").build();
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch told = new CountDownLatch(1);
        own.onExit((id, handle, exit) -> {
            threads.add(Thread.currentThread().getName());
            told.countDown();
        });
        own.start(request("web-1", "n1"));

        own.kill("web-1", ExitInfo.UNKNOWN);

        assertThat(told.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(threads).containsExactly("berth-sim-exits");
        own.close();
    }

    @Test
    void printedLinesAreLogsAndFollowersGetThem() throws Exception {
        sim.start(request("web-1", "n1"));
        List<String> followed = new ArrayList<>();
        AutoCloseable handle = sim.console().follow("web-1", followed::add);

        sim.print("web-1", "one");
        sim.print("web-1", "two");
        handle.close();
        sim.print("web-1", "three");

        assertThat(followed).containsExactly("one", "two");
        assertThat(sim.console().logs("web-1", 2)).containsExactly("two", "three");
        assertThat(sim.console().logs("web-1", 10)).containsExactly("one", "two", "three");
        assertThat(sim.console().exec("web-1", List.of("true"), GRACE).exitCode()).isZero();
        assertThatThrownBy(() -> sim.console().exec("web-9", List.of("true"), GRACE)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void theBuilderNamesTheBadOption() {
        assertThatThrownBy(() -> SimBackend.builder().node("bad node")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node: 'bad node'");
        assertThatThrownBy(() -> SimBackend.builder().node("n1").node("n1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("declared twice");
        assertThatThrownBy(() -> SimBackend.builder().endpointHost("a b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpointHost: 'a b'");
        assertThatThrownBy(() -> SimBackend.builder().name("Sim!")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name: 'Sim!'");
    }

    /** A clock that tests move by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
