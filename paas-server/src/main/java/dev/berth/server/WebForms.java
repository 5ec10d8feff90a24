// What the web page's forms send and what it says after them: the scale field read, and each action's notice.
package dev.berth.server;

import dev.berth.api.Instances;
import java.util.Map;

/** The web forms' values and notices. */
final class WebForms {
    /** What each action's redirect says on the page it returns to (by {@code ?done=}). */
    private static final Map<String, String> NOTICES = Map.of(
            "scaled", "Scaling: instances appear and leave below as they do.",
            "restarted", "Restarting: each instance is replaced in turn by the rolling update.",
            "rolledback", "Rolling back to the previous release that succeeded.",
            "instance-restarted", "Restarting the instance.",
            "killed", "Killed the instance; it is respawned by its restart policy.");

    private WebForms() {
    }

    /** The notice for {@code done}, or null (an unknown value shows nothing: no text is taken from the address). */
    static String notice(String done) {
        return done == null ? null : NOTICES.get(done);
    }

    /** The scale form's field: a count or {@code *}. */
    static Instances instances(String text) {
        String v = text == null ? "" : text.strip();
        if (v.equals("*")) {
            return Instances.ALL;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 0 && n <= Instances.MAX) {
                return Instances.of(n);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(400, "instances must be a count of 0-" + Instances.MAX + " or * (one on every node), not '"
                + v + "'", "instances", v, "0-" + Instances.MAX + " or *");
    }
}
