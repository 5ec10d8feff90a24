// The container an instance runs as: a launch request mapped to docker-java's create-container settings, without Docker.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.DockerBackend.APP;
import static dev.berth.backend.docker.DockerBackend.INSTANCE;
import static dev.berth.backend.docker.DockerBackend.NODE;
import static dev.berth.backend.docker.DockerBackend.RELEASE;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.Resources;
import dev.berth.support.ArgvExpansion;
import dev.berth.support.BerthEnv;

/**
 * How one instance's container is created, computed from its {@link LaunchRequest} alone (no I/O):
 * the name {@code berth-<instanceId>}; Berth's labels over the builder's extra ones; the app's env
 * with {@link AppSpec#RANDOM_PORT} values turned into container ports (8080 for {@code PORT}, 8081
 * and up for other keys, skipping ports the env names) and the {@code BERTH_*} variables; every port
 * variable exposed and published on a free host port of the publish address; the command with
 * {@code ${NAME}} expanded from that env (argv, no shell); cpu as nano-CPUs and memory in bytes
 * (at least Docker's 6 MiB); restart policy {@code no}; the default network; the app's user and
 * working dir. Immutable.
 *
 * @param name         the container name
 * @param image        the image to run
 * @param labels       the container's labels, sorted
 * @param env          {@code KEY=value} entries, in the app's sorted order then the {@code BERTH_*} ones
 * @param command      the argv, or empty for the image's own command
 * @param exposedPorts the container ports exposed
 * @param portBindings each exposed port bound to a free host port of the publish address
 * @param nanoCpus     the cpu limit in billionths of a CPU, or null for none
 * @param memoryBytes  the memory limit in bytes, or null for none
 * @param workingDir   the app's working dir as given (absolute, or relative to the image's WORKDIR), or empty
 * @param user         the user to run as, or empty for the image's
 */
record ContainerSpec(String name, String image, Map<String, String> labels, List<String> env, List<String> command,
        List<ExposedPort> exposedPorts, List<PortBinding> portBindings, Long nanoCpus, Long memoryBytes,
        String workingDir, String user) {
    /** The container port {@code PORT=RANDOM_PORT} becomes; other random ports count up from the next one. */
    static final int FIRST_RANDOM_CONTAINER_PORT = 8080;
    /** Docker's smallest memory limit. */
    static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;

    ContainerSpec {
        labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        env = List.copyOf(env);
        command = List.copyOf(command);
        exposedPorts = List.copyOf(exposedPorts);
        portBindings = List.copyOf(portBindings);
    }

    /**
     * The container for {@code request} from {@code image}, its ports published on
     * {@code publishAddress}, labelled with {@code extraLabels} and Berth's labels.
     *
     * @throws BackendException when the memory limit is below Docker's minimum or the command cannot be expanded
     */
    static ContainerSpec of(LaunchRequest request, String image, String publishAddress, Map<String, String> extraLabels) {
        AppSpec spec = request.app();
        String id = request.instanceId();
        String what = "app '" + spec.name() + "' instance '" + id + "'";
        Map<String, String> labels = new TreeMap<>(extraLabels);
        labels.put(APP, spec.name());
        labels.put(INSTANCE, id);
        labels.put(RELEASE, request.release());
        labels.put(NODE, request.node());

        Map<String, String> env = new LinkedHashMap<>();
        List<ExposedPort> exposed = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        int nextPort = FIRST_RANDOM_CONTAINER_PORT;
        Set<String> fixed = new HashSet<>(spec.env().values());
        for (Map.Entry<String, String> e : spec.sortedEnv().entrySet()) {
            String value = e.getValue();
            boolean port = AppSpec.PORT.equals(e.getKey());
            if (AppSpec.RANDOM_PORT.equals(value)) {
                int p = port ? FIRST_RANDOM_CONTAINER_PORT : ++nextPort;
                while (!port && fixed.contains(Integer.toString(p))) {
                    p = ++nextPort;
                }
                value = Integer.toString(p);
                port = true;
            }
            if (port) {
                ExposedPort ep = ExposedPort.tcp(Integer.parseInt(value));
                exposed.add(ep);
                bindings.add(new PortBinding(Ports.Binding.bindIp(publishAddress), ep));
            }
            env.put(e.getKey(), value);
        }
        BerthEnv.putInstance(env, spec.name(), id, request.release(), request.node());
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        List<String> command = ArgvExpansion.command(spec, env, what);   // ${NAME} from the container's env, no shell

        Resources r = spec.resources();
        Long nanoCpus = null;
        if (r.has(Resources.CPU) && r.get(Resources.CPU) > 0) {
            nanoCpus = Math.round(r.get(Resources.CPU) * 1e9);
        }
        Long memoryBytes = null;
        if (r.has(Resources.MEMORY_MB) && r.get(Resources.MEMORY_MB) > 0) {
            long bytes = Math.round(r.get(Resources.MEMORY_MB) * 1024 * 1024);
            if (bytes < MIN_MEMORY_BYTES) {
                throw new BackendException(what + ": memoryMb " + r.get(Resources.MEMORY_MB)
                        + " is below Docker's minimum of 6 MiB");
            }
            memoryBytes = bytes;
        }
        return new ContainerSpec(DockerBackend.containerName(id), image, labels, envList, command, exposed, bindings,
                nanoCpus, memoryBytes, spec.workingDir(), spec.user());
    }

    /** The host settings: port bindings, restart policy {@code no} (Berth restarts instances) and the limits. */
    HostConfig hostConfig() {
        HostConfig host = HostConfig.newHostConfig()
                .withPortBindings(new ArrayList<>(portBindings))
                .withRestartPolicy(RestartPolicy.noRestart());
        if (nanoCpus != null) {
            host.withNanoCPUs(nanoCpus);
        }
        if (memoryBytes != null) {
            host.withMemory(memoryBytes);
        }
        return host;
    }

    /**
     * The working dir to create the container with: null for the image's own; an absolute path as
     * is; a relative one (code built from a Dockerfile) under the image's WORKDIR, which
     * {@code imageWorkDir} is asked for only then ("/" when it gives null or empty).
     */
    String workingDirIn(Supplier<String> imageWorkDir) {
        if (workingDir.isEmpty()) {
            return null;
        }
        if (workingDir.startsWith("/")) {
            return workingDir;
        }
        String base = imageWorkDir.get();
        if (base == null || base.isEmpty()) {
            base = "/";
        }
        return (base.endsWith("/") ? base : base + "/") + workingDir;
    }

    /** Puts these settings on {@code cmd} (a create command for {@link #image()}); see {@link #workingDirIn}. */
    CreateContainerCmd applyTo(CreateContainerCmd cmd, Supplier<String> imageWorkDir) {
        cmd.withName(name)
                .withLabels(labels)
                .withEnv(env)
                .withExposedPorts(exposedPorts)
                .withHostConfig(hostConfig());
        if (!command.isEmpty()) {
            cmd.withCmd(command);
        }
        String dir = workingDirIn(imageWorkDir);
        if (dir != null) {
            cmd.withWorkingDir(dir);
        }
        if (!user.isEmpty()) {
            cmd.withUser(user);
        }
        return cmd;
    }
}
