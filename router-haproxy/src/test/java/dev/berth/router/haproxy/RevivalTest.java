package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RouteSettings;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which servers an apply puts back up: those the checks hold down while the table lists them as ready. */
class RevivalTest {
    private static final String HEADER = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
            + "srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
            + "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n";

    private static String line(int slot, int port, int op, int admin) {
        return "4 be_web " + slot + " srv" + slot + " 127.0.0.1 " + op + " " + admin
                + " 1 1 609 6 3 4 6 0 0 0 - " + port + " - 0 0 - - 0\n";
    }

    @Test
    void onlyListedSlotsHeldDownByTheirChecksArePutUp() {
        String answer = HEADER
                + line(1, 9001, 0, 0) // down by its checks, listed: put up
                + line(2, 9002, 2, 0) // up: nothing to do
                + line(3, 9003, 0, 0x08) // draining: the table no longer wants it there
                + line(4, 1, 0, 0x01) // free slot in maintenance
                + line(5, 9099, 0, 0); // down, but at another port than the table says
        Layout layout = new Layout(Map.of(), Map.of("be_web", new Layout.Backend("be_web", "web",
                Balance.ROUND_ROBIN, RouteSettings.defaults(), 5, new TreeMap<>(Map.of(
                        1, new Endpoint("127.0.0.1", 9001), 2, new Endpoint("127.0.0.1", 9002),
                        3, new Endpoint("127.0.0.1", 9003), 5, new Endpoint("127.0.0.1", 9005))))));

        assertThat(Revival.commands(layout, ServerState.parse(answer)))
                .containsExactly("set server be_web/srv1 health up");
    }

    @Test
    void nothingWhenEveryListedServerIsUp() {
        Layout layout = new Layout(Map.of(), Map.of("be_web", new Layout.Backend("be_web", "web",
                Balance.ROUND_ROBIN, RouteSettings.defaults(), 1, new TreeMap<>(Map.of(1,
                        new Endpoint("127.0.0.1", 9001))))));

        assertThat(Revival.commands(layout, ServerState.parse(HEADER + line(1, 9001, 2, 0)))).isEmpty();
    }
}
