package dev.berth.core;

import dev.berth.spi.Scheduler;
import dev.berth.core.internal.scheduler.PipelineScheduler;
import java.util.Objects;

/**
 * Berth's built-in {@link Scheduler}s. Each is a pure function of the cluster snapshot and the
 * requests: no I/O, no clock, the same placement for the same input.
 * <ol>
 *   <li>feasibility filters, cheapest first: node up; node carries the required labels; fewer
 *       instances of the app on the node than {@code uniqueHost}/{@code maxPerNode} allow (counting
 *       existing ones and those placed earlier in the same call); the demand fits in every
 *       dimension the node declares (undeclared dimensions are unlimited);</li>
 *   <li>scoring by the node's utilisation over its declared dimensions: {@link #pack() pack}
 *       takes the fullest (each dimension weighted by how much of it the batch asks for, so the
 *       scarce one counts most), {@link #spread() spread} the one least loaded once the instance
 *       is on it (mean utilisation, Mako's {@code load});</li>
 *   <li>select the best, with deterministic tie-breakers.</li>
 * </ol>
 * Nodes are kept sorted by score in an index, so a placement costs O(log M), not O(M). Identical
 * asks are placed together. Asks with labels or a per-node limit (and every ask of their app)
 * go first, one instance at a time; the rest are placed node by node: in one dimension the
 * largest item and then the best pair of remaining sizes (minimum bin slack), in several the
 * demand best aligned with the node's remaining capacity (dot product), larger empty nodes
 * first; spread compares the least loaded node of each machine size. What cannot be placed
 * comes back as a {@link dev.berth.spi.Placement.Unplaced} with a reason such as
 * {@code "no node has 64.0 cpu free (largest free: 3.5)"} or
 * {@code "of 5 nodes: 2 down, 3 lack 2.0 memoryMb free (largest free: 1.0)"}.
 *
 * <p>Each call returns a new scheduler. It is thread-safe and a pure function of its inputs (the
 * same placement for the same snapshot and requests), and it keeps its node table and indexes
 * between calls: a snapshot whose nodes are the same objects as last time's, but for a few, costs
 * those few (see docs/placement.md). Give one platform its own scheduler. This class has static
 * members only.
 */
public final class Schedulers {

    private Schedulers() {
    }

    /** Fills the fullest node that fits (best fit across all declared dimensions): fewest nodes used. */
    public static Scheduler pack() {
        return PipelineScheduler.of(Scheduler.Strategy.PACK);
    }

    /** Takes the least loaded node that fits (Mako's {@code load}): instances balanced across nodes. */
    public static Scheduler spread() {
        return PipelineScheduler.of(Scheduler.Strategy.SPREAD);
    }

    /** The scheduler for {@code strategy}. */
    public static Scheduler of(Scheduler.Strategy strategy) {
        return PipelineScheduler.of(Objects.requireNonNull(strategy, "strategy"));
    }
}
