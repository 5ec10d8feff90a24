// Owns the shape of one placement stage: a step of a call's plan that places a list of shapes.
package dev.berth.core.internal.scheduler;

import java.util.List;

/**
 * One stage of a call's {@link PlacementPlan}: places what it can of {@code shapes} on the
 * {@link Batch}'s working copy. Stages are created per call; confined to it, not thread-safe.
 */
@FunctionalInterface
interface Stage {
    /** Places what this stage can of {@code shapes}, in their order of work. */
    void place(List<Shape> shapes);
}
