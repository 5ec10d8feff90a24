// When the loop must wake up by itself: respawns after their back-off, and rollout deadlines, in time order.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * The loop's timers as two queues ordered by due time, so that neither a pass nor the choice of the
 * next wake-up scans every instance or app: respawns due after a back-off, and rollout deadlines.
 * Entries are checked when they reach the head (lazy deletion): a respawn counts only while its
 * instance is still tracked with the same {@code respawnAt}, a deadline only while its app still
 * rolls out with the same deadline; anything else is dropped then. Not thread-safe: loop thread only.
 */
final class DueTimes {
    private record Respawn(Instant at, Tracked instance) {
    }

    private record Deadline(Instant at, String app) {
    }

    private final PriorityQueue<Respawn> respawns = new PriorityQueue<>(Comparator.comparing(Respawn::at));
    private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>(Comparator.comparing(Deadline::at));

    /** Sets {@code t}'s respawn time and queues it. */
    void respawnAt(Tracked t, Instant at) {
        t.respawnAt = at;
        respawns.add(new Respawn(at, t));
    }

    /** Queues the deadline of {@code app}'s rollout, if it has one. */
    void rollout(AppRecord app) {
        if (app.rollout() != null) {
            deadlines.add(new Deadline(app.rollout().deadline(), app.name()));
        }
    }

    /**
     * Takes every instance whose respawn is due at {@code now} and that {@code ready} accepts (not busy,
     * not leaving); due ones that are not ready stay queued for a later pass.
     */
    List<Tracked> dueRespawns(Instant now, Predicate<Tracked> tracked, Predicate<Tracked> ready) {
        List<Tracked> out = new ArrayList<>();
        List<Tracked> later = new ArrayList<>();
        while (!respawns.isEmpty() && !respawns.peek().at().isAfter(now)) {
            Respawn r = respawns.poll();
            if (live(r, tracked)) {
                (ready.test(r.instance()) ? out : later).add(r.instance());
            }
        }
        for (Tracked t : later) {
            respawns.add(new Respawn(t.respawnAt, t));
        }
        return out;
    }

    /** Takes the apps whose rollout deadline is due at {@code now} (and that still roll out with that deadline). */
    List<String> dueDeadlines(Instant now, Map<String, AppRecord> apps) {
        List<String> out = new ArrayList<>();
        while (!deadlines.isEmpty() && !deadlines.peek().at().isAfter(now)) {
            Deadline d = deadlines.poll();
            if (live(d, apps)) {
                out.add(d.app());
            }
        }
        return out;
    }

    /** The earliest time at which a respawn or a rollout deadline is due, or null if none is. */
    Instant next(Predicate<Tracked> tracked, Map<String, AppRecord> apps) {
        while (!respawns.isEmpty() && !live(respawns.peek(), tracked)) {
            respawns.poll();
        }
        while (!deadlines.isEmpty() && !live(deadlines.peek(), apps)) {
            deadlines.poll();
        }
        Instant a = respawns.isEmpty() ? null : respawns.peek().at();
        Instant b = deadlines.isEmpty() ? null : deadlines.peek().at();
        return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }

    private static boolean live(Respawn r, Predicate<Tracked> tracked) {
        return r.at().equals(r.instance().respawnAt) && tracked.test(r.instance());
    }

    private static boolean live(Deadline d, Map<String, AppRecord> apps) {
        AppRecord app = apps.get(d.app());
        return app != null && app.rollout() != null && app.rollout().deadline().equals(d.at());
    }
}
