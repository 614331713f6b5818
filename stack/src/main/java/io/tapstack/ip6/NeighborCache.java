package io.tapstack.ip6;

import io.tapstack.util.AddrMap;
import io.tapstack.util.OrderedList;

import java.util.function.Consumer;

/**
 * The storage of the Neighbor Cache (RFC 4861 §5.1): entries by address, at most
 * {@code capacity} of them, and the order in which they give way when it is full, kept so that
 * choosing a victim costs O(1) rather than a scan of the whole cache (under a flood of
 * Neighbor Solicitations from thousands of spoofed sources every new source needs room).
 *
 * <p>Two intrusive {@link OrderedList}s through the entries: the entries being
 * resolved (INCOMPLETE, holding the packets that wait for them), oldest first, and the others in
 * the order of their last update (created, confirmed reachable or made stale), least recent first.
 * When the cache is full the least recently updated resolved entry gives way; an INCOMPLETE entry
 * never does (RFC 4861 §7.2.2: its queued packets are sent once it resolves), and a new
 * resolution may push out a resolved neighbour only while fewer than half the entries are being
 * resolved, else it is refused: traffic towards addresses that never answer fills the free room
 * and cannot evict the neighbours that do answer (RFC 6583 §6). {@link NeighborResolution} owns
 * the entries' timers and queues; this class only stores and orders them. Loop thread only; no
 * allocation.
 */
final class NeighborCache {
    private final AddrMap<Ndp.Neighbor> map;
    private final int capacity;
    /** Resolved entries (every state but INCOMPLETE), least recently updated first: the eviction order. */
    private final OrderedList<Ndp.Neighbor> resolved = new OrderedList<>();
    /** INCOMPLETE entries, oldest first. */
    private final OrderedList<Ndp.Neighbor> resolving = new OrderedList<>();
    /** Entries looked at to choose victims, over the cache's life: one per eviction. */
    private long examined;

    NeighborCache(int capacity) {
        this.capacity = capacity;
        this.map = new AddrMap<>(capacity);
    }

    Ndp.Neighbor get(long hi, long lo) {
        return map.get(hi, lo);
    }

    int size() {
        return map.size();
    }

    int capacity() {
        return capacity;
    }

    /** Entries being resolved (INCOMPLETE). */
    int resolving() {
        return resolving.size();
    }

    void forEach(Consumer<Ndp.Neighbor> f) {
        map.forEach(f);
    }

    /**
     * Adds a new entry (its state set) as the most recently updated of its kind. False when the
     * cache is full: the caller removes {@link #victim} and tries again.
     */
    boolean add(Ndp.Neighbor e) {
        if (!map.put(e.hi, e.lo, e)) {
            return false;
        }
        (e.state == Ndp.State.INCOMPLETE ? resolving : resolved).add(e);
        return true;
    }

    /**
     * The entry that gives way to a new one when the cache is full, or null if none may: the
     * least recently updated resolved entry; for a new INCOMPLETE entry only while fewer than
     * half the cache is being resolved (RFC 6583 §6). O(1).
     */
    Ndp.Neighbor victim(boolean forResolution) {
        examined++;
        if (forResolution && resolving.size() >= capacity / 2) {
            return null;
        }
        return resolved.oldest();
    }

    /**
     * The entry was just updated (its state set to REACHABLE or STALE, RFC 4861 §7.3.2): it
     * becomes the most recently updated resolved entry, the last to be evicted.
     */
    void updated(Ndp.Neighbor e) {
        if (!e.linked()) {
            return; // not (or no longer) in the cache
        }
        OrderedList.unlink(e);
        (e.state == Ndp.State.INCOMPLETE ? resolving : resolved).add(e);
    }

    void remove(Ndp.Neighbor e) {
        OrderedList.unlink(e);
        if (map.get(e.hi, e.lo) == e) {
            map.remove(e.hi, e.lo);
        }
    }

    /** Entries examined to choose victims so far (a flood of N new sources costs N, not N × capacity). */
    long examined() {
        return examined;
    }
}
