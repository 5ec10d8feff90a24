// Serve's backend flags (--docker, --docker-tls, --hosts) as picocli parses them and as ServeBackends checks them.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.AppSpec;
import dev.berth.api.BerthException;
import dev.berth.api.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeBackendsTest {
    @TempDir
    Path tmp;

    private static Serve parse(String... flags) {
        Serve s = new Serve();
        List<String> args = new java.util.ArrayList<>(List.of("--manifests", "apps", "--state", "state"));
        args.addAll(List.of(flags));
        new CommandLine(s).parseArgs(args.toArray(String[]::new));
        return s;
    }

    @Test
    void dockerWithoutAValueIsTheLocalSocketAndAnyFlagMayFollowIt() {
        Serve s = parse("--docker", "--router", "nginx");
        assertThat(s.docker).isEqualTo("unix:///var/run/docker.sock");
        assertThat(s.router).isEqualTo("nginx");
        assertThat(parse("--docker", "unix:///run/other.sock").docker).isEqualTo("unix:///run/other.sock");
        assertThat(parse().docker).isNull();
        ServeBackends.flags(s.docker, null, null); // allowed as is
    }

    @Test
    void dockerTogetherWithHostsIsRefusedNamingBothFlags() {
        Serve s = parse("--docker", "--hosts", "hosts.yml");
        assertThatThrownBy(() -> ServeBackends.flags(s.docker, s.dockerTls, s.hostsFile))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--docker and --hosts hosts.yml cannot be used together");
    }

    @Test
    void dockerTlsNeedsATcpAddressAndTcpNeedsTls() throws Exception {
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        for (String f : ServeBackends.TLS_FILES) {
            Files.writeString(certs.resolve(f), "x");
        }
        assertThatThrownBy(() -> ServeBackends.flags(null, certs, null))
                .hasMessageContaining("--docker-tls " + certs + " needs --docker tcp://HOST:PORT");
        assertThatThrownBy(() -> ServeBackends.flags("unix:///var/run/docker.sock", certs, null))
                .hasMessageContaining("--docker-tls " + certs + " is not allowed with --docker unix:///var/run/docker.sock");
        assertThatThrownBy(() -> ServeBackends.flags("tcp://10.0.0.5:2376", null, null))
                .hasMessageContaining("--docker tcp://10.0.0.5:2376 needs --docker-tls DIR");
        ServeBackends.flags("tcp://10.0.0.5:2376", certs, null); // allowed
        Files.delete(certs.resolve("key.pem"));
        assertThatThrownBy(() -> ServeBackends.flags("tcp://10.0.0.5:2376", certs, null))
                .hasMessageContaining("--docker-tls: " + certs + " has no key.pem");
        assertThatThrownBy(() -> ServeBackends.flags("tcp://10.0.0.5:2376", tmp.resolve("none"), null))
                .hasMessageContaining("is not a directory");
    }

    @Test
    void aBadDockerAddressIsRefusedWithWhatIsAllowed() {
        for (String bad : List.of("docker.sock", "http://127.0.0.1:2375", "tcp://host", "tcp://host:99999",
                "unix:///var/run/docker.sock;rm -rf /")) {
            assertThatThrownBy(() -> ServeBackends.flags(bad, null, null)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--docker: '" + bad + "' is not allowed;");
        }
    }

    @Test
    void anImageNeedsDockerAndSetupIsRefusedWithIt() {
        AppSpec image = AppSpec.builder("web").source(Source.image("team/web:1.2")).build();
        assertThatThrownBy(() -> ServeBackends.apps(false, List.of(image)))
                .hasMessageContaining("app 'web': source.image 'team/web:1.2' needs --docker");
        ServeBackends.apps(true, List.of(image));
        AppSpec setup = AppSpec.builder("api").source(Source.gitFollowing("api")).setup("npm", "install")
                .command("node", "server.js").build();
        assertThatThrownBy(() -> ServeBackends.apps(true, List.of(setup)))
                .hasMessageContaining("app 'api': setup is not allowed with --docker");
        ServeBackends.apps(false, List.of(setup));
    }

    @Test
    void aDaemonThatDoesNotAnswerIsAnErrorSayingHowToStartIt() {
        String nowhere = "unix://" + tmp.resolve("no-docker.sock");
        assertThatThrownBy(() -> ServeBackends.ping(nowhere, null))
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("--docker " + nowhere + ": the Docker daemon does not answer")
                .hasMessageContaining("sudo systemctl start docker");
    }

    @Test
    void eachStateDirHasItsOwnDockerNodeAndKeepsIt() {
        String a = ServeBackends.dockerNode(tmp.resolve("a"));
        assertThat(a).matches("docker-[0-9a-f]{8}").isEqualTo(ServeBackends.dockerNode(tmp.resolve("x/../a")));
        assertThat(ServeBackends.dockerNode(tmp.resolve("b"))).isNotEqualTo(a);
    }

    @Test
    void swarmFlagsAreAnEngineAddressAndGoWithNoOtherBackend() {
        ServeBackends.swarmFlags(null, null, null);
        ServeBackends.swarmFlags("unix:///run/swarm/manager.sock", null, null);
        ServeBackends.swarmFlags("tcp://10.0.0.5:2375", null, null);
        assertThatThrownBy(() -> ServeBackends.swarmFlags("http://10.0.0.5", null, null))
                .hasMessage("--swarm: 'http://10.0.0.5' is not allowed; use the Engine API of a swarm manager: unix:///PATH or "
                        + "tcp://HOST:PORT");
        assertThatThrownBy(() -> ServeBackends.swarmFlags("unix:///a.sock", "unix:///b.sock", null))
                .hasMessageStartingWith("--swarm cannot go with --docker");
        assertThatThrownBy(() -> ServeBackends.swarmFlags("unix:///a.sock", null, Path.of("hosts.yml")))
                .hasMessageStartingWith("--swarm cannot go with --hosts hosts.yml");
    }

    @Test
    void swarmEnginesAreNodeEqualsAddressOnlyWithSwarmAndOnceEach() {
        assertThat(ServeBackends.swarmEngines("unix:///m.sock", List.of("k3lq9x=unix:///run/n1.sock", "node-2=tcp://10.0.0.6:2375")))
                .containsExactly(Map.entry("k3lq9x", "unix:///run/n1.sock"), Map.entry("node-2", "tcp://10.0.0.6:2375"));
        assertThat(ServeBackends.swarmEngines(null, List.of())).isEmpty();
        assertThatThrownBy(() -> ServeBackends.swarmEngines(null, List.of("a=unix:///a.sock")))
                .hasMessage("--swarm-engine a=unix:///a.sock needs --swarm URL: it names the engine of a swarm node");
        for (String bad : List.of("unix:///a.sock", "a b=unix:///a.sock", "a=http://x", "=tcp://h:1", "a=unix:///a;rm")) {
            assertThatThrownBy(() -> ServeBackends.swarmEngines("unix:///m.sock", List.of(bad))).as(bad)
                    .hasMessage("--swarm-engine: '" + bad + "' is not allowed; use NODE=URL, NODE a node id (1-64 of A-Z a-z "
                            + "0-9 . _ -), URL unix:///PATH or tcp://HOST:PORT");
        }
        assertThatThrownBy(() -> ServeBackends.swarmEngines("unix:///m.sock", List.of("a=unix:///a.sock", "a=unix:///b.sock")))
                .hasMessage("--swarm-engine: node 'a' is given twice");
    }

    @Test
    void swarmPlacementIsSwarmByDefaultOrBerthAndNeedsASwarm() {
        assertThat(ServeBackends.swarmSchedules("unix:///m.sock", null)).isTrue();
        assertThat(ServeBackends.swarmSchedules("unix:///m.sock", "swarm")).isTrue();
        assertThat(ServeBackends.swarmSchedules("unix:///m.sock", "berth")).isFalse();
        assertThat(parse("--swarm", "unix:///m.sock", "--swarm-placement", "berth").swarmPlacement).isEqualTo("berth");
        assertThatThrownBy(() -> ServeBackends.check(parse("--swarm-placement", "berth"), List.of()))
                .hasMessage("--swarm-placement berth needs --swarm URL: it says who places that swarm's tasks");
        assertThatThrownBy(() -> ServeBackends.swarmSchedules("unix:///m.sock", "nomad"))
                .hasMessage("--swarm-placement: 'nomad' is not allowed; use swarm (Swarm places and restarts the tasks) or berth "
                        + "(Berth places and pins them)");
    }
}
