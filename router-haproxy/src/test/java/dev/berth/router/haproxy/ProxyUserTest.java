// The haproxy workers' user: refused by name when it does not exist or could break the configuration.
package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.support.ProxyUser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyUserTest {
    @TempDir
    Path dir;

    @Test
    void aNameThatCouldBreakTheConfigurationIsRefusedAtOnce() {
        for (String bad : new String[] {"www-data\n    user root", "", "a b", null}) {
            assertThatThrownBy(() -> HaproxyRouter.builder().proxyUser(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("proxyUser: '" + bad + "' is not allowed; must be the name of an existing user");
        }
    }

    @Test
    void aBuilderWithAnUnknownProxyUserFailsBeforeCreatingAnythingWhenRunningAsRoot() {
        assertThat(ProxyUser.runningAsRoot()).as("this test runs as root, as CI does").isTrue();
        Path prefix = dir.resolve("p");
        assertThatThrownBy(() -> HaproxyRouter.builder().prefix(prefix).proxyUser("no-such-user-b3").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxyUser: 'no-such-user-b3' is not allowed; there is no such user in /etc/passwd");
        assertThat(prefix).doesNotExist();
    }

    @Test
    void theUserAndGroupGoIntoGlobal() {
        String conf = HaproxyConfig.render(Layout.empty(), new HaproxyConfig.Settings(Path.of("/p"), "127.0.0.1", 80, 443,
                1, "www-data", "www-data"), new HaproxyConfig.Files(Path.of("/p/conf/gen-1")), "g");
        assertThat(conf).contains("global\n    master-worker\n").contains("\n    user www-data\n    group www-data\n");
        assertThat(HaproxyConfig.render(Layout.empty(), new HaproxyConfig.Settings(Path.of("/p"), "127.0.0.1", 80, 443, 1),
                new HaproxyConfig.Files(Path.of("/p/conf/gen-1")), "g")).doesNotContain("    user ").doesNotContain("    group ");
    }
}
