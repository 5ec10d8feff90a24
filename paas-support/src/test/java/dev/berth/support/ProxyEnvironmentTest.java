// What the processes a router starts inherit: PATH and the locale, never the JVM's secrets.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyEnvironmentTest {
    @Test
    void onlyPathAndTheLocalePass() {
        ProcessBuilder pb = new ProcessBuilder("true");
        pb.environment().put("INHERITED", "x");
        ProxyEnvironment.restrict(pb, Map.of("MASTER_PASS", "shortfin", "PATH", "/usr/bin:/bin", "LANG", "C.UTF-8",
                "HOME", "/root", "AWS_SECRET_ACCESS_KEY", "k", "TZ", "UTC"));
        assertThat(pb.environment()).containsExactlyInAnyOrderEntriesOf(
                Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8", "TZ", "UTC"));
    }

    @Test
    void aJvmWithoutPathGivesTheProxyTheDefaultOne() {
        ProcessBuilder pb = ProxyEnvironment.restrict(new ProcessBuilder("true"), Map.of("MASTER_PASS", "x"));
        assertThat(pb.environment()).containsExactlyEntriesOf(Map.of("PATH", ProxyEnvironment.DEFAULT_PATH));
    }

    @Test
    void theJvmsOwnEnvironmentIsFilteredToo() {
        ProcessBuilder pb = ProxyEnvironment.restrict(new ProcessBuilder("true"));
        assertThat(pb.environment().keySet()).isSubsetOf(ProxyEnvironment.PASSED).contains("PATH");
    }
}
