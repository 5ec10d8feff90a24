// Owns the placement stage for ALL requests: one instance on every eligible node without one, and why the others were refused.
package dev.berth.core.internal.scheduler;

import dev.berth.spi.PlacementRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The stage for {@code all} shapes (one instance on every eligible node): for each of their
 * requests, every node that is up, carries the labels and has none of the app yet is checked by
 * the pipeline's filters and takes an instance when it passes; the refused ones are counted as
 * unplaced, with a summary of why. Runs first: these shapes have no choice of node. Confined to
 * one call; not thread-safe.
 */
final class PlaceOnEveryNode implements Stage {
    private final Batch batch;
    private final Pipeline pipeline;

    PlaceOnEveryNode(Batch batch, Pipeline pipeline) {
        this.batch = batch;
        this.pipeline = pipeline;
    }

    @Override
    public void place(List<Shape> shapes) {
        for (Shape shape : shapes) {
            for (int m = 0; m < shape.size; m++) {
                placeOnEveryNode(shape.members[m], batch.request(shape.first));
            }
        }
    }

    /**
     * Places one instance on every eligible node (up, with the labels) that has none of the app
     * yet, where the pipeline admits it; the others are counted as unplaced.
     */
    private void placeOnEveryNode(int request, PlacementRequest r) {
        NodeTable table = batch.table();
        Ask ask = Ask.of(request, r);
        int app = table.appId(r.app());
        double[] demand = table.demand(r.demand(), new double[table.dimensions()]);
        int eligible = 0;
        List<Rejection> rejections = new ArrayList<>();
        for (int n = 0; n < table.size(); n++) {
            if (!table.up(n) || !r.constraints().admits(table.state(n).spec().labels()) || table.count(app, n) > 0) {
                continue;
            }
            eligible++;
            Optional<Rejection> rejection = pipeline.check(table.view(n), ask);
            if (rejection.isPresent()) {
                rejections.add(rejection.get());
            } else {
                batch.take(request, n, app, demand);
            }
        }
        if (!rejections.isEmpty()) {
            String reason = Pipeline.summarise(eligible, rejections,
                    "of " + eligible + " eligible nodes without " + r.app() + ", ");
            batch.unplaced(request, r.app(), rejections.size(), reason);
        }
    }
}
