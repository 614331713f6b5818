package io.tapstack.util;

import java.util.function.Consumer;

/**
 * An open-addressing map keyed by a 128-bit address held as two longs (see
 * {@link io.tapstack.wire.IpAddr}), with linear probing and backward-shift deletion: lookups
 * never allocate. Sized once; {@link #put} refuses new keys beyond the capacity.
 */
public final class AddrMap<V> {
    private final long[] his;
    private final long[] los;
    private final Object[] values;
    private final int mask;
    private final int capacity;
    private int size;

    public AddrMap(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) << 1;
        his = new long[n];
        los = new long[n];
        values = new Object[n];
        mask = n - 1;
        this.capacity = capacity;
    }

    private static int hash(long hi, long lo) {
        long h = (hi * 0x9e3779b97f4a7c15L) ^ (lo * 0xc2b2ae3d27d4eb4fL);
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    @SuppressWarnings("unchecked")
    public V get(long hi, long lo) {
        for (int i = hash(hi, lo) & mask; values[i] != null; i = (i + 1) & mask) {
            if (his[i] == hi && los[i] == lo) {
                return (V) values[i];
            }
        }
        return null;
    }

    /** Inserts or replaces; false when full and the key is new. */
    public boolean put(long hi, long lo, V v) {
        int i = hash(hi, lo) & mask;
        for (; values[i] != null; i = (i + 1) & mask) {
            if (his[i] == hi && los[i] == lo) {
                values[i] = v;
                return true;
            }
        }
        if (size >= capacity) {
            return false;
        }
        his[i] = hi;
        los[i] = lo;
        values[i] = v;
        size++;
        return true;
    }

    @SuppressWarnings("unchecked")
    public V remove(long hi, long lo) {
        int i = hash(hi, lo) & mask;
        for (; values[i] != null; i = (i + 1) & mask) {
            if (his[i] == hi && los[i] == lo) {
                V v = (V) values[i];
                values[i] = null;
                size--;
                int j = i;
                while (true) {
                    j = (j + 1) & mask;
                    if (values[j] == null) {
                        break;
                    }
                    int home = hash(his[j], los[j]) & mask;
                    boolean between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
                    if (!between) {
                        his[i] = his[j];
                        los[i] = los[j];
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

    /** Visits a snapshot of the values (the map may be changed by the consumer). */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<V> c) {
        for (Object v : values.clone()) {
            if (v != null) {
                c.accept((V) v);
            }
        }
    }
}
