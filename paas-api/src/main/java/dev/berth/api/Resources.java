package dev.berth.api;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An amount in each of a few named resource dimensions: {@link #CPU}, {@link #MEMORY_MB},
 * {@link #LOAD} (Mako's relative weight of a process) and any custom dimension. Used both for what
 * an app asks for per instance and for what a node offers. A dimension that a node does not
 * declare is not limited on that node. Immutable and thread-safe.
 *
 * @param amounts non-negative, finite amounts by dimension name, in name order
 */
public record Resources(SortedMap<String, Double> amounts) {
    /** Cores (fractions allowed). */
    public static final String CPU = "cpu";
    /** Memory in MiB. */
    public static final String MEMORY_MB = "memoryMb";
    /** Mako's relative weight: a process of load 0.5 is half as heavy as one of load 1. */
    public static final String LOAD = "load";

    /**
     * The largest amount of one dimension that an app may ask for per instance or a node may
     * offer: 10^9 (cores, MiB, ...), so that backends can convert amounts to nano-CPUs or bytes
     * without overflow. Sums of many allocations may exceed it.
     */
    public static final double MAX_AMOUNT = 1e9;

    private static final Resources NONE = new Resources(new TreeMap<>());

    public Resources {
        Checks.notNull("resources", amounts);
        TreeMap<String, Double> copy = new TreeMap<>();
        amounts.forEach((name, value) -> {
            if (name == null || !Checks.RESOURCE.matcher(name).matches()) {
                throw new InvalidSpecException("resources", name, "dimension names are 1-32 of a-z A-Z 0-9 _, starting with a letter");
            }
            if (value == null || value.isNaN() || value.isInfinite() || value < 0) {
                throw new InvalidSpecException("resources." + name, value, "must be a finite number >= 0");
            }
            copy.put(name, value);
        });
        amounts = Collections.unmodifiableSortedMap(copy);
    }

    /**
     * Returns {@code r} when no amount exceeds {@link #MAX_AMOUNT}, else throws an
     * {@link InvalidSpecException} naming {@code field.dimension}, the amount and the limit.
     */
    static Resources checkCeiling(String field, Resources r) {
        r.amounts.forEach((name, value) -> {
            if (value > MAX_AMOUNT) {
                throw new InvalidSpecException(field + "." + name, value, "must be a finite number from 0 to 1000000000");
            }
        });
        return r;
    }

    /** Nothing in any dimension. */
    public static Resources none() {
        return NONE;
    }

    /** The given amounts. */
    public static Resources of(Map<String, Double> amounts) {
        return new Resources(new TreeMap<>(amounts));
    }

    /** Cpu and memory only, the common case. */
    public static Resources of(double cpu, double memoryMb) {
        return builder().cpu(cpu).memoryMb(memoryMb).build();
    }

    /** A builder with no amounts. */
    public static Builder builder() {
        return new Builder();
    }

    /** The amount in a dimension, 0 when absent. */
    public double get(String dimension) {
        Double v = amounts.get(dimension);
        return v == null ? 0 : v;
    }

    /** Whether this names the dimension at all. */
    public boolean has(String dimension) {
        return amounts.containsKey(dimension);
    }

    /** Whether no amount is set. */
    public boolean isEmpty() {
        return amounts.isEmpty();
    }

    /** The sum, per dimension, of this and {@code other}. */
    public Resources plus(Resources other) {
        TreeMap<String, Double> sum = new TreeMap<>(amounts);
        other.amounts.forEach((k, v) -> sum.merge(k, v, Double::sum));
        return new Resources(sum);
    }

    /** This minus {@code other} in this object's dimensions, never below zero. */
    public Resources minusClamped(Resources other) {
        TreeMap<String, Double> left = new TreeMap<>();
        amounts.forEach((k, v) -> left.put(k, Math.max(0, v - other.get(k))));
        return new Resources(left);
    }

    @Override
    public String toString() {
        return amounts.toString();
    }

    /** Builds {@link Resources}, rejecting bad amounts as they are set. */
    public static final class Builder {
        private final TreeMap<String, Double> amounts = new TreeMap<>();

        private Builder() {
        }

        /** CPU cores. */
        public Builder cpu(double cores) {
            return amount(CPU, cores);
        }

        /** Memory in MiB. */
        public Builder memoryMb(double mib) {
            return amount(MEMORY_MB, mib);
        }

        /** The abstract {@code load} dimension of Mako manifests. */
        public Builder load(double load) {
            return amount(LOAD, load);
        }

        /** An amount of any named dimension. */
        public Builder amount(String dimension, double amount) {
            new Resources(new TreeMap<>(Map.of(dimension, amount)));
            amounts.put(dimension, amount);
            return this;
        }

        /** The resources, validated. */
        public Resources build() {
            return new Resources(amounts);
        }
    }
}
