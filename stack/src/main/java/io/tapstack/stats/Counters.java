package io.tapstack.stats;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A fixed set of counters named by an enum, owned by one event loop.
 *
 * <p>Increments happen on the loop thread only (plain {@code long} stores, no locks); other
 * threads may read a snapshot, which can lag by a few increments but is never torn on
 * 64-bit JVMs for practical purposes (statistics, not invariants).
 *
 * @param <E> the enum naming the counters; its {@code toString()} should be the printed name
 */
public final class Counters<E extends Enum<E>> {
    private final String group;
    private final E[] keys;
    private final long[] values;

    public Counters(String group, Class<E> type) {
        this.group = group;
        this.keys = type.getEnumConstants();
        this.values = new long[keys.length];
    }

    public String group() {
        return group;
    }

    public void inc(E key) {
        values[key.ordinal()]++;
    }

    public void add(E key, long n) {
        values[key.ordinal()] += n;
    }

    public long get(E key) {
        return values[key.ordinal()];
    }

    /** Counter name → value, in declaration order, including zeros. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (E k : keys) {
            m.put(name(k), values[k.ordinal()]);
        }
        return m;
    }

    public static String name(Enum<?> k) {
        return k.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Sum of all counters whose name starts with the prefix (e.g. {@code "drop_"}). */
    public long sumPrefix(String prefix) {
        long s = 0;
        for (E k : keys) {
            if (name(k).startsWith(prefix)) {
                s += values[k.ordinal()];
            }
        }
        return s;
    }
}
