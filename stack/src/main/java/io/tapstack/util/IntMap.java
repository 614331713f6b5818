package io.tapstack.util;

import java.util.function.Consumer;

/**
 * An open-addressing map from {@code int} to objects with linear probing and backward-shift
 * deletion: lookups never allocate (no boxing). Sized once; the caller bounds its size.
 */
public final class IntMap<V> {
    private final int[] keys;
    private final Object[] values;
    private final int mask;
    private final int capacity;
    private int size;

    /** A map that holds at most {@code capacity} entries (at load factor ≤ 0.5). */
    public IntMap(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) << 1;
        keys = new int[n];
        values = new Object[n];
        mask = n - 1;
        this.capacity = capacity;
    }

    private static int hash(int k) {
        int h = k * 0x9e3779b9;
        return h ^ (h >>> 16);
    }

    @SuppressWarnings("unchecked")
    public V get(int key) {
        for (int i = hash(key) & mask; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return (V) values[i];
            }
        }
        return null;
    }

    /** Inserts or replaces; returns false when the map is full and the key is new. */
    public boolean put(int key, V value) {
        int i = hash(key) & mask;
        for (; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return true;
            }
        }
        if (size >= capacity) {
            return false;
        }
        keys[i] = key;
        values[i] = value;
        size++;
        return true;
    }

    @SuppressWarnings("unchecked")
    public V remove(int key) {
        int i = hash(key) & mask;
        for (; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                V v = (V) values[i];
                values[i] = null;
                size--;
                // backward-shift the cluster that follows
                int j = i;
                while (true) {
                    j = (j + 1) & mask;
                    if (values[j] == null) {
                        break;
                    }
                    int home = hash(keys[j]) & mask;
                    boolean between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
                    if (!between) {
                        keys[i] = keys[j];
                        values[i] = values[j];
                        values[j] = null;
                        i = j;
                    }
                }
                return v;
            }
        }
        return null;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    @SuppressWarnings("unchecked")
    public void forEach(Consumer<V> c) {
        for (Object v : values.clone()) {
            if (v != null) {
                c.accept((V) v);
            }
        }
    }
}
