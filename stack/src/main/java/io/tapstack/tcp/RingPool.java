package io.tapstack.tcp;

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
 */
final class RingPool {
    private static final int CLASSES = 16;
    /** The smallest ring (Linux's tcp_rmem/tcp_wmem minimum, one page). */
    static final int MIN_CAPACITY = 4096;
    private final int[] capacity = new int[CLASSES];
    private final ByteRing[][] free = new ByteRing[CLASSES][];
    private final int[] count = new int[CLASSES];
    private final long maxIdleBytes;
    private long idleBytes;
    private long inUseBytes;
    private long created;
    private long reused;

    RingPool(long maxIdleBytes) {
        this.maxIdleBytes = Math.max(0, maxIdleBytes);
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

    /** A cleared ring of {@code cap} bytes: a pooled one, else a new one. */
    ByteRing take(int cap) {
        int k = classOf(cap);
        inUseBytes += cap;
        if (k >= 0 && count[k] > 0) {
            ByteRing r = free[k][--count[k]];
            free[k][count[k]] = null;
            idleBytes -= cap;
            reused++;
            return r;
        }
        created++;
        return new ByteRing(cap);
    }

    /**
     * Returns {@code r}, or a larger ring holding its contents when it cannot take
     * {@code needed} bytes (from its read position); the smaller one goes back to the pool.
     * Growth doubles (at most log2(max/4 KiB) copies in a connection's life), never per packet.
     */
    ByteRing grow(ByteRing r, int needed, int max) {
        if (r.capacity() >= needed || r.capacity() >= max) {
            return r;
        }
        ByteRing b = take(capacityFor(needed, 2 * r.capacity(), max));
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
        idleBytes += cap;
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
