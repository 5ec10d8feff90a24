// The workloads of ScaleBench: how many apps, instances and nodes, and which build on another.
package dev.berth.samples;

import java.util.List;
import java.util.Optional;

/**
 * One ScaleBench workload. A plain one ({@link Kind#DEPLOY}) deploys {@code apps} apps of
 * {@code perApp} instances each on {@code nodes} nodes of 16 cpu / 64 GiB, every instance asking
 * for 0.25 cpu / 256 MiB; one with a {@code base} runs on that (completed) workload: it scales the
 * first app up by one instance ({@link Kind#SCALE_ONE}), or cuts off the node with the most
 * instances and waits until every one of them started elsewhere ({@link Kind#NODE_DOWN}).
 * Immutable.
 *
 * @param name        the name given to {@code --workload}
 * @param apps        apps deployed (1 for a scale workload: the app scaled)
 * @param perApp      instances per app (1 for a scale workload: the instance added)
 * @param nodes       nodes in the cluster
 * @param base        the workload this one runs on, or null
 * @param byDefault   whether it runs when no {@code --workload} is given
 * @param kind        what it does
 * @param instanceCpu cores each instance asks for
 */
public record ScaleWorkload(String name, int apps, int perApp, int nodes, String base, boolean byDefault, Kind kind,
                            double instanceCpu) {
    /** What a workload does. */
    public enum Kind {
        /** Deploys its apps and waits for every instance. */
        DEPLOY,
        /** Scales its base's first app up by one instance. */
        SCALE_ONE,
        /** Cuts off its base's fullest node: its instances are lost and started elsewhere. */
        NODE_DOWN
    }

    /** How long a node goes unheard before it is down, in every workload (the platform's default). */
    public static final java.time.Duration NODE_DOWN_AFTER = java.time.Duration.ofSeconds(5);

    /** Cores of each node. */
    public static final double NODE_CPU = 16;
    /** MiB of each node. */
    public static final double NODE_MEMORY_MB = 64 * 1024;
    /** Cores of each instance. */
    public static final double INSTANCE_CPU = 0.25;
    /** MiB of each instance. */
    public static final double INSTANCE_MEMORY_MB = 256;

    /** Every workload, in the order they run (a scale workload right after its base, to reuse it). */
    public static final List<ScaleWorkload> ALL = List.of(
            new ScaleWorkload("apps100x10", 100, 10, 100, null, true, Kind.DEPLOY, INSTANCE_CPU),
            new ScaleWorkload("apps1000x10", 1000, 10, 1000, null, true, Kind.DEPLOY, INSTANCE_CPU),
            new ScaleWorkload("scale-one", 1, 1, 1000, "apps1000x10", true, Kind.SCALE_ONE, INSTANCE_CPU),
            new ScaleWorkload("app1x5000", 1, 5000, 100, null, true, Kind.DEPLOY, INSTANCE_CPU),
            // 0.1 cpu each, so that every node runs 100 (64 would fill a node's 16 cpu at 0.25)
            new ScaleWorkload("apps100x100", 100, 100, 100, null, false, Kind.DEPLOY, 0.1),
            new ScaleWorkload("node-down", 1, 100, 100, "apps100x100", false, Kind.NODE_DOWN, INSTANCE_CPU),
            new ScaleWorkload("apps10000x10", 10000, 10, 10000, null, false, Kind.DEPLOY, INSTANCE_CPU),
            new ScaleWorkload("scale-one-10000", 1, 1, 10000, "apps10000x10", false, Kind.SCALE_ONE, INSTANCE_CPU),
            new ScaleWorkload("app1x10000", 1, 10000, 1000, null, false, Kind.DEPLOY, INSTANCE_CPU));

    /** The workload of this name, if there is one. */
    public static Optional<ScaleWorkload> named(String name) {
        return ALL.stream().filter(w -> w.name.equals(name)).findFirst();
    }

    /** The instances it starts. */
    public int instances() {
        return apps * perApp;
    }

    /** The name of its {@code i}-th app (from 0), e.g. {@code app-00042}. */
    public static String appName(int i) {
        return String.format("app-%05d", i);
    }

    /** The id of its {@code i}-th node (from 0), e.g. {@code node-00042}. */
    public static String nodeId(int i) {
        return String.format("node-%05d", i);
    }
}
