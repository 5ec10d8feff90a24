package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.berth.api.BackendException;
import dev.berth.spi.NodeStatus;

/** Host keys are always verified: known-hosts files, trust on first use, pinned keys, changed keys. */
class HostKeyIT {
    private static Kit kit;
    private static NetnsHost host;

    @BeforeAll
    static void hosts() throws Exception {
        kit = Kit.withHosts(20, 1);
        host = kit.hosts.get(0);
    }

    @AfterAll
    static void removeHosts() {
        if (kit != null) {
            kit.close();
        }
    }

    private static SshBackend over(SshHost h) {
        return SshBackend.builder().host(h).heartbeat(Duration.ZERO).connectTimeout(Duration.ofSeconds(1)).build();
    }

    @Test
    void anUnknownKeyIsRefusedNamingTheHostAndItsFingerprint() throws Exception {
        Path empty = Files.createTempFile(kit.root, "known", "");
        try (SshBackend b = over(kit.host(host).knownHosts(empty).build())) {
            String fp = host.fingerprint();
            assertThatThrownBy(() -> b.start(req("a-1", "h20", Kit.sleeper("a").build())))
                    .isInstanceOf(BackendException.class).hasMessageContaining("host 'h20'")
                    .hasMessageContaining("unknown host key").hasMessageContaining("ssh-ed25519 " + fp)
                    .hasMessageContaining(empty.toString()).hasMessageContaining("trustOnFirstUse");
            NodeStatus s = b.checkHosts().get(0);
            assertThat(s.reachable()).isFalse();
            assertThat(s.lastError()).contains(fp);
            assertThat(Files.readString(empty)).isEmpty();
        }
    }

    @Test
    void trustOnFirstUseRecordsTheKeyAndThenAChangedKeyIsRefused() throws Exception {
        Path file = kit.root.resolve("tofu/known_hosts"); // neither the file nor its dir exists yet
        SshHost tofu = kit.host(host).knownHosts(file).trustOnFirstUse(true).build();
        try (SshBackend b = over(tofu)) {
            assertThat(b.checkHosts().get(0).reachable()).isTrue();
        }
        String recorded = Files.readString(file);
        assertThat(recorded).contains(host.hostKeyLine().split(" ")[1]).contains(host.address);
        // pinned from then on: a backend without trust-on-first-use accepts it through the file
        try (SshBackend b = over(kit.host(host).knownHosts(file).build())) {
            assertThat(b.checkHosts().get(0).reachable()).isTrue();
        }

        String oldFp = host.fingerprint();
        host.newHostKey();
        host.restartSshd();
        String newFp = host.fingerprint();
        try (SshBackend b = over(tofu)) {
            assertThatThrownBy(() -> b.start(req("c-1", "h20", Kit.sleeper("c").build())))
                    .isInstanceOf(BackendException.class).hasMessageContaining("host 'h20'")
                    .hasMessageContaining("CHANGED").hasMessageContaining(newFp).hasMessageContaining(oldFp);
            assertThat(b.checkHosts().get(0).lastError()).contains(newFp);
        }
        assertThat(Files.readString(file)).isEqualTo(recorded);
        kit.writeKnownHosts();
    }

    @Test
    void aPinnedKeyOrFingerprintIsAcceptedAndAnyOtherRefused() throws Exception {
        try (SshBackend b = over(kit.host(host).knownHosts(null).hostKey(host.fingerprint()).build())) {
            assertThat(b.checkHosts().get(0).reachable()).isTrue();
        }
        try (SshBackend b = over(kit.host(host).knownHosts(null).hostKey(host.hostKeyLine()).build())) {
            assertThat(b.checkHosts().get(0).reachable()).isTrue();
        }
        String other = "SHA256:Yd0BbRvq4D5LX5w4bYDFdvV9VEWi7ZBIGLgNBmJGZ+I";
        try (SshBackend b = over(kit.host(host).knownHosts(null).hostKey(other).build())) {
            assertThatThrownBy(() -> b.start(req("p-1", "h20", Kit.sleeper("p").build())))
                    .isInstanceOf(BackendException.class).hasMessageContaining("host 'h20'")
                    .hasMessageContaining(host.fingerprint()).hasMessageContaining("not the pinned hostKey " + other);
        }
    }
}
