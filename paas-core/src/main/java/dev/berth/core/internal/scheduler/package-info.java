/**
 * Berth's placement engine: a pure function from a {@link dev.berth.spi.ClusterSnapshot} and a
 * list of {@link dev.berth.spi.PlacementRequest}s to a {@link dev.berth.spi.Placement}.
 *
 * <p>The engine reads like Nomad's stack, one visible pipeline per strategy:
 * <ol>
 *   <li><b>feasibility filters</b>, cheapest first ({@link dev.berth.core.internal.scheduler.FeasibilityFilter}):
 *       node up, labels, per-node limit, fits capacity; a filtered node yields a
 *       {@link dev.berth.core.internal.scheduler.Rejection} that later becomes a human-readable reason;</li>
 *   <li><b>scorers</b> ({@link dev.berth.core.internal.scheduler.Scorer}) of the node alone, compared in
 *       order, each breaking the ties of the one before: pack = most allocated (utilisation weighted by
 *       the batch's scarcity per dimension), spread = least allocated; spread then breaks ties with a
 *       {@link dev.berth.core.internal.scheduler.TieBreaker} (fewest of the app);</li>
 *   <li><b>select</b>: the best score wins, a tie goes to the node that comes first in the snapshot.</li>
 * </ol>
 * Because the scorers read the node alone, the nodes are kept sorted by them in a
 * {@link dev.berth.core.internal.scheduler.NodeIndex} (a treap that also knows each subtree's
 * largest free amount per dimension), and select is "the first node in that order that passes
 * the filters", found in O(log M) without scoring every node. The working state is a
 * {@link dev.berth.core.internal.scheduler.NodeTable} of primitive arrays.
 * Internal: not an API. Use {@link dev.berth.core.Schedulers}.
 */
package dev.berth.core.internal.scheduler;
