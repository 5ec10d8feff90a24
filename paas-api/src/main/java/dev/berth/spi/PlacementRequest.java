package dev.berth.spi;

import dev.berth.api.Constraints;
import dev.berth.api.Resources;
import java.util.Objects;

/**
 * A request for {@code count} more instances of an app, or with {@code all}, one on every eligible
 * node that has none yet. Immutable.
 *
 * @param app         the app
 * @param demand      what one instance needs
 * @param constraints where instances may go
 * @param count       how many more instances (ignored when {@code all})
 * @param all         one per eligible node
 */
public record PlacementRequest(String app, Resources demand, Constraints constraints, int count, boolean all) {
    public PlacementRequest {
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(demand, "demand");
        Objects.requireNonNull(constraints, "constraints");
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, was " + count);
        }
    }

    /** {@code count} more instances of {@code app}. */
    public static PlacementRequest of(String app, Resources demand, Constraints constraints, int count) {
        return new PlacementRequest(app, demand, constraints, count, false);
    }

    /** One instance of {@code app} on every eligible node that has none. */
    public static PlacementRequest onEveryNode(String app, Resources demand, Constraints constraints) {
        return new PlacementRequest(app, demand, constraints, 0, true);
    }
}
