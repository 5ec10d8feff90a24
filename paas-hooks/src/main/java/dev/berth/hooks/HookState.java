// Where the hook modules' presets, checkpoints and pending jobs are kept: a file for one controller, ZooKeeper for several.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hooks' durable state. {@link Hooks} saves a whole {@link Snapshot} after each change (a
 * store may write only what changed) and hands a job to its module only once a save holding it
 * returned. Implementations: {@code hooks.json} ({@link Hooks.Builder#stateFile}), and
 * {@code ZooKeeperHookState} in {@code state-zookeeper}, fenced like the platform's state.
 */
public interface HookState {
    /**
     * What is kept.
     *
     * @param presets     every preset
     * @param checkpoints by module, then app: the instances the module acknowledged as up
     * @param jobs        by module, then app: the jobs not yet handled, oldest first
     */
    record Snapshot(List<Preset> presets, Map<String, Map<String, Set<String>>> checkpoints,
                    Map<String, Map<String, List<HookJob>>> jobs) {
        /** A snapshot; the lists and maps are not copied (a save reads them before it returns). */
        public Snapshot {
        }
    }

    /** What was saved last; empty when nothing was. */
    Snapshot load();

    /** Saves {@code snapshot}, durably when it returns; throws {@link dev.berth.api.StateStoreException} when it cannot. */
    void save(Snapshot snapshot);
}
