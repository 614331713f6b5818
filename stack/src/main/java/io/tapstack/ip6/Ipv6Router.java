package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv6 forwarding between the interfaces of one router (RFC 8200, RFC 4443) and Router
 * Advertisements (RFC 4861 §6.2). The table: each interface's static prefixes (connected) and
 * static routes, longest prefix first. Per packet: not forwarded when it came in a link-layer
 * multicast frame or is to a link-local address (RFC 4291 §2.5.6); delivered when it is to
 * another interface's address; Time Exceeded when the hop limit runs out (RFC 4443 §3.3);
 * Destination Unreachable without a route (§3.1, code 0) or when a link-local source would
 * leave its link (code 2, beyond scope); Packet Too Big when it does not fit the next link —
 * never fragmented in transit (RFC 8200 §5, RFC 4443 §3.2); else the hop limit is decremented
 * (RFC 8200 §3, no checksum in the IPv6 header) and it goes to Neighbor Discovery on the way
 * out. Errors share each interface's ICMPv6 rate limit (RFC 4443 §2.4 f).
 */
public final class Ipv6Router {
    /** RFC 4861 §10 router constants. */
    static final int MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
    static final long MAX_INITIAL_RTR_ADVERT_INTERVAL = 16_000_000_000L;
    static final long MIN_DELAY_BETWEEN_RAS = 3_000_000_000L;
    static final long MAX_RA_DELAY_TIME = 500_000_000L;
    /** Most static routes and advertised prefixes (a router's table here is small). */
    static final int MAX_ROUTES = 256;
    static final int MAX_ADVERTISED = 4;

    private final List<Ipv6> ifaces = new ArrayList<>();
    private final boolean forwarding;
    // static routes: prefix, length, gateway, interface
    private final long[] rHi = new long[MAX_ROUTES];
    private final long[] rLo = new long[MAX_ROUTES];
    private final int[] rLen = new int[MAX_ROUTES];
    private final long[] rGwHi = new long[MAX_ROUTES];
    private final long[] rGwLo = new long[MAX_ROUTES];
    private final int[] rIf = new int[MAX_ROUTES];
    private int routes;
    private final Advertiser[] advertisers;
    /** Set by {@link #interfaceFor}: the next hop (no allocation per packet). */
    private long nhHi;
    private long nhLo;
    /** MaxRtrAdvInterval (RFC 4861 §6.2.1: default 600 s). */
    private long maxRtrAdvNanos = 600_000_000_000L;

    /**
     * @param forwarding false for a multi-homed host: one table, but what is not addressed to it is dropped
     */
    public Ipv6Router(List<Ipv6> interfaces, boolean forwarding) {
        this.forwarding = forwarding;
        for (Ipv6 ip : interfaces) {
            ip.attachRouter(this);
            ifaces.add(ip);
        }
        this.advertisers = new Advertiser[ifaces.size()];
    }

    public boolean forwarding() {
        return forwarding;
    }

    /** MaxRtrAdvInterval; MinRtrAdvInterval is a third of it (RFC 4861 §6.2.1). */
    public void setMaxRtrAdvInterval(long nanos) {
        this.maxRtrAdvNanos = Math.max(4_000_000_000L, nanos);
    }

    /**
     * Adds a static route {@code prefix/length via gateway} on the interface whose prefix holds
     * the gateway, or on the given one for a link-local gateway ({@code ifIndex}, else -1).
     */
    public void addRoute(long hi, long lo, int length, long gwHi, long gwLo, int ifIndex) {
        if (length < 0 || length > 128) {
            throw new IllegalArgumentException("prefix length " + length + " out of 0..128");
        }
        int at = ifIndex;
        for (int i = 0; at < 0 && i < ifaces.size(); i++) {
            for (Ipv6InterfaceAddress a : ifaces.get(i).configuredAddresses()) {
                if (a.contains(gwHi, gwLo)) {
                    at = i;
                }
            }
        }
        if (at < 0 || at >= ifaces.size()) {
            throw new IllegalArgumentException("gateway " + Ipv6Address.toString(gwHi, gwLo) + " is not on any interface's prefix");
        }
        if (routes == MAX_ROUTES) {
            throw new IllegalArgumentException("more than " + MAX_ROUTES + " IPv6 routes");
        }
        rHi[routes] = Ipv6Address.maskHi(hi, length);
        rLo[routes] = Ipv6Address.maskLo(lo, length);
        rLen[routes] = length;
        rGwHi[routes] = gwHi;
        rGwLo[routes] = gwLo;
        rIf[routes] = at;
        routes++;
    }

    /** The interface the table sends {@code dst} out of (and sets the next hop), or null. */
    public Ipv6 interfaceFor(long hi, long lo) {
        Ipv6 best = null;
        int bestLen = -1;
        // indexed loops: no iterator per packet
        for (int i = 0; i < ifaces.size(); i++) {
            Ipv6 ip = ifaces.get(i);
            List<Ipv6InterfaceAddress> as = ip.configuredAddresses();
            for (int k = 0; k < as.size(); k++) {
                Ipv6InterfaceAddress a = as.get(k);
                if (a.prefixLength() > bestLen && a.contains(hi, lo)) {
                    best = ip;
                    bestLen = a.prefixLength();
                    nhHi = hi; // connected: the destination is its own next hop
                    nhLo = lo;
                }
            }
        }
        for (int i = 0; i < advertisers.length; i++) {
            Advertiser a = advertisers[i];
            for (int k = 0; a != null && k < a.prefixes; k++) {
                // an advertised prefix is on that interface's link (connected)
                if (64 > bestLen && Ipv6Address.inPrefix(hi, lo, a.pHi[k], a.pLo[k], 64)) {
                    best = ifaces.get(i);
                    bestLen = 64;
                    nhHi = hi;
                    nhLo = lo;
                }
            }
        }
        for (int i = 0; i < routes; i++) {
            if (rLen[i] > bestLen && Ipv6Address.inPrefix(hi, lo, rHi[i], rLo[i], rLen[i])) {
                best = ifaces.get(rIf[i]);
                bestLen = rLen[i];
                nhHi = rGwHi[i];
                nhLo = rGwLo[i];
            }
        }
        return best;
    }

    /** The table as {@code ip -6 route} prints it. */
    public List<String> describeRoutes() {
        List<String> out = new ArrayList<>();
        for (Ipv6 ip : ifaces) {
            for (Ipv6InterfaceAddress a : ip.configuredAddresses()) {
                out.add(Ipv6Address.toString(Ipv6Address.maskHi(a.hi(), a.prefixLength()), Ipv6Address.maskLo(a.lo(), a.prefixLength()))
                        + "/" + a.prefixLength() + " dev " + ip.interfaceName() + " proto kernel");
            }
        }
        for (int i = 0; i < routes; i++) {
            out.add((rLen[i] == 0 ? "default" : Ipv6Address.toString(rHi[i], rLo[i]) + "/" + rLen[i])
                    + " via " + Ipv6Address.toString(rGwHi[i], rGwLo[i]) + " dev " + ifaces.get(rIf[i]).interfaceName());
        }
        return out;
    }

    /**
     * Forwards a packet that arrived on {@code in} and is not addressed to it (window and l3:
     * the IPv6 header, trimmed to its length). Takes ownership.
     */
    void forward(PacketBuf p, Ipv6 in, long ethDst) {
        Counters<Ipv6Counter> c = in.counters();
        if (!forwarding) {
            drop(p, c, Ipv6Counter.DROP_NOT_FOR_US); // a host does not forward (RFC 8504 §5.1)
            return;
        }
        ByteBuffer b = p.buf();
        int l3 = p.start();
        if (MacAddress.isMulticast(ethDst)) {
            drop(p, c, Ipv6Counter.FWD_DROP_LINK_MULTICAST);
            return;
        }
        long sHi = b.getLong(l3 + Ipv6Header.SRC);
        long dHi = b.getLong(l3 + Ipv6Header.DST);
        long dLo = b.getLong(l3 + Ipv6Header.DST + 8);
        if (Ipv6Address.isLinkLocal(dHi)) {
            drop(p, c, Ipv6Counter.FWD_DROP_LINK_LOCAL); // RFC 4291 §2.5.6: never forwarded
            return;
        }
        for (int i = 0; i < ifaces.size(); i++) {
            if (ifaces.get(i).isLocal(dHi, dLo)) {
                in.receiveLocal(p); // the router's own address on another interface
                return;
            }
        }
        int hop = b.get(l3 + Ipv6Header.HOP_LIMIT) & 0xff;
        if (hop <= 1) {
            // RFC 4443 §3.3 / RFC 8200 §3: hop limit exceeded in transit
            in.icmp6().sendError(p, Icmpv6.TIME_EXCEEDED, Icmpv6.TIME_EXCEEDED_HOP_LIMIT, 0);
            drop(p, c, Ipv6Counter.FWD_DROP_HOP_LIMIT);
            return;
        }
        Ipv6 out = interfaceFor(dHi, dLo);
        if (out == null) {
            in.icmp6().sendError(p, Icmpv6.DEST_UNREACHABLE, Icmpv6.UNREACH_NO_ROUTE, 0); // RFC 4443 §3.1
            drop(p, c, Ipv6Counter.FWD_DROP_NO_ROUTE);
            return;
        }
        if (Ipv6Address.isLinkLocal(sHi) && out != in) {
            // RFC 4291 §2.5.6, RFC 4443 §3.1 code 2: a link-local source must not leave its link
            in.icmp6().sendError(p, Icmpv6.DEST_UNREACHABLE, Icmpv6.UNREACH_BEYOND_SCOPE, 0);
            drop(p, c, Ipv6Counter.FWD_DROP_LINK_LOCAL);
            return;
        }
        int mtu = out.linkMtu();
        int wire = p.length();
        if (p.gsoType != 0) {
            // a GSO packet leaves as segments of gsoSize: headers up to the TCP header, plus that
            int l4 = p.csumState == PacketBuf.CSUM_PARTIAL ? p.csumStart : l3 + Ipv6Header.LENGTH;
            int thl = l4 + 12 < p.end() ? (b.get(l4 + 12) & 0xf0) >>> 2 : 0;
            wire = l4 - l3 + thl + p.gsoSize;
        }
        if (wire > mtu) {
            // RFC 8200 §5: never fragmented in transit; RFC 4443 §3.2 Packet Too Big with the MTU
            in.icmp6().sendError(p, Icmpv6.PACKET_TOO_BIG, 0, mtu);
            drop(p, c, Ipv6Counter.FWD_DROP_TOO_BIG);
            return;
        }
        b.put(l3 + Ipv6Header.HOP_LIMIT, (byte) (hop - 1));
        c.inc(Ipv6Counter.FORWARDED);
        out.transmitTo(p, nhHi, nhLo);
    }

    /** Whether {@code p} (window or l3 at its IPv6 header) comes from one of the router's own addresses. */
    boolean isOwn(PacketBuf p) {
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        long hi = p.buf().getLong(l3 + Ipv6Header.SRC);
        long lo = p.buf().getLong(l3 + Ipv6Header.SRC + 8);
        for (Ipv6 ip : ifaces) {
            if (ip.isLocal(hi, lo)) {
                return true;
            }
        }
        return false;
    }

    private static void drop(PacketBuf p, Counters<Ipv6Counter> c, Ipv6Counter why) {
        c.inc(why);
        p.release();
    }

    // ---- Router Advertisements (RFC 4861 §6.2) ----

    /**
     * Advertises {@code prefix/length} (on-link, autonomous: SLAAC) on interface {@code ifIndex},
     * with this router as a default router: unsolicited RAs (the first three at most 16 s apart,
     * then every MinRtrAdvInterval..MaxRtrAdvInterval, §6.2.4) and answers to Router
     * Solicitations (§6.2.6). Call before the interface starts.
     */
    public void advertise(int ifIndex, long hi, long lo, int length) {
        if (length != 64) {
            throw new IllegalArgumentException("SLAAC needs a /64 prefix (RFC 4862 §5.5.3, RFC 4291 §2.5.1), not /" + length);
        }
        Advertiser a = advertisers[ifIndex];
        if (a == null) {
            a = advertisers[ifIndex] = new Advertiser(ifaces.get(ifIndex));
        }
        if (a.prefixes == MAX_ADVERTISED) {
            throw new IllegalArgumentException("more than " + MAX_ADVERTISED + " prefixes on one interface");
        }
        a.pHi[a.prefixes] = Ipv6Address.maskHi(hi, length);
        a.pLo[a.prefixes] = Ipv6Address.maskLo(lo, length);
        a.prefixes++;
    }

    /** Starts the unsolicited advertisements (called when the stacks start). */
    public void start() {
        for (Advertiser a : advertisers) {
            if (a != null) {
                a.schedule(a.ip.now() + 1_000_000_000L); // after the link-local address's DAD
            }
        }
    }

    /** A Router Solicitation arrived on {@code ip} (RFC 4861 §6.2.6): answer soon, rate limited. */
    void solicited(Ipv6 ip) {
        for (Advertiser a : advertisers) {
            if (a != null && a.ip == ip) {
                long now = ip.now();
                long at = Math.max(now + (long) (ip.random().nextDouble() * MAX_RA_DELAY_TIME), a.last + MIN_DELAY_BETWEEN_RAS);
                if (!a.timer.isScheduled() || a.timer.deadline() > at) {
                    a.schedule(at);
                }
            }
        }
    }

    /** Counters of advertisements sent, per interface index (for tests and stat). */
    public long advertisementsSent(int ifIndex) {
        return advertisers[ifIndex] == null ? 0 : advertisers[ifIndex].sent;
    }

    private final class Advertiser {
        final Ipv6 ip;
        final long[] pHi = new long[MAX_ADVERTISED];
        final long[] pLo = new long[MAX_ADVERTISED];
        int prefixes;
        long last = Long.MIN_VALUE / 2;
        long sent;
        final Timer timer = new Timer(this::fire);

        Advertiser(Ipv6 ip) {
            this.ip = ip;
        }

        void schedule(long at) {
            ip.timers().cancel(timer);
            ip.timers().schedule(timer, at);
        }

        void fire(long now) {
            LocalAddress ll = ip.linkLocal();
            if (ll != null && ll.usable()) {
                send(ll, now);
            }
            // §6.2.4: the first few at most MAX_INITIAL_RTR_ADVERT_INTERVAL apart, then uniformly
            // between MinRtrAdvInterval (a third of the maximum) and MaxRtrAdvInterval
            long max = sent <= MAX_INITIAL_RTR_ADVERTISEMENTS ? Math.min(maxRtrAdvNanos, MAX_INITIAL_RTR_ADVERT_INTERVAL) : maxRtrAdvNanos;
            long min = max / 3;
            if (ll == null || !ll.usable()) {
                max = min = 1_000_000_000L; // the link-local address is not ready: try again in a second
            }
            ip.timers().schedule(timer, now + min + (long) (ip.random().nextDouble() * (max - min)));
        }

        /** RFC 4861 §4.2: from the link-local address to all-nodes, hop limit 255, SLLA, MTU and prefixes. */
        void send(LocalAddress ll, long now) {
            int len = 16 + 8 + 8 + 32 * prefixes;
            PacketBuf p = ip.allocate(len);
            if (p == null) {
                return;
            }
            int at = p.append(len);
            ByteBuffer b = p.buf();
            long lifetimeSec = Math.min(9000, 3 * maxRtrAdvNanos / 1_000_000_000L); // AdvDefaultLifetime (§6.2.1)
            // Cur Hop Limit 64, M=0 O=0, Router Lifetime; then Reachable Time 0, Retrans Timer 0 (unspecified)
            Icmpv6.emitHeader(b, at, Icmpv6.ROUTER_ADVERTISEMENT, 0, (64 << 24) | (int) lifetimeSec);
            b.putLong(at + 8, 0);
            int o = at + 16;
            NdpOptions.emitLla(b, o, NdpOptions.SOURCE_LLA, ip.mac());
            o += 8;
            NdpOptions.emitMtu(b, o, ip.linkMtu());
            o += 8;
            for (int i = 0; i < prefixes; i++) {
                // AdvValidLifetime 30 days, AdvPreferredLifetime 7 days (§6.2.1 defaults)
                NdpOptions.emitPrefix(b, o, 64, true, true, 2_592_000L, 604_800L, pHi[i], pLo[i]);
                o += 32;
            }
            Icmpv6.fillChecksum(b, at, len, Checksum.pseudoV6(ll.hi(), ll.lo(), Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO,
                    Ipv6Header.NH_ICMPV6, len));
            int h = p.push(Ipv6Header.LENGTH);
            p.l3 = h;
            Ipv6Header.emit(b, h, 0, 0, len, Ipv6Header.NH_ICMPV6, 255, ll.hi(), ll.lo(), Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO);
            ip.counters().inc(Ipv6Counter.TX);
            ip.ndp().counters().inc(NdpCounter.TX_RA);
            ip.sendFrame(p, Ipv6Address.multicastMac(Ipv6Address.ALL_NODES_LO), EthernetFrame.TYPE_IPV6);
            last = now;
            sent++;
        }
    }
}
