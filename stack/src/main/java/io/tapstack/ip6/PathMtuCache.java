package io.tapstack.ip6;

import io.tapstack.util.AddrMap;
import io.tapstack.util.OrderedList;

/**
 * Path MTU per destination (RFC 8201): lowered by ICMPv6 Packet Too Big, never below the IPv6
 * minimum link MTU of 1280 (RFC 8201 §4, RFC 8200 §5), never raised by a PTB, and forgotten
 * after an aging time so that a larger path MTU is discovered again (RFC 8201 §4: at least
 * 5 minutes, 10 recommended). Bounded: when full, the entry closest to expiry gives way. Every
 * lowering restarts an entry's aging, so the entries kept in the order they were last lowered
 * are also in the order they expire: the victim is the head of that list, found in O(1), and its
 * object is reused for the newcomer (a stream of PTBs for new destinations allocates nothing
 * once the cache is full). Lookups do not allocate; expired entries are dropped lazily.
 */
public final class PathMtuCache {
    public static final int IPV6_MIN_MTU = 1280;

    private static final class Entry extends OrderedList.Node<Entry> {
        long hi;
        long lo;
        int mtu;
        long expires;
    }

    private final AddrMap<Entry> map;
    private final int capacity;
    private final long agingNanos;
    /** Every entry, least recently lowered (= soonest to expire) first. */
    private final OrderedList<Entry> byExpiry = new OrderedList<>();

    public PathMtuCache(int capacity, long agingNanos) {
        this.map = new AddrMap<>(capacity);
        this.capacity = capacity;
        this.agingNanos = agingNanos;
    }

    /** The cached path MTU towards a destination, or {@code linkMtu} if none (or expired). */
    public int get(long hi, long lo, int linkMtu, long now) {
        Entry e = map.get(hi, lo);
        if (e == null) {
            return linkMtu;
        }
        if (now - e.expires >= 0) {
            map.remove(hi, lo);
            OrderedList.unlink(e);
            return linkMtu;
        }
        return Math.min(e.mtu, linkMtu);
    }

    /**
     * A Packet Too Big reported {@code mtu} for the path to a destination. Returns true if the
     * estimate went down.
     */
    public boolean update(long hi, long lo, int mtu, int linkMtu, long now) {
        // RFC 8201 §4: never below 1280; a PTB never increases the estimate.
        int m = Math.max(IPV6_MIN_MTU, mtu);
        int current = get(hi, lo, linkMtu, now);
        if (m >= current) {
            return false;
        }
        Entry e = map.get(hi, lo);
        if (e == null) {
            if (map.size() >= capacity) {
                e = byExpiry.oldest(); // full: the entry closest to expiry gives way
                if (e == null) {
                    return false; // a cache of no entries
                }
                map.remove(e.hi, e.lo);
            } else {
                e = new Entry();
            }
            e.hi = hi;
            e.lo = lo;
            map.put(hi, lo, e);
        }
        OrderedList.unlink(e);
        e.mtu = m;
        e.expires = now + agingNanos;
        byExpiry.add(e);
        return true;
    }

    public int size() {
        return map.size();
    }
}
