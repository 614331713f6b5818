package io.tapstack.arp;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketQueue;
import io.tapstack.context.LinkOutput;
import io.tapstack.context.NeighbourOutput;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.util.IntMap;
import io.tapstack.util.OrderedList;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * ARP for IPv4 over Ethernet (RFC 826) with the host requirements of RFC 1122 §2.3.2:
 * a bounded cache whose entries expire and are refreshed, at most one request per second per
 * unresolved address, and a small bounded queue of packets waiting for each resolution.
 */
public final class Arp implements NeighbourOutput {
    /** Entry states, after Linux's NUD states reduced to what a host needs. */
    public enum State { INCOMPLETE, REACHABLE, STALE }

    /** One cache entry. */
    public final class Entry extends OrderedList.Node<Entry> {
        final int ip;
        long mac;
        State state;
        long confirmedAt;
        int probes;
        final PacketQueue pending;
        final Timer timer;

        Entry(int ip) {
            this.ip = ip;
            this.pending = new PacketQueue(config.arpPendingPerEntry);
            this.timer = new Timer(this::onTimer);
        }

        public int ip() {
            return ip;
        }

        public long mac() {
            return mac;
        }

        public State state() {
            return state;
        }

        private void onTimer(long now) {
            if (probes < config.arpMaxProbes) {
                probes++;
                // INCOMPLETE: broadcast again; STALE: unicast refresh to the known MAC (RFC 1122 §2.3.2.1)
                sendRequest(ip, state == State.STALE ? mac : MacAddress.BROADCAST.bits());
                ctx.timers().schedule(timer, now + config.arpRetransmitNanos);
                return;
            }
            // gave up
            counters.inc(ArpCounter.RESOLUTION_FAILED);
            int dropped = pending.size();
            pendingTotal -= dropped;
            counters.add(ArpCounter.DROP_PENDING_TIMEOUT, dropped);
            PacketBuf q;
            while ((q = pending.poll()) != null) {
                if (unresolved != null) {
                    unresolved.accept(q); // a router tells the source (RFC 1812 §5.2.7.1 host unreachable)
                }
                q.release();
            }
            OrderedList.unlink(this);
            cache.remove(ip);
            if (last == this) {
                last = null;
            }
        }
    }

    private final StackContext ctx;
    private final LinkOutput link;
    private final StackConfig config;
    private final IntUnaryOperator sourceFor;
    private final Counters<ArpCounter> counters;
    private final IntMap<Entry> cache;
    private final ArpPacket view = new ArpPacket();
    private int pendingTotal;
    private java.util.function.Consumer<PacketBuf> unresolved;

    /**
     * Shows every packet that waited for an address that could not be resolved to {@code h}
     * (before it is released; {@code h} must not keep it). A router answers with Destination
     * Unreachable; a host drops them (counted) as before.
     */
    public void setUnresolvedHandler(java.util.function.Consumer<PacketBuf> h) {
        this.unresolved = h;
    }
    private Entry last;

    /** Resolved entries in the order they were last confirmed: the eviction order (O(1)). */
    private final OrderedList<Entry> resolved = new OrderedList<>();
    /** Entries being resolved (INCOMPLETE), oldest first. */
    private final OrderedList<Entry> resolving = new OrderedList<>();
    private int watched;
    private Runnable onConflict;

    /**
     * @param sourceFor the IPv4 source address to use towards a target (routing, RFC 1122
     *     §3.3.4.3), for the requests we send
     */
    public Arp(StackContext ctx, LinkOutput link, StackConfig config, IntUnaryOperator sourceFor) {
        this.ctx = ctx;
        this.link = link;
        this.config = config;
        this.sourceFor = sourceFor;
        this.counters = ctx.stats().register("arp", ArpCounter.class);
        this.cache = new IntMap<>(config.arpCacheSize);
    }

    public Counters<ArpCounter> counters() {
        return counters;
    }

    /** Snapshot of the cache for display (ip, mac, state). */
    public List<Entry> entries() {
        List<Entry> l = new ArrayList<>();
        cache.forEach(l::add);
        return l;
    }

    /** The resolved MAC for {@code ip}, or -1. */
    public long lookup(int ip) {
        Entry e = cache.get(ip);
        return e == null || e.state == State.INCOMPLETE ? -1 : e.mac;
    }

    /** Gratuitous ARP for every address (RFC 5227 §3 announcement, request form). */
    public void announce() {
        for (InterfaceAddress a : config.ipv4) {
            if (send(ArpPacket.OP_REQUEST, a.address(), 0, a.address(), MacAddress.BROADCAST.bits())) {
                counters.inc(ArpCounter.GRATUITOUS_SENT);
            }
        }
    }

    /** Gratuitous ARP for one address (RFC 5227 §2.3 announcement), e.g. one DHCP just bound. */
    public void announce(int ip) {
        if (send(ArpPacket.OP_REQUEST, ip, 0, ip, MacAddress.BROADCAST.bits())) {
            counters.inc(ArpCounter.GRATUITOUS_SENT);
        }
    }

    /**
     * An ARP probe for {@code ip} (RFC 5227 §2.1.1): a broadcast request with sender address
     * 0.0.0.0, asking whether anyone holds the address before this host takes it.
     */
    public void probe(int ip) {
        if (send(ArpPacket.OP_REQUEST, 0, 0, ip, MacAddress.BROADCAST.bits())) {
            counters.inc(ArpCounter.PROBE_SENT);
        }
    }

    /**
     * Watches {@code ip} (0 stops watching) while it is being probed: {@code onConflict} runs on
     * the loop when another host claims it, by an ARP packet with it as sender address, or probes
     * for it at the same time (RFC 5227 §2.1.1).
     */
    public void watch(int ip, Runnable onConflict) {
        this.watched = ip;
        this.onConflict = onConflict;
    }

    /**
     * Sends an IPv4 packet to {@code nextHop}, resolving its MAC first if needed. Takes
     * ownership of {@code p}, whose window is the IPv4 packet.
     */
    @Override
    public void output(PacketBuf p, int nextHop) {
        if (nextHop == Ipv4Address.BROADCAST || isDirectedBroadcast(nextHop)) {
            link.transmitFrame(p, MacAddress.BROADCAST.bits(), EthernetFrame.TYPE_IPV4);
            return;
        }
        if (Ipv4Address.isMulticast(nextHop)) {
            // RFC 1112 §6.4: 01:00:5e + low 23 bits of the group
            link.transmitFrame(p, 0x01005e000000L | (nextHop & 0x7fffff), EthernetFrame.TYPE_IPV4);
            return;
        }
        Entry e = last != null && last.ip == nextHop ? last : cache.get(nextHop);
        long now = ctx.now();
        if (e != null && e.state != State.INCOMPLETE) {
            last = e;
            if (e.state == State.REACHABLE && now - e.confirmedAt > config.arpReachableNanos) {
                // Still usable, but ask again (unicast) and forget it if nobody answers.
                e.state = State.STALE;
                e.probes = 0;
                ctx.timers().schedule(e.timer, now);
            }
            link.transmitFrame(p, e.mac, EthernetFrame.TYPE_IPV4);
            return;
        }
        if (e == null) {
            e = new Entry(nextHop);
            e.state = State.INCOMPLETE;
            if (!insert(e, true)) {
                counters.inc(ArpCounter.DROP_CACHE_FULL);
                p.release();
                return;
            }
            e.probes = 0;
            ctx.timers().schedule(e.timer, now);
        }
        if (pendingTotal >= config.arpPendingTotal || !e.pending.offer(p)) {
            counters.inc(ArpCounter.DROP_PENDING_FULL);
            p.release();
            return;
        }
        pendingTotal++;
    }

    private boolean isDirectedBroadcast(int a) {
        // by index: called for every datagram sent, and an iterator is an allocation per packet
        java.util.List<InterfaceAddress> addrs = config.ipv4;
        for (int i = 0; i < addrs.size(); i++) {
            InterfaceAddress ia = addrs.get(i);
            if (ia.broadcast() != 0 && a == ia.broadcast()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Inserts, evicting when the cache is full the least recently confirmed resolved entry (the
     * head of a chain kept in confirmation order, so that a flood of new senders costs O(1) per
     * packet rather than a scan of the whole cache). An entry to be resolved ({@code resolving})
     * may push out a resolved one only while fewer than half the entries are being resolved:
     * traffic towards many addresses that never answer (the host's errors to spoofed on-link
     * sources, say) fills the free room and is then refused, and cannot evict the neighbours
     * that do answer.
     */
    private boolean insert(Entry e, boolean resolving) {
        if (!cache.put(e.ip, e)) {
            Entry victim = resolving && this.resolving.size() >= config.arpCacheSize / 2 ? null : resolved.oldest();
            if (victim == null) {
                return false;
            }
            remove(victim);
            counters.inc(ArpCounter.EVICTED);
            if (!cache.put(e.ip, e)) {
                return false;
            }
        }
        if (resolving) {
            this.resolving.add(e);
        }
        return true;
    }

    private void remove(Entry e) {
        OrderedList.unlink(e);
        ctx.timers().cancel(e.timer);
        pendingTotal -= e.pending.size();
        e.pending.clear();
        cache.remove(e.ip);
        if (last == e) {
            last = null;
        }
    }

    /** Handles a received ARP packet (window: ARP payload). Takes ownership of {@code p}. */
    public void input(PacketBuf p, long ethSrc, long ethDst) {
        counters.inc(ArpCounter.RX);
        try {
            view.wrap(p.buf(), p.start(), p.length());
            ArpPacket.Error err = view.check();
            if (err != ArpPacket.Error.NONE) {
                counters.inc(switch (err) {
                    case TRUNCATED -> ArpCounter.DROP_TRUNCATED;
                    case BAD_HTYPE -> ArpCounter.DROP_BAD_HTYPE;
                    case BAD_PTYPE -> ArpCounter.DROP_BAD_PTYPE;
                    case BAD_HLEN -> ArpCounter.DROP_BAD_HLEN;
                    case BAD_PLEN -> ArpCounter.DROP_BAD_PLEN;
                    default -> ArpCounter.DROP_BAD_OPERATION;
                });
                return;
            }
            int op = view.operation();
            long sha = view.senderMac();
            int spa = view.senderIp();
            int tpa = view.targetIp();
            counters.inc(op == ArpPacket.OP_REQUEST ? ArpCounter.RX_REQUEST : ArpCounter.RX_REPLY);
            if (MacAddress.isMulticast(sha) || sha == 0) {
                counters.inc(ArpCounter.DROP_BAD_SENDER);
                return;
            }
            if (watched != 0 && sha != link.mac()
                    && (spa == watched || (spa == 0 && tpa == watched && op == ArpPacket.OP_REQUEST))) {
                // RFC 5227 §2.1.1: the address we probe is in use, or probed by another host.
                counters.inc(ArpCounter.PROBE_CONFLICT);
                Runnable r = onConflict;
                if (r != null) {
                    r.run();
                }
            }
            if (isOurs(spa)) {
                if (sha != link.mac()) {
                    // Someone else claims our address (RFC 5227 §2.4): count it; we keep the address.
                    counters.inc(ArpCounter.ADDRESS_CONFLICT);
                }
                return;
            }
            boolean senderValid = spa != 0 && spa != Ipv4Address.BROADCAST && !Ipv4Address.isMulticast(spa);
            // RFC 826 "merge": update an existing entry for the sender.
            boolean merged = false;
            Entry e = senderValid ? cache.get(spa) : null;
            if (e != null) {
                learn(e, sha);
                merged = true;
            }
            if (!isOurs(tpa)) {
                return;
            }
            if (senderValid && !merged) {
                Entry n = new Entry(spa);
                n.state = State.INCOMPLETE;
                if (insert(n, false)) {
                    learn(n, sha);
                } else {
                    counters.inc(ArpCounter.DROP_CACHE_FULL);
                }
            }
            if (op == ArpPacket.OP_REQUEST && !ctx.isMirrored()) {
                if (send(ArpPacket.OP_REPLY, tpa, sha, spa, sha)) {
                    counters.inc(ArpCounter.TX_REPLY);
                }
            }
        } finally {
            p.release();
        }
    }

    private void learn(Entry e, long sha) {
        boolean fresh = e.state == State.INCOMPLETE;
        counters.inc(fresh ? ArpCounter.LEARNED : ArpCounter.UPDATED);
        e.mac = sha;
        e.state = State.REACHABLE;
        e.confirmedAt = ctx.now();
        OrderedList.unlink(e);
        resolved.add(e);
        e.probes = 0;
        ctx.timers().cancel(e.timer);
        PacketBuf q;
        while ((q = e.pending.poll()) != null) {
            pendingTotal--;
            link.transmitFrame(q, sha, EthernetFrame.TYPE_IPV4);
        }
    }

    private boolean isOurs(int ip) {
        for (InterfaceAddress a : config.ipv4) {
            if (a.address() == ip) {
                return true;
            }
        }
        return false;
    }

    private void sendRequest(int target, long ethDst) {
        int src = sourceFor.applyAsInt(target);
        if (send(ArpPacket.OP_REQUEST, src, 0, target, ethDst)) {
            counters.inc(ArpCounter.TX_REQUEST);
        }
    }

    private boolean send(int op, int spa, long tha, int tpa, long ethDst) {
        PacketBuf p = ctx.allocate(ArpPacket.LENGTH);
        if (p == null) {
            return false;
        }
        int at = p.append(ArpPacket.LENGTH);
        ArpPacket.emit(p.buf(), at, op, link.mac(), spa, tha, tpa);
        link.transmitFrame(p, ethDst, EthernetFrame.TYPE_ARP);
        return true;
    }
}
