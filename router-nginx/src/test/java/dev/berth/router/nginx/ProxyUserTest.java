// The nginx workers' user option: refused by name when it does not exist or could break the directive; its temp directory.
package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import dev.berth.support.ProxyUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyUserTest {
    @TempDir
    Path dir;

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
