// One Berth instance as a Swarm service: image, command, env, labels, resources, the node it is pinned to, ports in host mode.
package dev.berth.backend.swarm;

import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.PortConfigProtocol;
import com.github.dockerjava.api.model.ResourceRequirements;
import com.github.dockerjava.api.model.ResourceSpecs;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;
import dev.berth.api.AppSpec;
import dev.berth.api.Resources;
import dev.berth.spi.LaunchRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The service spec of one instance: one replica, pinned to the Swarm node Berth placed it on
 * ({@code node.id==...}), never restarted by Swarm (Berth respawns), each {@code RANDOM_PORT} env
 * value a container port from {@value #FIRST_PORT} up published in host mode on a port the node
 * picks (Swarm's ingress mesh and VIPs need IPVS: endpoint mode dnsrr, no ingress), cpu and memory
 * as limits and reservations, Docker's init as PID 1 (a stop's SIGTERM reaches the app), and
 * Berth's labels on the service and its containers. Stateless.
 */
final class ServiceSpecs {
    /** The container port of an instance's first {@code RANDOM_PORT} value; the next ones follow it. */
    static final int FIRST_PORT = 8080;
    static final String MANAGED = "berth.managed";
    static final String APP = "berth.app";
    static final String RELEASE = "berth.release";
    static final String INSTANCE = "berth.instance";
    static final String NODE = "berth.node";
    /** The container port of the instance's endpoint (its {@code PORT}), when it has one. */
    static final String PORT = "berth.port";
    /** How long Swarm waits before it restarts a task that ended, when Swarm schedules. */
    static final Duration RESTART_DELAY = Duration.ofSeconds(1);
    /** How long a stopped task's container gets between SIGTERM and SIGKILL, unless the builder says otherwise. */
    static final Duration GRACE = Duration.ofSeconds(10);

    private ServiceSpecs() {
    }

    /** The service name of an instance of the backend named {@code managed}. */
    static String name(String managed, String instanceId) {
        return managed + "-" + instanceId;
    }

    /** The env the container gets: each {@code RANDOM_PORT} value replaced by its container port. */
    static Map<String, String> env(AppSpec app) {
        Map<String, String> env = new LinkedHashMap<>();
        int next = FIRST_PORT;
        for (Map.Entry<String, String> e : app.sortedEnv().entrySet()) {
            env.put(e.getKey(), AppSpec.RANDOM_PORT.equals(e.getValue()) ? Integer.toString(next++) : e.getValue());
        }
        return env;
    }

    /** The container port of the instance's endpoint: its {@code PORT}, when that is a random port; else none. */
    static Integer endpointPort(AppSpec app) {
        Map<String, String> env = env(app);
        return AppSpec.RANDOM_PORT.equals(app.env().get(AppSpec.PORT)) ? Integer.valueOf(env.get(AppSpec.PORT)) : null;
    }

    /**
     * The service of one instance: its task placed within {@code constraints} (Berth's choice pinned
     * as {@code node.id==...}, or what Swarm may choose among), restarted by Swarm when
     * {@code swarmRestarts} (condition any, after {@link #RESTART_DELAY}), else never.
     */
    static ServiceSpec of(LaunchRequest r, String image, String managed, List<String> constraints, Duration grace,
                          boolean swarmRestarts) {
        AppSpec app = r.app();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED, managed);
        labels.put(APP, app.name());
        labels.put(RELEASE, r.release());
        labels.put(INSTANCE, r.instanceId());
        labels.put(NODE, r.node());
        if (endpointPort(app) != null) {
            labels.put(PORT, Integer.toString(endpointPort(app)));
        }
        List<String> env = new ArrayList<>();
        List<PortConfig> ports = new ArrayList<>();
        Map<String, String> values = env(app);
        Map<String, String> all = new LinkedHashMap<>(values);
        dev.berth.support.BerthEnv.putInstance(all, app.name(), r.instanceId(), r.release(), r.node());
        all.forEach((k, v) -> env.add(k + "=" + v));
        app.env().forEach((k, v) -> {
            if (AppSpec.RANDOM_PORT.equals(v)) {
                ports.add(new PortConfig().withTargetPort(Integer.parseInt(values.get(k))).withProtocol(PortConfigProtocol.TCP)
                        .withPublishMode(PortConfig.PublishMode.host));
            }
        });
        // under Docker's init (tini): SIGTERM reaches the app even when its command is PID 1, and zombies are reaped
        ContainerSpec container = new ContainerSpec().withImage(image).withEnv(env).withLabels(labels).withInit(true)
                .withStopGracePeriod(grace.toNanos());
        if (!app.command().isEmpty()) {
            container = container.withCommand(app.command());
        }
        if (app.workingDir() != null) {
            container = container.withDir(app.workingDir());
        }
        if (app.user() != null) {
            container = container.withUser(app.user());
        }
        TaskSpec task = new TaskSpec().withContainerSpec(container)
                .withPlacement(new ServicePlacement().withConstraints(constraints))
                .withRestartPolicy(swarmRestarts
                        ? new ServiceRestartPolicy().withCondition(ServiceRestartCondition.ANY).withDelay(RESTART_DELAY.toNanos())
                        : new ServiceRestartPolicy().withCondition(ServiceRestartCondition.NONE))
                .withResources(resources(app.resources()));
        return new ServiceSpec().withName(name(managed, r.instanceId())).withLabels(labels).withTaskTemplate(task)
                .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(1)))
                .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR).withPorts(ports));
    }

    private static ResourceRequirements resources(Resources r) {
        ResourceSpecs specs = new ResourceSpecs();
        boolean any = false;
        if (r.get(Resources.CPU) > 0) {
            specs = specs.withNanoCPUs(Math.round(r.get(Resources.CPU) * 1e9));
            any = true;
        }
        if (r.get(Resources.MEMORY_MB) > 0) {
            specs = specs.withMemoryBytes(Math.round(r.get(Resources.MEMORY_MB) * 1024 * 1024));
            any = true;
        }
        return any ? new ResourceRequirements().withLimits(specs).withReservations(specs) : new ResourceRequirements();
    }
}
