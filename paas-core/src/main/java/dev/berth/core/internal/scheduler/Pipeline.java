// Owns one placement pipeline: its feasibility filters, rankers and tie-breakers, and the reasons it gives for a node it turns down.
package dev.berth.core.internal.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One placement pipeline, read top to bottom like Nomad's stack:
 * <ol>
 *   <li>feasibility filters, cheapest first: a node failing one is skipped;</li>
 *   <li>rankers, scorers of the node alone, compared in order, each breaking the ties of the
 *       ones before (on a grid of {@link #TIE}); the engine keeps the nodes sorted by them in a
 *       {@link NodeIndex}, so it needs not score every node for every instance;</li>
 *   <li>optional tie-breakers that depend on the ask, compared in order among the first few
 *       feasible nodes (a bounded window, like Nomad's limit);</li>
 *   <li>select: the best node; on a full tie the one that comes first in the snapshot.</li>
 * </ol>
 * The index applies the filters by construction (node up and labels: a node is in the index of
 * its label constraints only when it is up and carries them; fits capacity: subtrees without
 * room are skipped, then each candidate is checked; per-node limit: checked per candidate). When
 * no node is feasible, {@link #explain} runs the filters themselves over every node to say why.
 * Immutable and thread-safe; reusable across calls.
 */
final class Pipeline {
    /** Scores closer than this are equal, so that rounding noise does not break ties. */
    static final double TIE = 1e-9;

    /** How many feasible nodes, the first in order, tie-breakers choose among. */
    static final int WINDOW = 8;

    private final List<FeasibilityFilter> filters;
    private final List<Scorer> rankers;
    private final List<TieBreaker> tieBreakers;

    Pipeline(List<FeasibilityFilter> filters, List<Scorer> rankers, List<TieBreaker> tieBreakers) {
        this.filters = List.copyOf(filters);
        this.rankers = List.copyOf(rankers);
        this.tieBreakers = List.copyOf(tieBreakers);
    }

    /** The scorers of the node alone that order the index, most significant first. */
    List<Scorer> rankers() {
        return rankers;
    }

    /** The ask-dependent choice among the first few feasible nodes, in order; empty: take the first. */
    List<TieBreaker> tieBreakers() {
        return tieBreakers;
    }

    /** The first filter that turns {@code node} down, or empty when it is feasible. */
    Optional<Rejection> check(NodeView node, Ask ask) {
        for (FeasibilityFilter filter : filters) {
            Optional<Rejection> rejection = filter.check(node, ask);
            if (rejection.isPresent()) {
                return rejection;
            }
        }
        return Optional.empty();
    }

    /** Why no node of {@code nodes} is feasible for {@code ask}, for a person. */
    String explain(List<? extends NodeView> nodes, Ask ask) {
        if (nodes.isEmpty()) {
            return "no node is up (the cluster has no nodes)";
        }
        List<Rejection> rejections = new ArrayList<>(nodes.size());
        for (NodeView node : nodes) {
            check(node, ask).ifPresent(rejections::add);
        }
        return summarise(nodes.size(), rejections, "of " + nodes.size() + " nodes: ");
    }

    /**
     * A reason from the rejections of {@code considered} nodes: the single rejection's own words
     * when every node considered was turned down alike, else {@code prefix} and a count per kind of
     * rejection, in the order of the filters ("of 5 nodes: 2 down, 3 lack 2.0 memoryMb free
     * (largest free: 1.0)").
     */
    static String summarise(int considered, List<Rejection> rejections, String prefix) {
        Map<String, Rejection> merged = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Rejection r : rejections) {
            merged.merge(r.key(), r, Rejection::merge);
            counts.merge(r.key(), 1, Integer::sum);
        }
        if (merged.size() == 1 && rejections.size() == considered) {
            return merged.values().iterator().next().alone(considered);
        }
        List<String> keys = new ArrayList<>(merged.keySet());
        keys.sort(Comparator.<String>comparingInt(k -> rank(merged.get(k))).thenComparing(Comparator.naturalOrder()));
        StringBuilder reason = new StringBuilder(prefix);
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                reason.append(", ");
            }
            reason.append(merged.get(keys.get(i)).among(counts.get(keys.get(i))));
        }
        return reason.toString();
    }

    /**
     * Which of two tie-breaker score vectors is better: the first score that differs by more than
     * {@link #TIE} decides (1: {@code scores}, -1: {@code than}, 0: neither).
     */
    static int compare(double[] scores, double[] than) {
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] > than[i] + TIE) {
                return 1;
            }
            if (scores[i] < than[i] - TIE) {
                return -1;
            }
        }
        return 0;
    }

    /** The order of the filters that produce each kind of rejection. */
    private static int rank(Rejection r) {
        if (r instanceof Rejection.Down) {
            return 0;
        }
        if (r instanceof Rejection.MissingLabels) {
            return 1;
        }
        if (r instanceof Rejection.AtLimit) {
            return 2;
        }
        return 3;
    }

    @Override
    public String toString() {
        return "filters " + filters.stream().map(FeasibilityFilter::name).toList()
                + " -> scorers " + rankers.stream().map(Scorer::name).toList()
                + (tieBreakers.isEmpty() ? "" : " -> among the first " + WINDOW + ": "
                        + tieBreakers.stream().map(TieBreaker::name).toList())
                + " -> select max (tie: first node)";
    }
}
