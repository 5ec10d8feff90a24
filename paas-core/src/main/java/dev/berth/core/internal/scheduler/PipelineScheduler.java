// Owns the Scheduler the platform uses: pack's and spread's pipelines, and the working copy each keeps between calls.
package dev.berth.core.internal.scheduler;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.spi.Scheduler;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Scheduler} built from a {@link Pipeline}: filters → scorers → select, one instance at
 * a time on a private working copy of the snapshot ({@link NodeTable}), so that each placement
 * sees the ones before it.
 *
 * <p>How a call goes: the snapshot becomes primitive arrays, and the nodes are ranked by the
 * pipeline's scorers; per distinct set of label constraints, the up nodes that carry the labels
 * are kept in rank order in a {@link NodeIndex} (built when first needed) that finds the best
 * node with room for a demand in O(log M); identical asks are grouped into shapes, ordered by
 * size ({@link Batch}); then the call's {@link PlacementPlan} hands the shapes to its stages:
 * {@code all} shapes to {@link PlaceOnEveryNode}, constrained ones to {@link PlaceOneByOne},
 * the unconstrained rest to a bin-centric stage ({@link PackBinByBin} with {@link BinCompletion}
 * or {@link DotProductFill}, {@link SpreadByClass}) when one applies, and what is left to
 * {@link PlaceOneByOne}, which says why it fits no node. Placing N instances on M nodes costs
 * O(M log M + N log M) in the usual case. The result lists assignments and unplaced requests by
 * request index, whatever the order of work ({@link Outcome}).
 *
 * <p>The working copy and its indexes are kept between calls ({@link KeptNodes}): a snapshot of
 * the same nodes costs what changed since the last one, and the call's own placements are undone
 * at its end.
 *
 * <p>Pure: no I/O (beyond a debug log), no clock, no randomness; the same input gives the same
 * {@link Placement}, whatever the calls before. Thread-safe: a call takes the kept state for
 * itself; a concurrent call builds its own. Internal: obtain instances through
 * {@link dev.berth.core.Schedulers}.
 */
public final class PipelineScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineScheduler.class);

    private static final Pipeline PACK = new Pipeline(Filters.ALL,
            List.of(Scorers.MOST_ALLOCATED, Scorers.MOST_INSTANCES), List.of());
    private static final Pipeline SPREAD = new Pipeline(Filters.ALL,
            List.of(Scorers.LEAST_ALLOCATED, Scorers.FEWEST_INSTANCES),
            List.of(Scorers.LEAST_ALLOCATED_AFTER, Scorers.FEWEST_OF_APP));

    private final Strategy strategy;
    private final Pipeline pipeline;
    /** The last call's working copy, or null while a call holds it. */
    private final AtomicReference<KeptNodes> kept = new AtomicReference<>();

    private PipelineScheduler(Strategy strategy, Pipeline pipeline) {
        this.strategy = strategy;
        this.pipeline = pipeline;
    }

    /** A new scheduler (with nothing kept yet) for {@code strategy}: pack = most allocated, spread = least allocated. */
    public static PipelineScheduler of(Strategy strategy) {
        Objects.requireNonNull(strategy, "strategy");
        return new PipelineScheduler(strategy, strategy == Strategy.PACK ? PACK : SPREAD);
    }

    /** The strategy this scheduler follows. */
    public Strategy strategy() {
        return strategy;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the snapshot lists a node id twice
     */
    @Override
    public Placement place(ClusterSnapshot snapshot, List<PlacementRequest> requests) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(requests, "requests");
        for (int i = 0; i < requests.size(); i++) {
            Objects.requireNonNull(requests.get(i), "requests[" + i + "]");
        }
        // a concurrent call finds nothing kept and builds its own; the last to finish keeps its own
        KeptNodes nodes = KeptNodes.open(kept.getAndSet(null), snapshot, pipeline.rankers());
        Placement placement = new PlacementPlan(strategy, pipeline, nodes, requests).run();
        kept.set(nodes);
        if (LOG.isDebugEnabled()) {
            for (Placement.Unplaced u : placement.unplaced()) {
                LOG.debug("{}: {} instance(s) of {} (request {}) not placed: {}", strategy, u.count(), u.app(),
                        u.request(), u.reason());
            }
        }
        return placement;
    }

    @Override
    public String toString() {
        return "Scheduler[" + strategy + ": " + pipeline + "]";
    }
}
