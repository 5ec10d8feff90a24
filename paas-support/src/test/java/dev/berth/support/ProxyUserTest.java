// The proxies' workers' user: looked up in passwd/group files, refused by name when missing or malformed, and what it can reach.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyUserTest {
    @TempDir
    Path dir;

    private Path passwd() throws Exception {
        return Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n"
                + "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nodd:x:70:4242::/:/bin/false\n");
    }

    private Path group() throws Exception {
        return Files.writeString(dir.resolve("group"), "root:x:0:\nwww-data:x:33:\n");
    }

    @Test
    void aUserIsFoundWithItsPrimaryGroup() throws Exception {
        assertThat(ProxyUser.lookup("proxyUser", "www-data", passwd(), group()))
                .isEqualTo(new ProxyUser("www-data", 33, "www-data", 33));
        assertThat(ProxyUser.lookup("proxyUser", "root", passwd(), group())).isEqualTo(new ProxyUser("root", 0, "root", 0));
    }

    @Test
    void aMissingUserOrGroupIsRefusedNamingTheOptionAndTheValue() throws Exception {
        assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", "nginx", passwd(), group()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxyUser: 'nginx' is not allowed; there is no such user in " + dir.resolve("passwd"));
        assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", "odd", passwd(), group()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("proxyUser: 'odd' is not allowed; its primary group 4242 has no plain name");
        // a prefix of an existing name is not that user
        assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", "www", passwd(), group()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("there is no such user");
    }

    @Test
    void aNameThatCouldBreakAConfigurationIsRefusedBeforeAnyFileIsRead() {
        Path none = dir.resolve("absent");
        for (String bad : new String[] {"www-data; user root", "www-data\n    user root", "", "Root", "a b",
                "x".repeat(33), null}) {
            assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", bad, none, none))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("proxyUser: '" + bad + "' is not allowed; must be the name of an existing user");
        }
        assertThat(ProxyUser.checkName("proxyUser", "_svc.proxy-1")).isEqualTo("_svc.proxy-1");
    }

    @Test
    void anUnreadableUserDatabaseIsAnErrorNamingTheFile() {
        Path none = dir.resolve("absent");
        assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", "www-data", none, none))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("cannot read " + none);
    }

    @Test
    void theSystemsOwnDatabasesKnowRoot() {
        assertThat(ProxyUser.runningAsRoot()).as("this test runs as root, as CI does").isTrue();
        assertThat(ProxyUser.lookup("proxyUser", "root", ProxyUser.PASSWD, ProxyUser.GROUP).uid()).isZero();
    }

    @Test
    void aDirectoryIsReachableOnlyThroughSearchableParents() throws Exception {
        ProxyUser u = new ProxyUser("www-data", 33, "www-data", 33);
        Path open = Files.createDirectories(dir.resolve("open/inner"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir.resolve("open"), PosixFilePermissions.fromString("rwxr-x--x"));
        assertThat(u.canReach(open)).isTrue();
        Files.setPosixFilePermissions(dir.resolve("open"), PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(u.canReach(open)).isFalse();
        assertThat(u.canReach(dir.resolve("missing"))).isFalse();
        assertThat(new ProxyUser("root", 0, "root", 0).canReach(open)).isTrue();
    }
}
