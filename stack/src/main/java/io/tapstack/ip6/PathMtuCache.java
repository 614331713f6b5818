package io.tapstack.ip6;

import io.tapstack.stats.Counters;
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
 * Read-only gauges for {@code tapstack stat}: {@code ip6.pmtu_entries} and {@code ip6.pmtu_lowest},
 * refreshed on the loop thread whenever an entry is added, lowered or removed (a walk of at most
 * {@code capacity} entries, only then).
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
    private final Counters<Ipv6Counter> gauges;

    public PathMtuCache(int capacity, long agingNanos) {
        this(capacity, agingNanos, new Counters<>("ip6", Ipv6Counter.class));
    }

    /** A cache that keeps {@link Ipv6Counter#PMTU_ENTRIES} and {@link Ipv6Counter#PMTU_LOWEST} in {@code gauges}. */
    public PathMtuCache(int capacity, long agingNanos, Counters<Ipv6Counter> gauges) {
        this.map = new AddrMap<>(capacity);
        this.capacity = capacity;
        this.agingNanos = agingNanos;
        this.gauges = gauges;
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
            removed(e.mtu);
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
                removed(e.mtu);
            } else {
                e = new Entry();
            }
            e.hi = hi;
            e.lo = lo;
            map.put(hi, lo, e);
        } else {
            removed(e.mtu);
        }
        OrderedList.unlink(e);
        e.mtu = m;
        e.expires = now + agingNanos;
        byExpiry.add(e);
        added(m);
        return true;
    }

    public int size() {
        return map.size();
    }

    /** The lowest path MTU held (expired entries not yet looked up included), or 0 if none. */
    public int lowest() {
        return lowest;
    }

    // The lowest MTU and how many entries hold it, kept as entries come and go; a walk of the
    // entries only when the last one at the lowest value leaves.
    private int lowest;
    private int atLowest;

    private void added(int mtu) {
        if (atLowest == 0 || mtu < lowest) {
            lowest = mtu;
            atLowest = 1;
        } else if (mtu == lowest) {
            atLowest++;
        }
        publish();
    }

    private void removed(int mtu) {
        if (mtu == lowest && --atLowest == 0) {
            lowest = 0;
            for (Entry e = byExpiry.oldest(); e != null; e = OrderedList.newer(e)) {
                if (e.mtu == mtu) {
                    continue; // the entry leaving may still be on the list
                }
                if (atLowest == 0 || e.mtu < lowest) {
                    lowest = e.mtu;
                    atLowest = 1;
                } else if (e.mtu == lowest) {
                    atLowest++;
                }
            }
        }
        publish();
    }

    private void publish() {
        gauges.add(Ipv6Counter.PMTU_ENTRIES, map.size() - gauges.get(Ipv6Counter.PMTU_ENTRIES));
        gauges.add(Ipv6Counter.PMTU_LOWEST, lowest - gauges.get(Ipv6Counter.PMTU_LOWEST));
    }
}
