package io.tapstack.tcp;

import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;

/**
 * The loop's free socket rings (issue 11, the first step towards Linux's elastic
 * {@code tcp_rmem}/{@code tcp_wmem} buffers): a connection takes a send ring on its first write
 * and a receive ring on its first data, and gives each back as soon as it is drained — the peer
 * has acknowledged everything sent, the application has read everything received — and when the
 * connection ends or enters TIME-WAIT. So an idle or TIME-WAIT connection holds no data memory,
 * and a run of short connections reuses a few rings instead of allocating two buffers each.
 *
 * <p>Rings are kept by capacity (a few classes: the configured sizes and per-socket ones); at most
 * {@code maxIdleBytes} wait here, beyond which a returned ring is left to the garbage collector.
 * Loop-owned: not thread-safe, no locks, no allocation once warm.
 *
 * <p>Idle rings decay ({@link #trim}, once a second while any wait here): the rings of a class
 * that no connection took since the last trim — the fewest the class held in that time — are
 * surplus, and half of them (rounded up) go to the garbage collector. A steady load keeps what it
 * reuses; after a burst of connections closes, the pool is empty within seconds, so the memory
 * goes back (the idea of jemalloc's and tcmalloc's decaying free lists).
 *
 * <p>Rings held by connections are charged to the loop's {@link MemoryBudget} (kind
 * {@code RINGS}) from take to give; idle rings here are not (they are bounded by
 * {@code maxIdleBytes}, which {@link Tcp} keeps at most an eighth of the limit). The budget's state
 * decides how a ring may be had: in NORMAL any size within the limit; under PRESSURE no ring
 * doubles, and a new one is a pooled ring of the size asked for or one page; at the HARD limit a
 * ring comes only from the pool (what others freed), except a send ring, which may be one new page
 * (the application's own data, and connections are bounded since SYNs are refused).
 */
final class RingPool {
    private static final int CLASSES = 16;
    /** The smallest ring (Linux's tcp_rmem/tcp_wmem minimum, one page). */
    static final int MIN_CAPACITY = 4096;
    private final int[] capacity = new int[CLASSES];
    private final ByteRing[][] free = new ByteRing[CLASSES][];
    private final int[] count = new int[CLASSES];
    /** The fewest rings each class held since the last trim (untouched rings: the surplus). */
    private final int[] low = new int[CLASSES];
    /** Called when a ring comes to wait in an empty pool (the owner then arms the trim). */
    private Runnable onIdle;
    private long trimmed;
    private final long maxIdleBytes;
    private long idleBytes;
    private long inUseBytes;
    private long created;
    private long reused;
    private final MemoryBudget budget;

    RingPool(long maxIdleBytes, MemoryBudget budget) {
        this.maxIdleBytes = Math.max(0, maxIdleBytes);
        this.budget = budget;
    }

    /**
     * The capacity of a ring that holds {@code needed} bytes: a power of two from
     * {@link #MIN_CAPACITY}, at most {@code max} (the socket's buffer size), and at least
     * {@code floor} (what the connection had before, so a busy one does not grow again from the
     * bottom each time it drains).
     */
    static int capacityFor(int needed, int floor, int max) {
        int c = MIN_CAPACITY;
        while (c < needed && c < max) {
            c <<= 1;
        }
        return Math.min(Math.max(c, floor), max);
    }

    /**
     * A cleared ring of {@code cap} bytes (a pooled one, else a new one within the budget), or a
     * smaller one or none as the budget's state says (class comment); null only when
     * {@code required} is false. The caller checks the capacity it got.
     */
    ByteRing take(int cap, boolean required) {
        if (budget.mayGrow()) {
            ByteRing r = pooled(cap);
            if (r != null) {
                return r;
            }
            if (budget.tryCharge(MemoryBudget.Kind.RINGS, cap, MemCounter.RING_GROWTH_REFUSED)) {
                return create(cap);
            }
        } else {
            // PRESSURE or HARD: what others freed, at the size asked for or one page
            ByteRing r = pooled(cap);
            if (r == null && cap != MIN_CAPACITY) {
                r = pooled(MIN_CAPACITY);
            }
            if (r != null) {
                return r;
            }
        }
        if (required) {
            budget.charge(MemoryBudget.Kind.RINGS, MIN_CAPACITY);
            return create(MIN_CAPACITY);
        }
        if (budget.tryCharge(MemoryBudget.Kind.RINGS, MIN_CAPACITY, MemCounter.DROP_RCV_NO_MEMORY)) {
            return create(MIN_CAPACITY);
        }
        return null;
    }

    /** A ring of exactly {@code cap} bytes from the pool, charged; null if none waits. */
    private ByteRing pooled(int cap) {
        int k = classOf(cap);
        if (k < 0 || count[k] == 0) {
            return null;
        }
        ByteRing r = free[k][--count[k]];
        free[k][count[k]] = null;
        if (count[k] < low[k]) {
            low[k] = count[k];
        }
        idleBytes -= cap;
        reused++;
        inUseBytes += cap;
        budget.charge(MemoryBudget.Kind.RINGS, cap);
        return r;
    }

    private ByteRing create(int cap) {
        created++;
        inUseBytes += cap;
        return new ByteRing(cap);
    }

    /**
     * Returns {@code r}, or a larger ring holding its contents when it cannot take
     * {@code needed} bytes (from its read position); the smaller one goes back to the pool.
     * Growth doubles (at most log2(max/4 KiB) copies in a connection's life), never per packet,
     * and only while the budget is NORMAL and the larger ring fits in it (else {@code r} is
     * returned as it is, counted).
     */
    ByteRing grow(ByteRing r, int needed, int max) {
        if (r.capacity() >= needed || r.capacity() >= max) {
            return r;
        }
        if (!budget.mayGrow()) {
            budget.refused(MemCounter.RING_GROWTH_REFUSED);
            return r;
        }
        int cap = capacityFor(needed, 2 * r.capacity(), max);
        ByteRing b = pooled(cap);
        if (b == null) {
            if (!budget.tryCharge(MemoryBudget.Kind.RINGS, cap, MemCounter.RING_GROWTH_REFUSED)) {
                return r;
            }
            b = create(cap);
        }
        r.moveTo(b);
        give(r);
        return b;
    }

    /** Gives {@code r} back (null is ignored); the caller forgets it. */
    void give(ByteRing r) {
        if (r == null) {
            return;
        }
        int cap = r.capacity();
        inUseBytes -= cap;
        budget.release(MemoryBudget.Kind.RINGS, cap);
        if (idleBytes + cap > maxIdleBytes) {
            return;
        }
        int k = classOf(cap);
        if (k < 0) {
            k = newClass(cap);
            if (k < 0) {
                return;
            }
        }
        if (count[k] == free[k].length) {
            return;
        }
        r.clear();
        free[k][count[k]++] = r;
        boolean wasEmpty = idleBytes == 0;
        idleBytes += cap;
        if (wasEmpty && onIdle != null) {
            onIdle.run();
        }
    }

    /** {@code hook} runs when a ring comes to wait in an empty pool. */
    void onIdle(Runnable hook) {
        this.onIdle = hook;
    }

    /**
     * Lets half (rounded up) of each class's untouched rings go: those it held all along since
     * the last trim. Returns the bytes let go.
     */
    long trim() {
        long let = 0;
        for (int k = 0; k < CLASSES; k++) {
            if (free[k] == null) {
                continue;
            }
            int drop = Math.min(count[k], (low[k] + 1) / 2);
            for (int i = 0; i < drop; i++) {
                free[k][--count[k]] = null;
                idleBytes -= capacity[k];
                let += capacity[k];
                trimmed++;
            }
            low[k] = count[k];
        }
        return let;
    }

    /** Rings let go by {@link #trim}. */
    long trimmed() {
        return trimmed;
    }

    private int classOf(int cap) {
        for (int k = 0; k < CLASSES; k++) {
            if (capacity[k] == cap && free[k] != null) {
                return k;
            }
        }
        return -1;
    }

    private int newClass(int cap) {
        for (int k = 0; k < CLASSES; k++) {
            if (free[k] == null || (count[k] == 0 && capacity[k] != cap)) {
                capacity[k] = cap;
                // one allocation per size class, the first time a ring of that size comes back
                free[k] = new ByteRing[(int) Math.max(1, Math.min(4096, maxIdleBytes / Math.max(1, cap)))];
                count[k] = 0;
                low[k] = 0; // a reused class starts afresh: no ring of the new size has waited a whole interval yet
                return k;
            }
        }
        return -1;
    }

    /** Bytes of rings held by connections. */
    long inUseBytes() {
        return inUseBytes;
    }

    /** Bytes of rings waiting here. */
    long idleBytes() {
        return idleBytes;
    }

    /** Rings allocated (a take that found none free). */
    long created() {
        return created;
    }

    /** Takes served from the pool. */
    long reused() {
        return reused;
    }
}
