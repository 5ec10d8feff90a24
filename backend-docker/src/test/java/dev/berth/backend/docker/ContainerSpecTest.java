// ContainerSpec's mapping of a launch request to docker-java's create-container settings, without Docker.
package dev.berth.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.Resources;
import dev.berth.api.Source;

/** How an instance's container is created: names, labels, env, ports, limits, user and working dir. */
class ContainerSpecTest {

    private static LaunchRequest request(AppSpec.Builder app) {
        return new LaunchRequest("web-1", "n1", app.build(), "r7");
    }

    /** A create command that is only looked at: executing it fails the test. */
    private static CreateContainerCmd createCmd(String image) {
        return new CreateContainerCmdImpl(cmd -> {
            throw new AssertionError("no container is created in this test");
        }, null, image);
    }

    private static AppSpec.Builder web() {
        return AppSpec.builder("web").source(Source.image("team/web:1"));
    }

    @Test
    void labelsCarryBerthsIdsOverTheExtraOnes() {
        ContainerSpec c = ContainerSpec.of(request(web()), "team/web:1", "127.0.0.1", Map.of("team", "blue"));

        assertThat(c.name()).isEqualTo("berth-web-1");
        assertThat(c.image()).isEqualTo("team/web:1");
        assertThat(c.labels()).containsExactly(
                Map.entry(DockerBackend.APP, "web"),
                Map.entry(DockerBackend.INSTANCE, "web-1"),
                Map.entry(DockerBackend.NODE, "n1"),
                Map.entry(DockerBackend.RELEASE, "r7"),
                Map.entry("team", "blue"));
    }

    @Test
    void envIsTheAppsSortedThenTheBerthContract() {
        ContainerSpec c = ContainerSpec.of(request(web().env("B", "2").env("A", "1")), "team/web:1", "127.0.0.1", Map.of());

        assertThat(c.env()).containsExactly("A=1", "B=2",
                "BERTH_APP=web", "BERTH_INSTANCE_ID=web-1", "BERTH_RELEASE=r7", "BERTH_NODE=n1");
        assertThat(c.exposedPorts()).isEmpty();
        assertThat(c.command()).isEmpty();
    }

    @Test
    void randomPortsBecomeContainerPortsPublishedOnTheAddress() {
        // PORT gets 8080; the other random ports count up from 8081, skipping ports the env names
        AppSpec.Builder app = web().env("PORT", AppSpec.RANDOM_PORT).env("ADMIN_PORT", AppSpec.RANDOM_PORT)
                .env("OTHER", "8081").env("ZZ_PORT", AppSpec.RANDOM_PORT);
        ContainerSpec c = ContainerSpec.of(request(app), "team/web:1", "127.0.0.1", Map.of());

        assertThat(c.env()).startsWith("ADMIN_PORT=8082", "OTHER=8081", "PORT=8080", "ZZ_PORT=8083");
        assertThat(c.exposedPorts()).containsExactly(ExposedPort.tcp(8082), ExposedPort.tcp(8080), ExposedPort.tcp(8083));
        assertThat(c.portBindings()).extracting(PortBinding::getExposedPort).containsExactlyElementsOf(c.exposedPorts());
        // published on a free host port of 127.0.0.1, never on every interface
        assertThat(c.portBindings()).extracting(PortBinding::getBinding).containsOnly(Ports.Binding.bindIp("127.0.0.1"));
        assertThat(c.portBindings().get(0).getBinding().getHostPortSpec()).isNull();
    }

    @Test
    void aFixedPortIsPublishedToo() {
        ContainerSpec c = ContainerSpec.of(request(web().env("PORT", "9000")), "team/web:1", "10.0.0.5", Map.of());

        assertThat(c.env()).startsWith("PORT=9000");
        assertThat(c.portBindings()).containsExactly(new PortBinding(Ports.Binding.bindIp("10.0.0.5"), ExposedPort.tcp(9000)));
    }

    @Test
    void resourcesBecomeExactLimitsAndTheRestartPolicyIsNo() {
        ContainerSpec c = ContainerSpec.of(request(web().resources(Resources.builder().cpu(0.25).memoryMb(64.5).build())),
                "team/web:1", "127.0.0.1", Map.of());

        assertThat(c.nanoCpus()).isEqualTo(250_000_000L);
        assertThat(c.memoryBytes()).isEqualTo(67_633_152L); // 64.5 MiB
        HostConfig host = c.hostConfig();
        assertThat(host.getNanoCPUs()).isEqualTo(250_000_000L);
        assertThat(host.getMemory()).isEqualTo(67_633_152L);
        assertThat(host.getRestartPolicy()).isEqualTo(RestartPolicy.noRestart());
        assertThat(host.getNetworkMode()).isNull(); // the engine's default network

        ContainerSpec none = ContainerSpec.of(request(web()), "team/web:1", "127.0.0.1", Map.of());
        assertThat(none.nanoCpus()).isNull();
        assertThat(none.memoryBytes()).isNull();
        assertThat(none.hostConfig().getMemory()).isNull();
        assertThat(none.hostConfig().getNanoCPUs()).isNull();
    }

    @Test
    void memoryBelowDockersMinimumIsRefused() {
        assertThatThrownBy(() -> ContainerSpec.of(request(web().resources(Resources.builder().memoryMb(5).build())),
                "team/web:1", "127.0.0.1", Map.of()))
                .isInstanceOf(BackendException.class)
                .hasMessage("app 'web' instance 'web-1': memoryMb 5.0 is below Docker's minimum of 6 MiB");
    }

    @Test
    void theCommandIsExpandedFromTheContainersEnvWithoutAShell() {
        ContainerSpec c = ContainerSpec.of(request(web().env("PORT", AppSpec.RANDOM_PORT)
                .command("serve", "--port=${PORT}", "--id", "${BERTH_INSTANCE_ID}", "a b;c")), "team/web:1", "127.0.0.1", Map.of());

        assertThat(c.command()).containsExactly("serve", "--port=8080", "--id", "web-1", "a b;c");
    }

    @Test
    void theSettingsGoOntoTheCreateCommand() {
        ContainerSpec c = ContainerSpec.of(request(web().env("PORT", AppSpec.RANDOM_PORT).command("serve").user("1000:1000")
                .workingDir("/srv")), "team/web:1", "127.0.0.1", Map.of("team", "blue"));
        CreateContainerCmd cmd = c.applyTo(createCmd("team/web:1"), () -> {
            throw new AssertionError("an absolute working dir needs no image");
        });

        assertThat(cmd.getName()).isEqualTo("berth-web-1");
        assertThat(cmd.getImage()).isEqualTo("team/web:1");
        assertThat(cmd.getLabels()).isEqualTo(c.labels());
        assertThat(cmd.getEnv()).containsExactlyElementsOf(c.env());
        assertThat(cmd.getCmd()).containsExactly("serve");
        assertThat(cmd.getExposedPorts()).containsExactly(ExposedPort.tcp(8080));
        assertThat(cmd.getHostConfig().getPortBindings().getBindings())
                .containsExactly(Map.entry(ExposedPort.tcp(8080), new Ports.Binding[] {Ports.Binding.bindIp("127.0.0.1")}));
        assertThat(cmd.getHostConfig().getRestartPolicy()).isEqualTo(RestartPolicy.noRestart());
        assertThat(cmd.getUser()).isEqualTo("1000:1000");
        assertThat(cmd.getWorkingDir()).isEqualTo("/srv");
    }

    @Test
    void withoutACommandUserOrWorkingDirTheImagesOwnAreKept() {
        ContainerSpec c = ContainerSpec.of(request(web()), "team/web:1", "127.0.0.1", Map.of());
        CreateContainerCmd cmd = c.applyTo(createCmd("team/web:1"), () -> "/x");

        assertThat(cmd.getCmd()).isNull();
        assertThat(cmd.getUser()).isNull();
        assertThat(cmd.getWorkingDir()).isNull();
    }

    @Test
    void aRelativeWorkingDirIsUnderTheImagesWorkdir() {
        AppSpec.Builder app = AppSpec.builder("web").source(Source.directory(Path.of("/srv/code"))).workingDir("bin");
        ContainerSpec c = ContainerSpec.of(request(app), "berth/web:r7-00000000", "127.0.0.1", Map.of());
        AtomicInteger asked = new AtomicInteger();

        assertThat(c.workingDirIn(() -> {
            asked.incrementAndGet();
            return "/app";
        })).isEqualTo("/app/bin");
        assertThat(asked).hasValue(1);
        assertThat(c.workingDirIn(() -> "/app/")).isEqualTo("/app/bin");
        assertThat(c.workingDirIn(() -> null)).isEqualTo("/bin");
        assertThat(c.workingDirIn(() -> "")).isEqualTo("/bin");
        assertThat(c.workingDir()).isEqualTo("bin");
    }
}
