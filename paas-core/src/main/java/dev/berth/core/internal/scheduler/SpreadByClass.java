// Owns spread's placement stage for unconstrained shapes: each instance on the node least loaded once it is placed, over the capacity classes.
package dev.berth.core.internal.scheduler;

import java.util.List;

/**
 * Spread's stage for the shapes without constraints, when the nodes come in at most
 * {@value CapacityClasses#MAX_CLASSES} sizes: each instance goes to the node that
 * {@link CapacityClasses} finds least loaded once it is placed, over all nodes. A shape stops at
 * the first instance that fits no node, leaving it and the rest to {@link PlaceOneByOne} to
 * explain. Confined to one call; not thread-safe.
 */
final class SpreadByClass implements Stage {
    private final Batch batch;
    private final CapacityClasses classes;

    /** The stage over {@code classes}, which the batch keeps in step with its placements. */
    SpreadByClass(Batch batch, CapacityClasses classes) {
        this.batch = batch;
        this.classes = classes;
    }

    @Override
    public void place(List<Shape> shapes) {
        for (Shape shape : shapes) {
            spread(shape);
        }
    }

    /** Places the shape's instances one at a time, until all are placed or one fits no node. */
    private void spread(Shape shape) {
        batch.start(shape);
        while (shape.need > 0) {
            int node = classes.choose(shape.demand, shape.app, shape.ask);
            if (node < 0) {
                return;
            }
            batch.placeOn(shape, node);
        }
    }
}
