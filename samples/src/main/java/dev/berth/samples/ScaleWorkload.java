// The workloads of ScaleBench: how many apps, instances and nodes, and which build on another.
package dev.berth.samples;

import java.util.List;
import java.util.Optional;

/**
 * One ScaleBench workload. A plain one deploys {@code apps} apps of {@code perApp} instances each
 * on {@code nodes} nodes of 16 cpu / 64 GiB, every instance asking for 0.25 cpu / 256 MiB; one
 * with a {@code base} scales the first app of that (completed) workload up by one instance.
 * Immutable.
 *
 * @param name      the name given to {@code --workload}
 * @param apps      apps deployed (1 for a scale workload: the app scaled)
 * @param perApp    instances per app (1 for a scale workload: the instance added)
 * @param nodes     nodes in the cluster
 * @param base      the workload this one runs on, or null
 * @param byDefault whether it runs when no {@code --workload} is given
 */
public record ScaleWorkload(String name, int apps, int perApp, int nodes, String base, boolean byDefault) {
    /** Every workload, in the order they run (a scale workload right after its base, to reuse it). */
    public static final List<ScaleWorkload> ALL = List.of(
            new ScaleWorkload("apps100x10", 100, 10, 100, null, true),
            new ScaleWorkload("apps1000x10", 1000, 10, 1000, null, true),
            new ScaleWorkload("scale-one", 1, 1, 1000, "apps1000x10", true),
            new ScaleWorkload("app1x5000", 1, 5000, 100, null, true),
            new ScaleWorkload("apps10000x10", 10000, 10, 10000, null, false),
            new ScaleWorkload("scale-one-10000", 1, 1, 10000, "apps10000x10", false),
            new ScaleWorkload("app1x10000", 1, 10000, 1000, null, false));

    /** Cores of each node. */
    public static final double NODE_CPU = 16;
    /** MiB of each node. */
    public static final double NODE_MEMORY_MB = 64 * 1024;
    /** Cores of each instance. */
    public static final double INSTANCE_CPU = 0.25;
    /** MiB of each instance. */
    public static final double INSTANCE_MEMORY_MB = 256;

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
