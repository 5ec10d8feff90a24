package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Tls;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final Endpoint E1 = new Endpoint("127.0.0.1", 9001);
    private static final Endpoint E2 = new Endpoint("127.0.0.1", 9002);
    private static final Endpoint E3 = new Endpoint("10.0.0.3", 9003);
    private static final Endpoint E4 = new Endpoint("::1", 9004);

    private static RoutingTable table(Balance balance, Endpoint... endpoints) {
        return new RoutingTable(Map.of("a.com", new Route("web", balance, List.of(endpoints)),
                "b.com", new Route("web", balance, List.of(endpoints))));
    }

    private static Layout running(RoutingTable table) {
        return Layout.of(table, Map.of());
    }

    @Test
    void anUnknownRunningStateReloads() {
        assertThat(Planner.plan(null, table(Balance.LEAST_CONN, E1), Map.of()))
                .isInstanceOf(Planner.Reload.class);
    }

    @Test
    void theSameTableChangesNothing() {
        Layout now = running(table(Balance.LEAST_CONN, E1, E2));

        Planner.Plan plan = Planner.plan(now, table(Balance.LEAST_CONN, E2, E1, E1), Map.of());

        assertThat(plan).isEqualTo(new Planner.Unchanged(now));
    }

    @Test
    void anAddedEndpointGoesIntoTheFirstFreeSlot() {
        Layout now = running(table(Balance.LEAST_CONN, E1));

        Planner.Runtime plan = (Planner.Runtime) Planner.plan(now, table(Balance.LEAST_CONN, E1, E2), Map.of());

        assertThat(plan.commands()).containsExactly(
                "set server be_web/srv2 addr 127.0.0.1 port 9002",
                "set server be_web/srv2 state ready");
        assertThat(plan.backends()).containsExactly("be_web");
        assertThat(plan.layout().backends().get("be_web").used()).isEqualTo(Map.of(1, E1, 2, E2));
        assertThat(plan.layout().backends().get("be_web").slots()).isEqualTo(8);
    }

    @Test
    void aRemovedEndpointIsDrainedThenPutInMaintenance() {
        Layout now = running(table(Balance.ROUND_ROBIN, E1, E2));

        Planner.Runtime plan = (Planner.Runtime) Planner.plan(now, table(Balance.ROUND_ROBIN, E2), Map.of());

        assertThat(plan.commands()).containsExactly(
                "set server be_web/srv1 state drain",
                "set server be_web/srv1 state maint");
        assertThat(plan.layout().backends().get("be_web").used()).isEqualTo(Map.of(2, E2));
    }

    @Test
    void aReplacementAddsFirstAndDoesNotReuseTheSlotJustFreed() {
        Layout now = running(table(Balance.ROUND_ROBIN, E1, E2));

        Planner.Runtime plan = (Planner.Runtime) Planner.plan(now, table(Balance.ROUND_ROBIN, E2, E3, E4), Map.of());

        assertThat(plan.commands()).containsExactly(
                "set server be_web/srv3 addr 10.0.0.3 port 9003",
                "set server be_web/srv3 state ready",
                "set server be_web/srv4 addr ::1 port 9004",
                "set server be_web/srv4 state ready",
                "set server be_web/srv1 state drain",
                "set server be_web/srv1 state maint");
        assertThat(plan.layout().backends().get("be_web").used()).isEqualTo(Map.of(2, E2, 3, E3, 4, E4));
    }

    @Test
    void goingToNoEndpointAndBackStaysOnTheRuntimeApi() {
        Layout now = running(table(Balance.LEAST_CONN, E1));

        Planner.Runtime empty = (Planner.Runtime) Planner.plan(now, table(Balance.LEAST_CONN), Map.of());
        Planner.Runtime back = (Planner.Runtime) Planner.plan(empty.layout(), table(Balance.LEAST_CONN, E2), Map.of());

        assertThat(empty.layout().backends().get("be_web").used()).isEmpty();
        assertThat(back.commands()).containsExactly(
                "set server be_web/srv1 addr 127.0.0.1 port 9002",
                "set server be_web/srv1 state ready");
    }

    @Test
    void aFullSetOfSlotsReusesJustFreedSlotsThenReloads() {
        List<Endpoint> four = IntStream.rangeClosed(1, 4).mapToObj(i -> new Endpoint("127.0.0.1", 9000 + i)).toList();
        Layout now = running(table(Balance.LEAST_CONN, four.toArray(Endpoint[]::new))); // 8 slots, 4 used
        List<Endpoint> eight = IntStream.rangeClosed(11, 18).mapToObj(i -> new Endpoint("127.0.0.1", 9000 + i)).toList();

        Planner.Runtime swap = (Planner.Runtime) Planner.plan(now, table(Balance.LEAST_CONN,
                eight.toArray(Endpoint[]::new)), Map.of());
        assertThat(swap.layout().backends().get("be_web").used()).hasSize(8);
        assertThat(swap.commands()).doesNotContain("set server be_web/srv1 state maint");

        List<Endpoint> nine = IntStream.rangeClosed(11, 19).mapToObj(i -> new Endpoint("127.0.0.1", 9000 + i)).toList();
        Planner.Plan grow = Planner.plan(swap.layout(), table(Balance.LEAST_CONN, nine.toArray(Endpoint[]::new)), Map.of());
        assertThat(grow).isInstanceOf(Planner.Reload.class);
        assertThat(((Planner.Reload) grow).reason()).contains("9 endpoints exceed its 8 server slots");
        assertThat(grow.layout().backends().get("be_web").slots()).isEqualTo(16);
    }

    @Test
    void domainsAppsBalanceSettingsAndTlsReload() {
        Layout now = running(table(Balance.LEAST_CONN, E1));

        assertThat(reason(now, new RoutingTable(Map.of("a.com", new Route("web", Balance.LEAST_CONN, List.of(E1))))))
                .contains("domains changed").contains("removed [b.com]");
        assertThat(reason(now, table(Balance.ROUND_ROBIN, E1))).contains("balance or settings changed");
        assertThat(reason(now, new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(E1)),
                "b.com", new Route("api", Balance.LEAST_CONN, List.of(E1))))))
                .contains("domain b.com moves from backend be_web to be_api");
        RouteSettings bigger = RouteSettings.defaults().withMaxBodyMb(10);
        assertThat(reason(now, new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(E1), null, bigger),
                "b.com", new Route("web", Balance.LEAST_CONN, List.of(E1), null, bigger)))))
                .contains("balance or settings changed");
        Tls tls = Tls.of(Path.of("/c.pem"), Path.of("/k.pem"));
        RoutingTable withTls = new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(E1), tls, RouteSettings.defaults()),
                "b.com", new Route("web", Balance.LEAST_CONN, List.of(E1))));
        assertThat(reason(now, withTls)).contains("domain a.com: TLS certificate changed");

        Layout tlsNow = Layout.of(withTls, Map.of("a.com", "d1"));
        assertThat(Planner.plan(tlsNow, withTls, Map.of("a.com", "d1"))).isInstanceOf(Planner.Unchanged.class);
        assertThat(((Planner.Reload) Planner.plan(tlsNow, withTls, Map.of("a.com", "d2"))).reason())
                .contains("TLS certificate changed");
    }

    @Test
    void anEndpointNamedByHostNameReloads() {
        Layout now = running(table(Balance.LEAST_CONN, E1));

        assertThat(reason(now, table(Balance.LEAST_CONN, E1, new Endpoint("app.internal", 80))))
                .contains("names a host");
    }

    @Test
    void onlyIpLiteralsGoThroughTheRuntimeApi() {
        assertThat(Planner.isIpAddress("127.0.0.1")).isTrue();
        assertThat(Planner.isIpAddress("::1")).isTrue();
        assertThat(Planner.isIpAddress("[fe80::1]")).isTrue();
        assertThat(Planner.isIpAddress("256.0.0.1")).isFalse();
        assertThat(Planner.isIpAddress("localhost")).isFalse();
        assertThat(Planner.bare("[::1]")).isEqualTo("::1");
    }

    @Test
    void serverStatesAreCheckedAgainstTheSlots() {
        String answer = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
                + "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
                + "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n"
                + "4 be_web 1 srv1 127.0.0.1 2 0 1 1 609 6 3 4 6 0 0 0 - 9001 - 0 0 - - 0\n"
                + "4 be_web 2 srv2 127.0.0.1 0 5 1 1 609 1 0 0 14 0 0 0 - 1 - 0 0 - - 0\n"
                + "4 be_web 3 srv3 0:0:0:0:0:0:0:1 2 0 1 1 609 6 3 4 6 0 0 0 - 9004 - 0 0 - - 0\n\n";
        Map<String, ServerState> states = ServerState.parse(answer);
        assertThat(states).containsOnlyKeys("be_web/srv1", "be_web/srv2", "be_web/srv3");

        Layout.Backend ok = new Layout.Backend("be_web", "web", Balance.LEAST_CONN, RouteSettings.defaults(), 3,
                new java.util.TreeMap<>(Map.of(1, E1, 3, E4)));
        assertThat(ServerState.mismatches(ok, states)).isEmpty();

        Layout.Backend wrong = new Layout.Backend("be_web", "web", Balance.LEAST_CONN, RouteSettings.defaults(), 4,
                new java.util.TreeMap<>(Map.of(1, E2, 2, E1)));
        assertThat(ServerState.mismatches(wrong, states)).containsExactly(
                "be_web/srv1 should be 127.0.0.1:9002, is 127.0.0.1:9001",
                "be_web/srv2 should be ready for 127.0.0.1:9001 (admin state 5)",
                "be_web/srv3 should be in maintenance (admin state 0)",
                "be_web/srv4 is missing");
    }

    @Test
    void cliCommandsAreJoinedIntoBoundedLines() {
        List<String> many = IntStream.range(0, 300).mapToObj(i -> "set server be_web/srv" + i + " state ready").toList();

        List<String> lines = Cli.lines(many);

        assertThat(lines).hasSizeGreaterThan(1).allMatch(l -> l.length() <= Cli.MAX_LINE);
        assertThat(String.join(";", lines).split(";")).containsExactlyElementsOf(many);
    }

    private static String reason(Layout now, RoutingTable table) {
        Planner.Plan plan = Planner.plan(now, table, Map.of());
        assertThat(plan).isInstanceOf(Planner.Reload.class);
        return ((Planner.Reload) plan).reason();
    }
}
