package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.ip.IpMeta;
import io.tapstack.ip6.Ndp.Neighbor;
import io.tapstack.ip6.Ndp.State;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Address resolution and Neighbor Unreachability Detection (RFC 4861 §7.2, §7.3): the
 * neighbour entries in their five states ({@link Ndp.State}) with the RFC timers, the packets
 * queued while an entry is INCOMPLETE (bounded per entry and in total), Neighbor Solicitations
 * answered and Neighbor Advertisements processed (§7.1.1, §7.1.2, §7.2.3–§7.2.5; the DAD cases
 * of RFC 4862 §5.4.3/§5.4.4 are handed to {@link AddressConfig}). The entries' storage and O(1)
 * eviction order are {@link NeighborCache}. A part of {@link Ndp}.
 */
final class NeighborResolution extends NdPart {
    private final NeighborCache cache;
    private int pendingTotal;

    NeighborResolution(Ndp nd) {
        super(nd);
        this.cache = new NeighborCache(config.ndCacheSize);
    }

    /** Per-entry bound on the packets waiting for resolution. */
    int pendingPerEntry() {
        return config.ndPendingPerEntry;
    }

    /** The neighbour entry for an address, or null. */
    Neighbor neighbor(long hi, long lo) {
        return cache.get(hi, lo);
    }

    int cacheSize() {
        return cache.size();
    }

    /** Snapshot of the cache for display. */
    List<Neighbor> neighbors() {
        List<Neighbor> l = new ArrayList<>();
        cache.forEach(l::add);
        return l;
    }

    /**
     * Sends an IPv6 packet (window: IPv6 header onward) to the neighbour {@code (hi,lo)},
     * resolving its link-layer address first if needed. Takes ownership of {@code p}.
     */
    void output(PacketBuf p, long hi, long lo) {
        Neighbor e = cache.get(hi, lo);
        long now = ctx.now();
        if (e == null) {
            e = new Neighbor(hi, lo, this);
            e.state = State.INCOMPLETE;
            e.updated = now;
            if (!insert(e)) {
                counters.inc(NdpCounter.DROP_CACHE_FULL);
                p.release();
                return;
            }
            enqueue(e, p);
            // RFC 4861 §7.2.2: solicit from the prompting packet's source if it is ours.
            e.probes = 1;
            long sHi = p.buf().getLong(p.start() + Ipv6Header.SRC);
            long sLo = p.buf().getLong(p.start() + Ipv6Header.SRC + 8);
            solicitFrom(e, -1, sHi, sLo, now);
            return;
        }
        switch (e.state) {
            case INCOMPLETE -> enqueue(e, p);
            case STALE -> {
                // RFC 4861 §7.3.3: first use of a STALE entry → DELAY, send the packet.
                e.state = State.DELAY;
                ctx.timers().schedule(e.timer, now + config.ndDelayFirstProbeNanos);
                link.transmitFrame(p, e.mac, EthernetFrame.TYPE_IPV6);
            }
            default -> link.transmitFrame(p, e.mac, EthernetFrame.TYPE_IPV6);
        }
    }

    /** Upper-layer reachability confirmation (RFC 4861 §7.3.1), e.g. from TCP on new ACKs. */
    void confirmReachable(long hi, long lo) {
        Neighbor e = cache.get(hi, lo);
        if (e != null && e.state != State.INCOMPLETE) {
            counters.inc(NdpCounter.CONFIRMED);
            setReachable(e);
        }
    }

    private void enqueue(Neighbor e, PacketBuf p) {
        // RFC 4861 §7.2.2: a small queue per entry; bounded in total as well.
        if (pendingTotal >= config.ndPendingTotal || !e.pending.offer(p)) {
            counters.inc(NdpCounter.DROP_PENDING_FULL);
            p.release();
            return;
        }
        pendingTotal++;
    }

    /**
     * Adds a new entry (state set). When the cache is full the least recently updated resolved
     * entry is evicted, in O(1) ({@link NeighborCache}); an INCOMPLETE entry never is, and a new
     * one may evict only while fewer than half are being resolved (RFC 4861 §7.2.2, RFC 6583 §6).
     */
    private boolean insert(Neighbor e) {
        if (cache.add(e)) {
            return true;
        }
        Neighbor victim = cache.victim(e.state == State.INCOMPLETE);
        if (victim == null) {
            return false;
        }
        remove(victim);
        counters.inc(NdpCounter.EVICTED);
        return cache.add(e);
    }

    private void remove(Neighbor e) {
        ctx.timers().cancel(e.timer);
        pendingTotal -= e.pending.size();
        e.pending.clear();
        cache.remove(e);
    }

    /** The cache's storage and eviction order (for tests). */
    NeighborCache neighborCache() {
        return cache;
    }

    private void setReachable(Neighbor e) {
        e.state = State.REACHABLE;
        e.probes = 0;
        e.updated = ctx.now();
        cache.updated(e);
        ctx.timers().schedule(e.timer, ctx.now() + nd.rd.reachableTime());
    }

    private void setStale(Neighbor e) {
        e.state = State.STALE;
        e.probes = 0;
        e.updated = ctx.now();
        cache.updated(e);
        ctx.timers().cancel(e.timer);
    }

    private void flush(Neighbor e) {
        PacketBuf q;
        while ((q = e.pending.poll()) != null) {
            pendingTotal--;
            link.transmitFrame(q, e.mac, EthernetFrame.TYPE_IPV6);
        }
    }

    /**
     * RFC 4861 §7.2.3 / §6.3.4: a link-layer address learnt from an NS, RS or RA: create a STALE
     * entry, or update one whose address changed (to STALE).
     */
    void learn(long hi, long lo, long mac, boolean isRouter) {
        Neighbor e = cache.get(hi, lo);
        if (e == null) {
            e = new Neighbor(hi, lo, this);
            e.mac = mac;
            e.state = State.STALE;
            e.updated = ctx.now();
            e.router = isRouter;
            if (!insert(e)) {
                counters.inc(NdpCounter.DROP_CACHE_FULL);
                return;
            }
            counters.inc(NdpCounter.LEARNED);
            return;
        }
        if (isRouter) {
            e.router = true;
        }
        if (e.state == State.INCOMPLETE) {
            e.mac = mac;
            setStale(e);
            counters.inc(NdpCounter.LEARNED);
            flush(e);
        } else if (e.mac != mac) {
            e.mac = mac;
            setStale(e);
            counters.inc(NdpCounter.UPDATED);
        }
    }

    private void solicit(Neighbor e, long unicastMac, long now) {
        solicitFrom(e, unicastMac, 0, 0, now);
    }

    private void solicitFrom(Neighbor e, long unicastMac, long sHi, long sLo, long now) {
        if (!ipv6.isLocal(sHi, sLo)) {
            LocalAddress a = ipv6.selectSource(e.hi, e.lo);
            if (a != null) {
                sHi = a.hi();
                sLo = a.lo();
            } else {
                sHi = 0;
                sLo = 0;
            }
        }
        if (!Ipv6Address.isUnspecified(sHi, sLo)) {
            if (unicastMac >= 0) {
                nd.out.sendNs(e.hi, e.lo, sHi, sLo, e.hi, e.lo, unicastMac);
            } else {
                nd.out.sendNs(e.hi, e.lo, sHi, sLo, Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(e.lo), -1);
            }
        }
        ctx.timers().schedule(e.timer, now + nd.rd.retransTimer());
    }

    /** RFC 4861 §7.1.1 validation (rest) and §7.2.3/§7.2.4 processing; RFC 4862 §5.4.3 for DAD. */
    void ns(ByteBuffer b, int off, IpMeta meta) {
        long tHi = b.getLong(off + 8);
        long tLo = b.getLong(off + 16);
        if (Ipv6Address.isMulticast(tHi)) {
            counters.inc(NdpCounter.DROP_BAD_TARGET);
            return;
        }
        boolean fromUnspecified = Ipv6Address.isUnspecified(meta.srcHi, meta.srcLo);
        int slla = opts.find(NdpOptions.SOURCE_LLA);
        if (fromUnspecified) {
            // §7.1.1: from :: the destination is a solicited-node address and there is no SLLA.
            if (!Ipv6Address.isSolicitedNode(meta.dstHi, meta.dstLo)) {
                counters.inc(NdpCounter.DROP_BAD_DESTINATION);
                return;
            }
            if (slla >= 0) {
                counters.inc(NdpCounter.DROP_SLLA_FROM_UNSPECIFIED);
                return;
            }
        }
        LocalAddress a = ipv6.find(tHi, tLo);
        if (a == null || a.state() == LocalAddress.State.DUPLICATE) {
            counters.inc(NdpCounter.NS_NOT_FOR_US);
            return;
        }
        if (a.state() == LocalAddress.State.TENTATIVE) {
            // RFC 4862 §5.4.3: an NS from :: for our tentative address is another node's DAD →
            // duplicate. An NS from a unicast source is address resolution: ignore it.
            if (fromUnspecified) {
                nd.addresses.dadFailed(a);
            }
            return;
        }
        long srcMac = slla >= 0 && opts.optionLengthAt(slla) >= NdpOptions.LLA_OPTION_LEN ? NdpOptions.lla(b, slla) : -1;
        if (!fromUnspecified && srcMac >= 0) {
            learn(meta.srcHi, meta.srcLo, srcMac, false);
        }
        // §7.2.4: answer with S=1 to the solicitor, or S=0 to all-nodes if it was ::; O=1.
        if (fromUnspecified) {
            nd.out.sendNa(tHi, tLo, Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO, false, -1);
        } else {
            nd.out.sendNa(tHi, tLo, meta.srcHi, meta.srcLo, true, srcMac);
        }
    }

    /** RFC 4861 §7.1.2 validation (rest) and §7.2.5 processing; RFC 4862 §5.4.4 for DAD. */
    void na(ByteBuffer b, int off, IpMeta meta) {
        int flags = b.getInt(off + 4);
        boolean router = (flags & 0x8000_0000) != 0;
        boolean solicited = (flags & 0x4000_0000) != 0;
        boolean override = (flags & 0x2000_0000) != 0;
        long tHi = b.getLong(off + 8);
        long tLo = b.getLong(off + 16);
        if (Ipv6Address.isMulticast(tHi)) {
            counters.inc(NdpCounter.DROP_BAD_TARGET);
            return;
        }
        if (meta.dstBroadcastOrMulticast && solicited) {
            // §7.1.2: to a multicast destination the Solicited flag is zero.
            counters.inc(NdpCounter.DROP_SOLICITED_TO_MULTICAST);
            return;
        }
        LocalAddress a = ipv6.find(tHi, tLo);
        if (a != null) {
            if (a.state() == LocalAddress.State.TENTATIVE) {
                // RFC 4862 §5.4.4: someone already uses our tentative address.
                nd.addresses.dadFailed(a);
            } else if (a.usable()) {
                // Another node claims one of our addresses (RFC 4862 §5.4.4 notes this for
                // addresses in use): count it; we keep the address.
                counters.inc(NdpCounter.ADDRESS_CONFLICT);
            }
            return;
        }
        Neighbor e = cache.get(tHi, tLo);
        if (e == null) {
            // §7.2.5: no entry → silently discard.
            counters.inc(NdpCounter.NA_NO_ENTRY);
            return;
        }
        int tlla = opts.find(NdpOptions.TARGET_LLA);
        long mac = tlla >= 0 && opts.optionLengthAt(tlla) >= NdpOptions.LLA_OPTION_LEN ? NdpOptions.lla(b, tlla) : -1;
        if (e.state == State.INCOMPLETE) {
            if (mac < 0) {
                counters.inc(NdpCounter.NA_IGNORED);
                return;
            }
            e.mac = mac;
            e.router = router;
            if (solicited) {
                setReachable(e);
            } else {
                setStale(e);
            }
            counters.inc(NdpCounter.LEARNED);
            flush(e);
            return;
        }
        boolean differs = mac >= 0 && mac != e.mac;
        if (!override && differs) {
            // §7.2.5: Override clear and a different address: REACHABLE → STALE, else ignore.
            if (e.state == State.REACHABLE) {
                setStale(e);
            } else {
                counters.inc(NdpCounter.NA_IGNORED);
            }
            return;
        }
        if (differs) {
            e.mac = mac;
            counters.inc(NdpCounter.UPDATED);
        }
        if (solicited) {
            setReachable(e);
        } else if (differs) {
            setStale(e);
        }
        if (e.router && !router) {
            // §7.2.5: IsRouter went false → remove it from the default router list.
            nd.rd.removeRouter(tHi, tLo);
        }
        e.router = router;
    }

    /** An entry's timer fired: the RFC 4861 §7.2.2 retransmissions and the §7.3.3 NUD transitions. */
    void onTimer(Neighbor e, long now) {
        switch (e.state) {
            case INCOMPLETE -> {
                // RFC 4861 §7.2.2: MAX_MULTICAST_SOLICIT solicitations RetransTimer apart,
                // then give up and report Address Unreachable for the queued packets.
                if (e.probes < config.ndMaxMulticastSolicit) {
                    e.probes++;
                    solicit(e, -1, now);
                    return;
                }
                counters.inc(NdpCounter.RESOLUTION_FAILED);
                PacketBuf q;
                while ((q = e.pending.poll()) != null) {
                    pendingTotal--;
                    counters.inc(NdpCounter.DROP_PENDING_FAILED);
                    if (ipv6.router() != null && !ipv6.router().isOwn(q)) {
                        // RFC 4861 §7.2.2: a forwarded packet's source is told, address unreachable
                        ipv6.icmp6().sendError(q, Icmpv6.DEST_UNREACHABLE, Icmpv6.UNREACH_ADDRESS, 0);
                    } else {
                        ipv6.icmp6().localError(q, Icmpv6.DEST_UNREACHABLE, Icmpv6.UNREACH_ADDRESS);
                    }
                    q.release();
                }
                remove(e);
            }
            case REACHABLE -> {
                // RFC 4861 §7.3.3: ReachableTime passed without confirmation → STALE.
                e.state = State.STALE;
            }
            case DELAY -> {
                // §7.3.3: DELAY_FIRST_PROBE_TIME passed → PROBE with a unicast NS.
                e.state = State.PROBE;
                e.probes = 1;
                solicit(e, e.mac, now);
            }
            case PROBE -> {
                if (e.probes < config.ndMaxUnicastSolicit) {
                    e.probes++;
                    solicit(e, e.mac, now);
                    return;
                }
                // §7.3.3: no answer to MAX_UNICAST_SOLICIT probes → delete the entry.
                counters.inc(NdpCounter.RESOLUTION_FAILED);
                remove(e);
            }
            default -> {
            }
        }
    }

    /** For display: the MAC of a neighbour as text, or null. */
    String lookupText(long hi, long lo) {
        Neighbor n = cache.get(hi, lo);
        return n == null || n.state == State.INCOMPLETE ? null : MacAddress.toString(n.mac);
    }
}
