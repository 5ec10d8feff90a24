// What every room of the control loop holds: the loop's shared state and the loop itself.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import java.util.Map;

/**
 * The base of the loop's rooms ({@link Actuator}, {@link Commands}, {@link Convergence},
 * {@link HealthGate}, {@link NodeLoss}, {@link Recovery}, {@link Rollouts}, {@link RoutingSync}):
 * the {@link LoopState} they share, short names for its parts, and the {@link LoopControl} they
 * ask for passes and threads. Loop thread only.
 */
abstract class Room {
    final LoopState state;
    final Wiring w;
    final Map<String, AppRecord> apps;
    final InstanceIndex instances;
    final DirtyApps touched;
    final LoopControl loop;

    Room(LoopState state, LoopControl loop) {
        this.state = state;
        this.w = state.w;
        this.apps = state.apps;
        this.instances = state.instances;
        this.touched = state.touched;
        this.loop = loop;
    }
}
