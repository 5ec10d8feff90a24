/**
 * Berth's placement engine: a pure function from a {@link dev.berth.api.ClusterSnapshot} and a
 * list of {@link dev.berth.api.PlacementRequest}s to a {@link dev.berth.api.Placement}.
 *
 * <p>The engine reads like Nomad's stack, one visible pipeline per strategy:
 * <ol>
 *   <li><b>feasibility filters</b>, cheapest first ({@link dev.berth.core.internal.scheduler.FeasibilityFilter}):
 *       node up, labels, per-node limit, fits capacity; a filtered node yields a
 *       {@link dev.berth.core.internal.scheduler.Rejection} that later becomes a human-readable reason;</li>
 *   <li><b>scorers</b> ({@link dev.berth.core.internal.scheduler.Scorer}), compared in order, each breaking
 *       the ties of the one before: pack = most allocated, spread = least allocated;</li>
 *   <li><b>select</b>: the best score wins, a tie goes to the node that comes first in the snapshot.</li>
 * </ol>
 * Internal: not an API. Use {@link dev.berth.core.Schedulers}.
 */
package dev.berth.core.internal.scheduler;
