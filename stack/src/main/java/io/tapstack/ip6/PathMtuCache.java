package io.tapstack.ip6;

import io.tapstack.util.AddrMap;

/**
 * Path MTU per destination (RFC 8201): lowered by ICMPv6 Packet Too Big, never below the IPv6
 * minimum link MTU of 1280 (RFC 8201 §4, RFC 8200 §5), never raised by a PTB, and forgotten
 * after an aging time so that a larger path MTU is discovered again (RFC 8201 §4: at least
 * 5 minutes, 10 recommended). Bounded: when full, the entry closest to expiry is replaced.
 * Lookups do not allocate; expired entries are dropped lazily.
 */
public final class PathMtuCache {
    public static final int IPV6_MIN_MTU = 1280;

    private static final class Entry {
        long hi;
        long lo;
        int mtu;
        long expires;
    }

    private final AddrMap<Entry> map;
    private final long agingNanos;

    public PathMtuCache(int capacity, long agingNanos) {
        this.map = new AddrMap<>(capacity);
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
            e = new Entry();
            e.hi = hi;
            e.lo = lo;
            if (!map.put(hi, lo, e)) {
                Entry[] victim = new Entry[1];
                map.forEach(x -> {
                    if (victim[0] == null || x.expires - victim[0].expires < 0) {
                        victim[0] = x;
                    }
                });
                map.remove(victim[0].hi, victim[0].lo);
                map.put(hi, lo, e);
            }
        }
        e.mtu = m;
        e.expires = now + agingNanos;
        return true;
    }

    public int size() {
        return map.size();
    }
}
