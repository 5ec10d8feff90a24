package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteOrder;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reading Linux's /proc for who holds a listening socket. */
class ListenersTest {
    @Test
    void addressesAreWrittenAsProcNetTcpShowsThem() throws Exception {
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        assertThat(Listeners.hex(InetAddress.getByName("127.0.0.1").getAddress())).isEqualTo(little ? "0100007F" : "7F000001");
        assertThat(Listeners.hex(InetAddress.getByName("::1").getAddress()))
                .isEqualTo(little ? "00000000000000000000000001000000" : "00000000000000000000000000000001");
    }

    @Test
    void findsTheListeningSocketAndWhoHoldsIt() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Set<String> inodes = Listeners.inodes(InetAddress.getLoopbackAddress(), Set.of(s.getLocalPort()));

            assertThat(inodes).hasSize(1);
            assertThat(Listeners.holds(ProcessHandle.current().pid(), inodes)).isTrue();
            assertThat(Listeners.holders(inodes)).as("haproxy processes only").isEmpty();
            assertThat(Listeners.inodes(InetAddress.getByName("127.0.0.2"), Set.of(s.getLocalPort()))).isEmpty();
        }
    }
}
