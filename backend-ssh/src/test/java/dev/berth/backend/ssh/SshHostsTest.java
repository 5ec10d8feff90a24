package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosts file: what it accepts, and errors that name the file, line, host, field, value and what is allowed. */
class SshHostsTest {
    private static final Path DIR = Path.of("/etc/berth");

    private static List<SshHost> parse(String yaml) {
        return SshHosts.parse(yaml, "hosts.yml", DIR);
    }

    @Test
    void aListOfHostsWithDefaults() {
        List<SshHost> hosts = parse("""
                defaults:
                  user: berth
                  privateKey: keys/id_ed25519
                  knownHosts: /etc/berth/known_hosts
                  baseDir: /srv/berth
                  capacity: {cpu: 4, memoryMb: 8192}
                hosts:
                  - id: web-1
                    address: 10.0.0.11
                    labels: {zone: a}
                  - id: web-2
                    address: web-2.example.com
                    port: 2222
                    user: other
                    trustOnFirstUse: true
                    capacity: {cpu: 2}
                  - id: web-3
                    address: 10.0.0.13
                    knownHosts: ~/kh
                    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x
                """.replace("    knownHosts: ~/kh\n", ""));
        assertThat(hosts).hasSize(3);
        SshHost a = hosts.get(0);
        assertThat(a.id()).isEqualTo("web-1");
        assertThat(a.port()).isEqualTo(22);
        assertThat(a.user()).isEqualTo("berth");
        assertThat(a.privateKey()).isEqualTo(Path.of("/etc/berth/keys/id_ed25519"));
        assertThat(a.knownHosts()).isEqualTo(Path.of("/etc/berth/known_hosts"));
        assertThat(a.labels()).isEqualTo(Map.of("zone", "a"));
        assertThat(a.capacity().get("cpu")).isEqualTo(4.0);
        assertThat(a.baseDir()).isEqualTo("/srv/berth");
        assertThat(a.node().id()).isEqualTo("web-1");
        SshHost b = hosts.get(1);
        assertThat(b.port()).isEqualTo(2222);
        assertThat(b.user()).isEqualTo("other");
        assertThat(b.trustOnFirstUse()).isTrue();
        assertThat(b.capacity().has("memoryMb")).isFalse();
        SshHost c = hosts.get(2);
        // a pinned key is kept as its fingerprint, as ssh-keygen -lf prints it
        assertThat(c.hostKey()).matches("SHA256:[A-Za-z0-9+/]{43}");
        assertThat(c.knownHosts()).isNull();
    }

    @Test
    void aBareListIsAcceptedAndTildeIsTheHome() {
        List<SshHost> hosts = parse("""
                - {id: n1, address: 10.0.0.1, privateKey: ~/.ssh/id_rsa, baseDir: /b, hostKey: "SHA256:Yd0BbRvq4D5LX5w4bYDFdvV9VEWi7ZBIGLgNBmJGZ+I"}
                """);
        assertThat(hosts.get(0).privateKey()).isEqualTo(Path.of(System.getProperty("user.home"), ".ssh/id_rsa"));
    }

    @Test
    void loadReadsAFileAndResolvesPathsAgainstItsDirectory(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hosts.yml");
        Files.writeString(file, "- {id: n1, address: 10.0.0.1, privateKey: id, knownHosts: kh, baseDir: /b}\n");
        SshHost h = SshHosts.load(file).get(0);
        assertThat(h.privateKey()).isEqualTo(dir.resolve("id"));
        assertThat(h.knownHosts()).isEqualTo(dir.resolve("kh"));
    }

    @Test
    void errorsNameFileLineHostFieldValueAndWhatIsAllowed() {
        String base = "  - id: n1\n    address: 10.0.0.1\n    privateKey: /k\n    baseDir: /b\n";
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    port: abc\n"))
                .hasMessageContaining("hosts.yml line 6").hasMessageContaining("host 'n1'")
                .hasMessageContaining("field 'port'").hasMessageContaining("'abc'").hasMessageContaining("1-65535");
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    colour: blue\n"))
                .hasMessageContaining("hosts.yml line 6").hasMessageContaining("host 'n1'")
                .hasMessageContaining("field 'colour'").hasMessageContaining("unknown").hasMessageContaining("address");
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    port: 70000\n"))
                .hasMessageContaining("hosts.yml line 2").hasMessageContaining("host 'n1'")
                .hasMessageContaining("port 70000 is not allowed: must be 1-65535");
        assertThatThrownBy(() -> parse("hosts:\n" + base.replace("/b", "relative/dir")))
                .hasMessageContaining("host 'n1'").hasMessageContaining("baseDir 'relative/dir'")
                .hasMessageContaining("absolute path");
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    trustOnFirstUse: yes\n"))
                .hasMessageContaining("field 'trustOnFirstUse'").hasMessageContaining("'yes'")
                .hasMessageContaining("true or false");
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    hostKey: not-a-key\n"))
                .hasMessageContaining("host 'n1'").hasMessageContaining("hostKey 'not-a-key'")
                .hasMessageContaining("SHA256:");
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    capacity: {cpu: -1}\n"))
                .hasMessageContaining("field 'capacity.cpu'").hasMessageContaining("'-1'").hasMessageContaining(">= 0");
        assertThatThrownBy(() -> parse("hosts:\n" + base + "    address: 'a b'\n"))
                .hasMessageContaining("field 'address' is set twice");
        assertThatThrownBy(() -> parse("hosts:\n" + base + base))
                .hasMessageContaining("line 6").hasMessageContaining("'n1'").hasMessageContaining("unique");
        assertThatThrownBy(() -> parse("hosts:\n  - address: 10.0.0.1\n"))
                .hasMessageContaining("hosts.yml line 2").hasMessageContaining("hosts[0].id")
                .hasMessageContaining("required");
        assertThatThrownBy(() -> parse("hosts:\n  - id: 'bad id'\n    address: x\n    privateKey: /k\n    baseDir: /b\n"))
                .hasMessageContaining("host id 'bad id' is not allowed");
        assertThatThrownBy(() -> parse("nodes: []\n"))
                .hasMessageContaining("hosts.yml line 1").hasMessageContaining("'nodes'").hasMessageContaining("unknown");
        assertThatThrownBy(() -> parse("defaults: {address: x}\nhosts: []\n"))
                .hasMessageContaining("defaults field 'address'");
        assertThatThrownBy(() -> parse("hosts: []\n")).hasMessageContaining("at least one host");
        assertThatThrownBy(() -> parse("")).hasMessageContaining("must be a list of hosts");
        assertThatThrownBy(() -> parse("hosts: [\n")).hasMessageContaining("hosts.yml line").hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> parse("hosts:\n" + base.replace("    privateKey: /k\n", "")))
                .hasMessageContaining("host 'n1'").hasMessageContaining("privateKey is not set");
    }
}
