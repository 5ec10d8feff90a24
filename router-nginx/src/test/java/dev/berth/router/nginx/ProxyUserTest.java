// The workers' user: looked up in passwd/group files, refused by name when missing, and what it can reach.
package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
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
        ProxyUser u = ProxyUser.lookup("proxyUser", "www-data", passwd(), group());
        assertThat(u).isEqualTo(new ProxyUser("www-data", 33, "www-data", 33));
        assertThat(u.directive()).isEqualTo("www-data www-data");
    }

    @Test
    void aMissingUserOrGroupIsRefusedNamingTheOptionAndTheValue() throws Exception {
        assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", "nginx", passwd(), group()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxyUser: 'nginx' is not allowed; there is no such user in " + dir.resolve("passwd"));
        assertThatThrownBy(() -> ProxyUser.lookup("proxyUser", "odd", passwd(), group()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("proxyUser: 'odd' is not allowed; its primary group 4242 has no plain name");
    }

    @Test
    void aNameThatCouldBreakTheDirectiveIsRefusedAtOnce() {
        for (String bad : new String[] {"www-data; user root", "", "Root", "a b", null}) {
            assertThatThrownBy(() -> NginxRouter.builder().proxyUser(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("proxyUser: '" + bad + "' is not allowed; must be the name of an existing user");
        }
    }

    @Test
    void aBuilderWithAnUnknownProxyUserFailsBeforeCreatingAnythingWhenRunningAsRoot() {
        assertThat(ProxyUser.runningAsRoot()).as("this test runs as root, as CI does").isTrue();
        Path prefix = dir.resolve("p");
        assertThatThrownBy(() -> NginxRouter.builder().prefix(prefix).proxyUser("no-such-user-b3").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxyUser: 'no-such-user-b3' is not allowed; there is no such user in /etc/passwd");
        assertThat(prefix).doesNotExist();
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
        assertThat(new ProxyUser("root", 0, "root", 0).canReach(open)).isTrue();
    }

    @Test
    void theFallbackTempDirectoryIsRootsAndRefusedWhenSomeoneElsePutItThere() throws Exception {
        ProxyUser u = new ProxyUser("www-data", 33, "www-data", 33);
        Path prefixTemp = dir.resolve("p/temp"); // dir is mode 700: www-data cannot reach it
        Path fallbackRoot = Files.createDirectories(Path.of("/tmp", "berth-worker-temp-test-" + ProcessHandle.current().pid()));
        try {
            Files.setPosixFilePermissions(fallbackRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path chosen = WorkerTemp.choose(prefixTemp, u, fallbackRoot);
            assertThat(chosen.getParent()).isEqualTo(fallbackRoot);
            assertThat(chosen.getFileName().toString()).matches("nginx-[0-9a-f]{16}");
            assertThat(WorkerTemp.choose(prefixTemp, u, fallbackRoot)).as("stable for a prefix").isEqualTo(chosen);
            Map<String, Object> a = Files.readAttributes(chosen, "unix:mode,uid");
            assertThat(a.get("uid")).isEqualTo(0);
            assertThat(Integer.toOctalString((Integer) a.get("mode") & 0777)).isEqualTo("755");

            Files.setPosixFilePermissions(chosen, PosixFilePermissions.fromString("rwxrwxrwx")); // tampered with
            assertThatThrownBy(() -> WorkerTemp.choose(prefixTemp, u, fallbackRoot)).isInstanceOf(BerthException.class)
                    .hasMessageContaining(chosen + " is not allowed as the parent of nginx's temp directories");
            WorkerTemp.deleteFallback(chosen, prefixTemp);
            assertThat(chosen).doesNotExist();
        } finally {
            WorkerTemp.deleteFallback(fallbackRoot, prefixTemp);
        }
    }
}
