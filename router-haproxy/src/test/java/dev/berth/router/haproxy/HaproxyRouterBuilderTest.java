package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaproxyRouterBuilderTest {
    @TempDir
    Path dir;

    @Test
    void eachSetterNamesTheOptionTheValueAndWhatIsAllowed() {
        HaproxyRouter.Builder b = HaproxyRouter.builder();
        assertThatThrownBy(() -> b.httpPort(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("httpPort: 0 is not allowed; must be 1-65535");
        assertThatThrownBy(() -> b.httpsPort(65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("httpsPort: 65536 is not allowed; must be 1-65535");
        assertThatThrownBy(() -> b.listenAddress("localhost; x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("listenAddress: 'localhost; x' is not allowed");
        assertThatThrownBy(() -> b.threads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads: 0 is not allowed; must be 1-64");
        assertThatThrownBy(() -> b.reloadTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reloadTimeout: PT0S is not allowed");
        assertThatThrownBy(() -> b.livenessInterval(Duration.ofMillis(10))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessInterval: PT0.01S is not allowed; must be from PT0.05S to PT10M");
        assertThatThrownBy(() -> b.prefix(Path.of("/tmp/a;b"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prefix: '/tmp/a;b' is not allowed");
        assertThatThrownBy(() -> b.prefix(Path.of("/tmp/" + "x".repeat(100))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be at most 91 characters long")
                .hasMessageContaining("UNIX socket path");
        assertThatThrownBy(() -> b.external(dir.resolve("haproxy.cfg"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("external.reloadCommand: [] is not allowed");
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prefix: nothing is not allowed");
        assertThatThrownBy(() -> HaproxyRouter.builder().prefix(dir).httpPort(9000).httpsPort(9000).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("httpsPort: 9000 is not allowed; must differ from httpPort 9000");
    }

    @Test
    void aMissingBinaryIsAClearError() {
        assertThatThrownBy(() -> HaproxyRouter.builder().prefix(dir).haproxyBinary(dir.resolve("haproxy")).build())
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("is not an executable file")
                .hasMessageContaining("apt-get install haproxy");
    }

    @Test
    void aBinaryThatIsNoHaproxyIsAClearError() {
        assertThatThrownBy(() -> HaproxyRouter.builder().prefix(dir).haproxyBinary(Path.of("/bin/true")).build())
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("did not tell an haproxy version")
                .hasMessageContaining("apt-get install haproxy");
    }
}
