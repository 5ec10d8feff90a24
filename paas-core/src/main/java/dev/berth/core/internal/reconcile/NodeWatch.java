package dev.berth.core.internal.reconcile;

import dev.berth.spi.NodeStatus;
import dev.berth.api.PlatformEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, from the backend's node reports, which nodes go down and which come back, and when
 * not to believe them. A node unheard of for longer than {@code nodeDownAfter} goes down, unless
 * more than half of the nodes that are up are silent at that moment (overdue, or their latest
 * check failed): then the platform suspects its own connectivity (Kubernetes'
 * {@code --unhealthy-zone-threshold}), marks nothing down and says so, until at most half are
 * silent again. With one node, its silence is always suspicion (there is nowhere to move its
 * instances); with two, one silent node goes down and both silent is suspicion. Touched only by
 * the loop thread.
 */
final class NodeWatch {
    /** A node going down, and the backend's last word on why. */
    record Down(String node, String why) {
    }

    /** What one look at the reports decided; {@code suspicion} is null, or the change of suspicion to announce. */
    record Verdict(List<Down> down, List<String> up, Suspicion suspicion) {
        boolean changed() {
            return !down.isEmpty() || !up.isEmpty();
        }
    }

    /** Suspicion of the control plane began ({@code began}) or ended, with the silent and up node counts. */
    record Suspicion(boolean began, int silent, int nodes) {
        /** Logs the change (an ERROR line when suspicion begins) and returns its event. */
        PlatformEvent announce(Instant now) {
            if (began) {
                log.error("{} of {} nodes fell silent at once: suspecting this control plane's connectivity, not the "
                        + "nodes; no node is marked down, no instance is moved, routing stays as it is until they "
                        + "answer again", silent, nodes);
                return new PlatformEvent.ControlPlaneSuspect(now, silent, nodes);
            }
            log.warn("nodes answer again ({} of {} silent): node liveness counts again", silent, nodes);
            return new PlatformEvent.ControlPlaneTrusted(now, silent, nodes);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(NodeWatch.class);

    private final Duration downAfter;
    private final Predicate<String> known;
    private final Set<String> down = new TreeSet<>();
    private Instant watchingSince;
    private boolean suspect;

    NodeWatch(Duration downAfter, Predicate<String> known) {
        this.downAfter = downAfter;
        this.known = known;
    }

    /** The nodes that are down now (a read-only view). */
    Set<String> down() {
        return Collections.unmodifiableSet(down);
    }

    /** Whether the control plane is suspected now. */
    boolean suspect() {
        return suspect;
    }

    /** Looks at the latest reports at {@code now}. */
    Verdict look(List<NodeStatus> statuses, Instant now) {
        if (watchingSince == null) {
            watchingSince = now;
        }
        List<Down> overdue = new ArrayList<>();
        List<String> up = new ArrayList<>();
        int upNodes = 0;
        int silent = 0;
        for (NodeStatus s : statuses) {
            if (!known.test(s.node())) {
                continue;
            }
            Instant seen = s.lastContact() == null || s.lastContact().isBefore(watchingSince) ? watchingSince : s.lastContact();
            boolean late = Duration.between(seen, now).compareTo(downAfter) > 0;
            if (down.contains(s.node())) {
                if (s.reachable() && !late) {
                    up.add(s.node());
                }
                continue;
            }
            upNodes++;
            if (late || !s.reachable()) {
                silent++;
            }
            if (late && !s.reachable()) {
                overdue.add(new Down(s.node(), s.lastError() == null ? "no answer" : s.lastError()));
            }
        }
        down.removeAll(up);
        boolean suspectNow = !overdue.isEmpty() && silent * 2 > upNodes;
        Suspicion change = null;
        if (suspectNow != suspect && (suspectNow || silent * 2 <= upNodes)) {
            suspect = suspectNow;
            change = new Suspicion(suspectNow, silent, upNodes);
        }
        if (suspect) {
            return new Verdict(List.of(), up, change);
        }
        overdue.forEach(d -> down.add(d.node()));
        return new Verdict(overdue, up, change);
    }
}
