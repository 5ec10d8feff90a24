// The order in which an app's instances are given up when it has too many: the least useful first.
package dev.berth.core.internal.reconcile;

import dev.berth.api.InstanceState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Scale-down order: the least useful first (not running, then unhealthy, then newest). Stateless. */
final class ScaleDownOrder {
    private ScaleDownOrder() {
    }

    /** A copy of {@code list}, least useful first; the input is left as it is. */
    static List<ConvergeStep.Seen> sorted(List<ConvergeStep.Seen> list) {
        List<ConvergeStep.Seen> copy = new ArrayList<>(list);
        copy.sort(Comparator.comparingInt((ConvergeStep.Seen s) -> usefulness(s.state()))
                .thenComparing(Comparator.comparingInt((ConvergeStep.Seen s) -> seqOf(s.id())).reversed()));
        return copy;
    }

    private static int usefulness(InstanceState s) {
        return switch (s) {
            case PENDING, EXITED, STOPPED, STOPPING -> 0;
            case STARTING, UNHEALTHY -> 1;
            case RUNNING -> 2;
            case HEALTHY -> 3;
        };
    }

    private static int seqOf(String id) {
        try {
            return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
