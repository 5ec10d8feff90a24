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
 *   <li>scorers, compared in order, each breaking the ties of the ones before (within
 *       {@link #TIE});</li>
 *   <li>select: the best node; on a full tie the one that comes first in the snapshot.</li>
 * </ol>
 * When no node is feasible, {@link #explain} re-runs the filters to say why. Immutable and
 * thread-safe; reusable across calls.
 */
final class Pipeline {
    /** Scores closer than this are equal, so that rounding noise does not break ties. */
    static final double TIE = 1e-9;

    private final List<FeasibilityFilter> filters;
    private final List<Scorer> scorers;

    Pipeline(List<FeasibilityFilter> filters, List<Scorer> scorers) {
        this.filters = List.copyOf(filters);
        this.scorers = List.copyOf(scorers);
    }

    List<FeasibilityFilter> filters() {
        return filters;
    }

    List<Scorer> scorers() {
        return scorers;
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

    /** The index in {@code nodes} of the best feasible node for {@code ask}, or -1 if there is none. */
    int select(List<? extends NodeView> nodes, Ask ask) {
        int best = -1;
        double[] bestScores = new double[scorers.size()];
        double[] scores = new double[scorers.size()];
        for (int n = 0; n < nodes.size(); n++) {
            NodeView node = nodes.get(n);
            if (check(node, ask).isPresent()) {
                continue;
            }
            for (int s = 0; s < scores.length; s++) {
                scores[s] = scorers.get(s).score(node, ask);
            }
            if (best < 0 || better(scores, bestScores)) {
                best = n;
                double[] swap = bestScores;
                bestScores = scores;
                scores = swap;
            }
        }
        return best;
    }

    private static boolean better(double[] scores, double[] than) {
        for (int s = 0; s < scores.length; s++) {
            if (scores[s] > than[s] + TIE) {
                return true;
            }
            if (scores[s] < than[s] - TIE) {
                return false;
            }
        }
        return false;
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
                + " -> scorers " + scorers.stream().map(Scorer::name).toList() + " -> select max (tie: first node)";
    }
}
