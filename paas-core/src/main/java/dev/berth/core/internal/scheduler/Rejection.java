package dev.berth.core.internal.scheduler;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Why a filter turned a node down, as data. Alike rejections (same {@link #key()}) of one request
 * are merged and counted, then rendered into the reason of a {@link dev.berth.spi.Placement.Unplaced}:
 * {@link #alone} when every node considered was turned down the same way, {@link #among} as one
 * part of a summary otherwise. Immutable.
 */
sealed interface Rejection {

    /** Rejections with equal keys are counted together. */
    String key();

    /** This and an alike rejection as one; {@code other} has the same {@link #key()}. */
    Rejection merge(Rejection other);

    /** The whole reason when all {@code nodes} considered were turned down this way. */
    String alone(int nodes);

    /** A part of a summary: {@code nodes} of those considered were turned down this way. */
    String among(int nodes);

    /** The node is not up. */
    record Down() implements Rejection {
        @Override
        public String key() {
            return "down";
        }

        @Override
        public Rejection merge(Rejection other) {
            return this;
        }

        @Override
        public String alone(int nodes) {
            return "no node is up";
        }

        @Override
        public String among(int nodes) {
            return nodes + " down";
        }
    }

    /** The node lacks some of the labels the app requires. */
    record MissingLabels(Map<String, String> required) implements Rejection {
        public MissingLabels {
            required = Collections.unmodifiableMap(new TreeMap<>(required));
        }

        @Override
        public String key() {
            return "labels";
        }

        @Override
        public Rejection merge(Rejection other) {
            return this;
        }

        @Override
        public String alone(int nodes) {
            return "no node has labels " + required;
        }

        @Override
        public String among(int nodes) {
            return nodes + (nodes == 1 ? " lacks" : " lack") + " labels " + required;
        }
    }

    /** The node already holds as many instances of the app as the constraints allow. */
    record AtLimit(String app, int limit, boolean uniqueHost) implements Rejection {
        @Override
        public String key() {
            return "limit";
        }

        @Override
        public Rejection merge(Rejection other) {
            return this;
        }

        @Override
        public String alone(int nodes) {
            String run = uniqueHost ? app : limit + " of " + app;
            String rule = uniqueHost ? "uniqueHost" : "maxPerNode " + limit;
            if (nodes == 1) {
                return rule + ": the only eligible node already runs " + run;
            }
            return rule + ": all " + nodes + " eligible nodes already run " + run;
        }

        @Override
        public String among(int nodes) {
            String rule = uniqueHost ? "uniqueHost" : "maxPerNode " + limit;
            String run = uniqueHost ? app : limit + " of " + app;
            return nodes + " already " + (nodes == 1 ? "runs " : "run ") + run + " (" + rule + ")";
        }
    }

    /**
     * The instance does not fit in {@code dimension}: it needs {@code need}, the node (or, once
     * merged, the roomiest of the nodes) has {@code largestFree}.
     */
    record NoRoom(String dimension, double need, double largestFree) implements Rejection {
        @Override
        public String key() {
            return "room " + dimension;
        }

        @Override
        public Rejection merge(Rejection other) {
            NoRoom o = (NoRoom) other;
            return o.largestFree > largestFree ? o : this;
        }

        @Override
        public String alone(int nodes) {
            return "no node has " + amount(need) + " " + dimension + " free (largest free: " + amount(largestFree) + ")";
        }

        @Override
        public String among(int nodes) {
            return nodes + (nodes == 1 ? " lacks " : " lack ") + amount(need) + " " + dimension
                    + " free (largest free: " + amount(largestFree) + ")";
        }
    }

    /** An amount for a person: at most 3 decimals, never negative, always a decimal point ("64.0", "3.5"). */
    static String amount(double value) {
        double rounded = Math.round(Math.max(0, value) * 1000) / 1000.0;
        String plain = BigDecimal.valueOf(rounded).stripTrailingZeros().toPlainString();
        return plain.indexOf('.') < 0 ? plain + ".0" : plain;
    }
}
