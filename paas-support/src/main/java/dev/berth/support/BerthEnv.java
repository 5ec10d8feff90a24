// The BERTH_* environment contract: the variables every backend gives an instance (and its release's setup).
package dev.berth.support;

import java.util.Map;
import java.util.Set;

/**
 * The variables Berth adds to an app's environment, the same on every backend: the app, the
 * instance, the release and the node. A setup (run once per release and node) gets all but the
 * instance. They are put after the app's own env, so an app cannot set them. Stateless.
 */
public final class BerthEnv {
    /** The app's name. */
    public static final String APP = "BERTH_APP";
    /** The instance's id (not in a setup's environment). */
    public static final String INSTANCE_ID = "BERTH_INSTANCE_ID";
    /** The release the instance runs. */
    public static final String RELEASE = "BERTH_RELEASE";
    /** The node it runs on. */
    public static final String NODE = "BERTH_NODE";
    /** All of them. */
    public static final Set<String> NAMES = Set.of(APP, INSTANCE_ID, RELEASE, NODE);

    private BerthEnv() {
    }

    /** Puts the variables of a release's setup into {@code env}: app, release, node. */
    public static void putSetup(Map<String, String> env, String app, String release, String node) {
        env.put(APP, app);
        env.put(RELEASE, release);
        env.put(NODE, node);
    }

    /** Puts the variables of an instance into {@code env}: app, instance id, release, node. */
    public static void putInstance(Map<String, String> env, String app, String instanceId, String release, String node) {
        env.put(APP, app);
        env.put(INSTANCE_ID, instanceId);
        env.put(RELEASE, release);
        env.put(NODE, node);
    }
}
