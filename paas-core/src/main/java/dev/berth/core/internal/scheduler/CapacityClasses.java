// Owns spread's exact choice across node sizes: the up nodes grouped into capacity classes, each indexed by load.
package dev.berth.core.internal.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Spread's exact choice when the nodes come in few sizes: the nodes are grouped into capacity
 * classes (equal capacity vectors; a cluster usually has a handful of machine types), each kept
 * in its own {@link NodeIndex}, ordered by load. Within a class an instance adds the same load to
 * every node, so the least loaded node of the class that fits is the class's best; across
 * classes the pipeline's tie-breakers (least loaded once placed, then fewest of the app) choose
 * among these few candidates. So each instance goes to the node that is least loaded once it is
 * placed, over all nodes, which is the greedy that balances best (Graham's list scheduling, on
 * machines of different speeds), rather than to the best of the first few nodes in one order
 * that mixes sizes: there a large instance can land on a small node and overload it.
 *
 * <p>O(K log M) per instance for K classes (times the nodes, at most
 * {@value Pipeline#WINDOW}, that are as loaded as a class's least loaded one); the engine uses it only when the classes are at
 * most {@value #MAX_CLASSES}, and the window of {@link PlaceOneByOne} otherwise.
 * Deterministic. Confined to one call; not thread-safe.
 */
final class CapacityClasses {
    /** At most this many capacity classes are searched one by one. */
    static final int MAX_CLASSES = 16;

    private final NodeTable table;
    private final Pipeline pipeline;
    private final List<NodeIndex> indexes;
    private final double[] best;
    private final double[] scores;
    private final long[] bound;

    private CapacityClasses(NodeTable table, Pipeline pipeline, List<NodeIndex> indexes) {
        this.table = table;
        this.pipeline = pipeline;
        this.indexes = indexes;
        this.best = new double[pipeline.tieBreakers().size()];
        this.scores = new double[pipeline.tieBreakers().size()];
        this.bound = new long[pipeline.rankers().size()];
    }

    /**
     * The classes of the nodes {@code eligible} admits, each indexed; null when they are more
     * than {@value #MAX_CLASSES} (or none).
     */
    static CapacityClasses of(NodeTable table, Pipeline pipeline, boolean[] eligible) {
        Map<List<Double>, boolean[]> members = new HashMap<>();
        List<boolean[]> order = new ArrayList<>();
        int dims = table.dimensions();
        for (int n = 0; n < table.size(); n++) {
            if (!eligible[n]) {
                continue;
            }
            Double[] capacity = new Double[dims];
            for (int d = 0; d < dims; d++) {
                capacity[d] = table.capacity(n, d);
            }
            boolean[] member = members.get(Arrays.asList(capacity));
            if (member == null) {
                if (order.size() == MAX_CLASSES) {
                    return null;
                }
                member = new boolean[table.size()];
                members.put(Arrays.asList(capacity), member);
                order.add(member);
            }
            member[n] = true;
        }
        if (order.isEmpty()) {
            return null;
        }
        List<NodeIndex> indexes = new ArrayList<>();
        for (boolean[] member : order) {
            indexes.add(new NodeIndex(table, member));
        }
        return new CapacityClasses(table, pipeline, indexes);
    }

    /** The classes' indexes, to keep in step with the table as nodes fill. */
    List<NodeIndex> indexes() {
        return indexes;
    }

    /**
     * The node for one instance of {@code demand} (app id {@code app}, no per-node limit): among
     * each class's least loaded node that fits, the best by the pipeline's tie-breakers, then by
     * rank; -1 when no node fits.
     */
    int choose(double[] demand, int app, Ask ask) {
        int chosen = -1;
        for (NodeIndex index : indexes) {
            int first = index.first(demand, app, Integer.MAX_VALUE, null, -1, false, Integer.MAX_VALUE);
            // the class's least loaded node, and, when it already holds the app, those as loaded
            // right after it (up to a window): equally loaded nodes of a class differ only in
            // what the tie-breakers look at next, how many of the app they hold
            int window = first >= 0 && table.count(app, first) > 0 ? Pipeline.WINDOW : 1;
            for (int n = first, w = 0; n >= 0 && w < window; w++) {
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = pipeline.tieBreakers().get(i).score(table.view(n), ask);
                }
                int c = chosen < 0 ? 1 : Pipeline.compare(scores, best);
                if (c > 0 || (c == 0 && table.compare(n, chosen) < 0)) {
                    System.arraycopy(scores, 0, best, 0, scores.length);
                    chosen = n;
                }
                if (w + 1 == window) {
                    break;
                }
                table.copyRank(n, bound);
                int next = index.first(demand, app, Integer.MAX_VALUE, bound, n, true, Integer.MAX_VALUE);
                n = next >= 0 && table.sameLeadingRank(next, first) ? next : -1;
            }
        }
        return chosen;
    }
}
