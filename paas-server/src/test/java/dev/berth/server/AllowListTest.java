package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AllowListTest {
    private static boolean allows(AllowList list, String address) throws Exception {
        return list.allows(InetAddress.getByName(address));
    }

    @Test
    void blocksOfAnyLengthAndBothFamilies() throws Exception {
        AllowList list = AllowList.parse("127.0.0.1/32, 10.0.0.0/8,192.168.4.0/22,::1/128,fd00::/8");
        assertThat(allows(list, "127.0.0.1")).isTrue();
        assertThat(allows(list, "127.0.0.2")).isFalse();
        assertThat(allows(list, "10.200.3.4")).isTrue();
        assertThat(allows(list, "11.0.0.1")).isFalse();
        assertThat(allows(list, "192.168.7.255")).isTrue();
        assertThat(allows(list, "192.168.8.0")).isFalse();
        assertThat(allows(list, "::1")).isTrue();
        assertThat(allows(list, "fd12::1")).isTrue();
        assertThat(allows(list, "fe80::1")).isFalse();
        assertThat(allows(list, "::ffff:10.1.1.1")).isTrue(); // a v4-mapped address is its v4 address
        assertThat(allows(AllowList.parse("0.0.0.0/0"), "8.8.8.8")).isTrue();
        assertThat(allows(AllowList.parse("203.0.113.9"), "203.0.113.9")).isTrue();
        assertThat(allows(AllowList.everyone(), "8.8.8.8")).isTrue();
    }

    @Test
    void badEntriesAreNamed() {
        assertThatThrownBy(() -> AllowList.parse("10.0.0.0/33")).hasMessageContaining("entry '10.0.0.0/33' is not allowed");
        assertThatThrownBy(() -> AllowList.parse("example.com/8")).hasMessageContaining("entry 'example.com/8'");
        assertThatThrownBy(() -> AllowList.parse("10.0.0.0/x")).hasMessageContaining("entry '10.0.0.0/x'");
        assertThatThrownBy(() -> AllowList.parse(" , ")).hasMessageContaining("names no address");
    }
}
