package dev.berth.api;

/**
 * How many instances an app wants: a count, or {@link #ALL} (one on every eligible node, Mako's
 * {@code "*"}). Immutable.
 *
 * @param count the count when {@code all} is false; 0 when it is true
 * @param all   one instance on every eligible node
 */
public record Instances(int count, boolean all) {
    /** Largest count accepted. */
    public static final int MAX = 10_000;
    /** One instance on every eligible node. */
    public static final Instances ALL = new Instances(0, true);

    public Instances {
        if (count < 0 || count > MAX) {
            throw new InvalidSpecException("instances", count, "must be 0-" + MAX + " or ALL (\"*\")");
        }
        if (all && count != 0) {
            throw new InvalidSpecException("instances", count, "ALL carries no count");
        }
    }

    /** Exactly {@code count} instances. */
    public static Instances of(int count) {
        return new Instances(count, false);
    }

    @Override
    public String toString() {
        return all ? "*" : Integer.toString(count);
    }
}
