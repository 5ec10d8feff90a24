package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.Endpoint;
import dev.berth.support.ExitCodes;

/** Builder and host checks and the parsing of the liveness script's lines; no SSH needed. */
class SshBackendTest {

    private static SshHost.Builder host(String id) {
        return SshHost.builder(id).address("10.0.0.1").user("berth").privateKey(Path.of("/nonexistent/key"))
                .baseDir("/srv/berth");
    }

    @Test
    void theHostRejectsBadValuesNamingHostFieldValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> host("../x").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host id '../x' is not allowed");
        assertThatThrownBy(() -> host("n1").address("1.2.3.4; rm -rf /").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host 'n1': address '1.2.3.4; rm -rf /' is not allowed");
        assertThatThrownBy(() -> host("n1").port(0).build()).hasMessageContaining("host 'n1': port 0 is not allowed: must be 1-65535");
        assertThatThrownBy(() -> host("n1").user("$(id)").build()).hasMessageContaining("user '$(id)' is not allowed");
        assertThatThrownBy(() -> host("n1").privateKey(null).build()).hasMessageContaining("privateKey is not set");
        assertThatThrownBy(() -> host("n1").baseDir("/srv/../etc").build()).hasMessageContaining("baseDir '/srv/../etc'");
        assertThatThrownBy(() -> host("n1").baseDir("/").build()).hasMessageContaining("baseDir '/'");
        assertThatThrownBy(() -> host("n1").baseDir("/srv/my berth").build()).hasMessageContaining("baseDir '/srv/my berth'");
        assertThatThrownBy(() -> host("n1").hostKey("SHA256:short").build()).hasMessageContaining("hostKey 'SHA256:short'");
        assertThatThrownBy(() -> host("n1").hostKey("SHA256:Yd0BbRvq4D5LX5w4bYDFdvV9VEWi7ZBIGLgNBmJGZ+I")
                .knownHosts(Path.of("/k")).build()).hasMessageContaining("both set");
        assertThatThrownBy(() -> host("n1").hostKey("SHA256:Yd0BbRvq4D5LX5w4bYDFdvV9VEWi7ZBIGLgNBmJGZ+I")
                .trustOnFirstUse(true).build()).hasMessageContaining("trustOnFirstUse true is not allowed with a pinned hostKey");
        assertThatThrownBy(() -> host("n1").label("bad key", "v").build()).hasMessageContaining("host 'n1'")
                .hasMessageContaining("bad key");
    }

    @Test
    void aHostKeyLineIsPinnedAsItsOpenSshFingerprint() {
        // the fingerprint ssh-keygen -lf prints for this key
        String line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl comment";
        String fp = host("n1").hostKey(line).build().hostKey();
        assertThat(fp).isEqualTo(SshHost.fingerprintOf("", line.substring(0, line.lastIndexOf(' '))));
        assertThat(fp).startsWith("SHA256:").hasSize(50);
        assertThat(host("n1").build().knownHosts()).isEqualTo(Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"));
    }

    @Test
    void theBuilderRejectsBadValuesNamingTheOption(@TempDir Path dir) throws Exception {
        SshBackendBuilder b = SshBackend.builder();
        assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connectTimeout PT0S is not allowed: must be PT0.1S to PT5M");
        assertThatThrownBy(() -> b.authTimeout(null)).hasMessageContaining("authTimeout null is not allowed");
        assertThatThrownBy(() -> b.heartbeat(Duration.ofMillis(5))).hasMessageContaining("heartbeat PT0.005S");
        assertThatThrownBy(() -> b.checkTimeout(Duration.ofHours(2))).hasMessageContaining("checkTimeout PT2H");
        assertThatThrownBy(() -> b.commandTimeout(Duration.ofMillis(1))).hasMessageContaining("commandTimeout");
        assertThatThrownBy(() -> b.portRange(9000, 8000)).hasMessageContaining("portRange 9000-8000 is not allowed");
        assertThatThrownBy(() -> b.setupTimeout(Duration.ofSeconds(-1))).hasMessageContaining("setupTimeout");
        assertThatThrownBy(() -> b.copyTimeout(Duration.ofDays(2))).hasMessageContaining("copyTimeout");
        assertThatThrownBy(() -> b.logMaxBytes(10)).hasMessageContaining("logMaxBytes 10 is not allowed");
        assertThatThrownBy(() -> b.maxChannelsPerHost(0)).hasMessageContaining("maxChannelsPerHost 0 is not allowed: must be 1-64");
        assertThatThrownBy(() -> b.clock(null)).hasMessageContaining("clock null");
        assertThatThrownBy(() -> b.host(null)).hasMessageContaining("host null");
        assertThatThrownBy(b::build).hasMessageContaining("hosts is empty: at least one host is required");
        b.heartbeat(Duration.ZERO); // off is allowed
        b.host(host("n1").build());
        assertThatThrownBy(() -> b.host(host("n1").build())).hasMessageContaining("host 'n1' is not allowed")
                .hasMessageContaining("unique");
        assertThatThrownBy(b::build).hasMessageContaining("host 'n1': privateKey '/nonexistent/key' is not allowed");
        Path junk = dir.resolve("junk");
        Files.writeString(junk, "not a key", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SshBackend.builder().host(host("n2").privateKey(junk).build()).build())
                .hasMessageContaining("host 'n2': privateKey '" + junk + "' is not allowed");
    }

    @Test
    void linesOfTheLivenessScriptBecomeRunningInstances() {
        SshHost h = host("n1").build();
        Seen s = Seen.parse("A web-1 4242 123456 v1 web r1 n1 8001 1700000000000 /srv/berth/instances/web-1 8001", h);
        assertThat(s).isNotNull();
        assertThat(s.running().instanceId()).isEqualTo("web-1");
        assertThat(s.running().app()).isEqualTo("web");
        assertThat(s.running().release()).isEqualTo("r1");
        assertThat(s.running().node()).isEqualTo("n1");
        assertThat(s.running().endpoint()).isEqualTo(new Endpoint("10.0.0.1", 8001));
        assertThat(s.running().handle()).isEqualTo("4242:123456");
        assertThat(s.running().startedAt()).isEqualTo(Instant.ofEpochMilli(1700000000000L));
        assertThat(Seen.parse("A w 1 2 v1 w r1 n1 - 1700000000000 /x -", h).running().endpoint()).isNull();
        assertThat(Seen.parse("A ../x 1 2 v1 w r1 n1 - 1 /x -", h)).isNull();
        assertThat(Seen.parse("A w x 2 v1 w r1 n1 - 1 /x -", h)).isNull();
        assertThat(Seen.parse("A w 1 2 v2 w r1 n1 - 1 /x -", h)).isNull();
        assertThat(Seen.parse("A w 1 2", h)).isNull();
    }

    @Test
    void exitStatusesAreDescribed() {
        assertThat(ExitCodes.describe(3)).isEqualTo("exited with 3");
        assertThat(ExitCodes.describe(137)).isEqualTo("exited with 137 (128+9: most likely killed by signal 9 (SIGKILL))");
    }
}
