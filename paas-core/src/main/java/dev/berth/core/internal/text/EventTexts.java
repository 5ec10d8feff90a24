package dev.berth.core.internal.text;

import dev.berth.api.ExitInfo;
import dev.berth.api.PlatformEvent;

/**
 * Caps the text fields of platform events that can carry backend output (build lines, failure
 * and exit reasons) with {@link OutputCap}, so that no listener, log or event stream gets an
 * unbounded string. Stateless and thread-safe.
 */
public final class EventTexts {
    private EventTexts() {
    }

    /** {@code e} itself when its texts are within the caps; else a copy with them cut and marked. */
    public static PlatformEvent capped(PlatformEvent e) {
        if (e instanceof PlatformEvent.BuildOutput b) {
            String line = OutputCap.line(b.line());
            return same(line, b.line()) ? e : new PlatformEvent.BuildOutput(b.at(), b.app(), b.release(), b.node(), line);
        }
        if (e instanceof PlatformEvent.InstanceStartFailed f) {
            String reason = OutputCap.text(f.reason());
            return same(reason, f.reason()) ? e : new PlatformEvent.InstanceStartFailed(f.at(), f.app(), f.instance(), reason);
        }
        if (e instanceof PlatformEvent.InstanceUnhealthy u) {
            String reason = OutputCap.text(u.reason());
            return same(reason, u.reason()) ? e : new PlatformEvent.InstanceUnhealthy(u.at(), u.app(), u.instance(), reason);
        }
        if (e instanceof PlatformEvent.InstanceExited x && x.exit() != null) {
            ExitInfo exit = OutputCap.exit(x.exit());
            return exit == x.exit() ? e : new PlatformEvent.InstanceExited(x.at(), x.app(), x.instance(), exit);
        }
        if (e instanceof PlatformEvent.DeployFailed d) {
            String reason = OutputCap.text(d.reason());
            return same(reason, d.reason()) ? e
                    : new PlatformEvent.DeployFailed(d.at(), d.app(), d.release(), reason, d.rolledBackTo());
        }
        if (e instanceof PlatformEvent.InstancesUnplaced u) {
            String reason = OutputCap.text(u.reason());
            return same(reason, u.reason()) ? e : new PlatformEvent.InstancesUnplaced(u.at(), u.app(), u.count(), reason);
        }
        if (e instanceof PlatformEvent.NodeDown n) {
            String reason = OutputCap.text(n.reason());
            return same(reason, n.reason()) ? e : new PlatformEvent.NodeDown(n.at(), n.node(), reason);
        }
        if (e instanceof PlatformEvent.InstanceLost l) {
            String reason = OutputCap.text(l.reason());
            return same(reason, l.reason()) ? e : new PlatformEvent.InstanceLost(l.at(), l.app(), l.instance(), l.node(), reason);
        }
        return e;
    }

    private static boolean same(String capped, String original) {
        return capped == null ? original == null : capped.equals(original);
    }
}
