// An immutable map from names to values split into buckets, so that a changed copy shares every untouched bucket.
package dev.berth.core.internal.reconcile;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable map of string keys split into {@value #BUCKETS} buckets by hash. {@link #with}
 * returns a copy that shares every bucket no change falls into, so that publishing a new version
 * after {@code k} changes costs about {@code k} buckets, not the whole map: the loop publishes a
 * new {@link View} after every task. Reads are those of a hash map; iteration order is unspecified.
 *
 * @param <V> the values
 */
final class Shards<V> extends AbstractMap<String, V> {
    private static final int BUCKETS = 64;
    private static final Shards<?> EMPTY = new Shards<>(emptyBuckets(), 0);

    private final Map<String, V>[] buckets;
    private final int size;

    private Shards(Map<String, V>[] buckets, int size) {
        this.buckets = buckets;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    private static <V> Map<String, V>[] emptyBuckets() {
        Map<String, V>[] out = new Map[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            out[i] = Map.of();
        }
        return out;
    }

    /** The empty map. */
    @SuppressWarnings("unchecked")
    static <V> Shards<V> empty() {
        return (Shards<V>) EMPTY;
    }

    private static int bucket(Object key) {
        return Math.floorMod(key.hashCode(), BUCKETS);
    }

    /** A copy with {@code changes} applied: a null value removes its key. */
    Shards<V> with(Map<String, V> changes) {
        if (changes.isEmpty()) {
            return this;
        }
        Map<String, V>[] next = buckets.clone();
        @SuppressWarnings("unchecked")
        Map<String, V>[] copied = new Map[BUCKETS];
        int n = size;
        for (Map.Entry<String, V> c : changes.entrySet()) {
            int b = bucket(c.getKey());
            if (copied[b] == null) {
                copied[b] = new HashMap<>(next[b]);
            }
            boolean had = copied[b].containsKey(c.getKey());
            if (c.getValue() == null) {
                copied[b].remove(c.getKey());
                n -= had ? 1 : 0;
            } else {
                copied[b].put(c.getKey(), c.getValue());
                n += had ? 0 : 1;
            }
        }
        for (int b = 0; b < BUCKETS; b++) {
            if (copied[b] != null) {
                next[b] = copied[b].isEmpty() ? Map.of() : Map.copyOf(copied[b]);
            }
        }
        return new Shards<>(next, n);
    }

    @Override
    public V get(Object key) {
        return key == null ? null : buckets[bucket(key)].get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return key != null && buckets[bucket(key)].containsKey(key);
    }

    @Override
    public int size() {
        return size;
    }

    /** The values, copied into a list. */
    List<V> valueList() {
        List<V> out = new ArrayList<>(size);
        for (Map<String, V> b : buckets) {
            out.addAll(b.values());
        }
        return out;
    }

    @Override
    public Set<Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, V>> iterator() {
                return new Iterator<>() {
                    private int b;
                    private Iterator<Entry<String, V>> in = buckets[0].entrySet().iterator();

                    @Override
                    public boolean hasNext() {
                        while (!in.hasNext() && b < BUCKETS - 1) {
                            in = buckets[++b].entrySet().iterator();
                        }
                        return in.hasNext();
                    }

                    @Override
                    public Entry<String, V> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        return in.next();
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }
}
