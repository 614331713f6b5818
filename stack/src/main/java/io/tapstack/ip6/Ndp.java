package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketQueue;
import io.tapstack.context.LinkOutput;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.ip.IpMeta;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.util.OrderedList;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Neighbor Discovery for IPv6 over Ethernet (RFC 4861) with the host's address configuration
 * (RFC 4862: link-local address, Duplicate Address Detection, SLAAC; RFC 7217 identifiers)
 * and the MLDv2 reports for the groups the host joins (RFC 3810).
 *
 * <p>This class is the façade the rest of the stack calls, and the input side common to all ND
 * messages: every ND message is validated here (§6.1, §7.1: hop limit 255, code 0, length,
 * option lengths non-zero) and handed to the part that owns its mechanism, each in its own class
 * (as FreeBSD splits {@code nd6.c}/{@code nd6_nbr.c}/{@code nd6_rtr.c}):
 * <ul>
 *   <li>{@link NeighborResolution}: address resolution and Neighbor Unreachability Detection
 *       (§7.2, §7.3), the five NUD states and the pending-packet queues, over
 *       {@link NeighborCache} (bounded storage, O(1) eviction);</li>
 *   <li>{@link RouterDiscovery}: Router Solicitation and Advertisement (§6.3), the default router
 *       list and the prefix list, next-hop determination (§5.2);</li>
 *   <li>{@link Redirects}: Redirect processing (§8) and the destinations it changed;</li>
 *   <li>{@link AddressConfig}: the host's addresses, DAD and SLAAC (RFC 4862 §5, RFC 7217);</li>
 *   <li>{@link Rdnss}: DNS servers from RAs (RFC 8106);</li>
 *   <li>{@link Mld}: MLDv2 reports and query answers (RFC 3810);</li>
 *   <li>{@link NdMessages}: the RS, NS and NA this host sends (§4.1, §4.3, §4.4).</li>
 * </ul>
 */
public final class Ndp {
    /** Neighbour Unreachability Detection states (RFC 4861 §7.3.2). */
    public enum State { INCOMPLETE, REACHABLE, STALE, DELAY, PROBE }

    /** RFC 4861 §10 host constants. */
    static final int ND_HOP_LIMIT = 255;
    /** RFC 3810 §9.1 Robustness Variable ({@link Mld#MLD_ROBUSTNESS}). */
    static final int MLD_ROBUSTNESS = Mld.MLD_ROBUSTNESS;
    /** RFC 3810 §9.11 Unsolicited Report Interval ({@link Mld#MLD_UNSOLICITED_REPORT_INTERVAL}). */
    static final long MLD_UNSOLICITED_REPORT_INTERVAL = Mld.MLD_UNSOLICITED_REPORT_INTERVAL;
    /** RFC 8106 §5.3.1: DNS servers kept ({@link Rdnss#MAX_RDNSS}). */
    static final int MAX_RDNSS = Rdnss.MAX_RDNSS;
    static final long INFINITE = Long.MAX_VALUE;

    /**
     * One neighbour cache entry (RFC 4861 §5.1); its timer drives the §7.2.2 retransmissions and
     * the §7.3.3 transitions in {@link NeighborResolution#onTimer}.
     */
    public static final class Neighbor extends OrderedList.Node<Neighbor> {
        final long hi;
        final long lo;
        long mac;
        State state;
        boolean router;
        int probes;
        long updated;
        final PacketQueue pending;
        final Timer timer;

        Neighbor(long hi, long lo, NeighborResolution nud) {
            this.hi = hi;
            this.lo = lo;
            this.pending = new PacketQueue(nud.pendingPerEntry());
            this.timer = new Timer(now -> nud.onTimer(this, now));
        }

        public long mac() {
            return mac;
        }

        public State state() {
            return state;
        }

        public boolean isRouter() {
            return router;
        }

        public String address() {
            return Ipv6Address.toString(hi, lo);
        }
    }

    final StackContext ctx;
    final LinkOutput link;
    final Ipv6 ipv6;
    final StackConfig config;
    final Counters<NdpCounter> counters;
    /** The options of the ND message being processed (one view, reused: no allocation per packet). */
    final NdpOptions opts = new NdpOptions();
    final NdMessages out;
    final RouterDiscovery rd;
    final NeighborResolution nud;
    final Redirects redirects;
    final Rdnss rdnss;
    final AddressConfig addresses;
    final Mld mld;

    /** Built by {@link Ipv6}, whose addresses, routes and output it serves. */
    Ndp(StackContext ctx, LinkOutput link, StackConfig config, Ipv6 ipv6) {
        this.ctx = ctx;
        this.link = link;
        this.ipv6 = ipv6;
        this.config = config;
        this.counters = ctx.stats().register("ndp", NdpCounter.class);
        this.out = new NdMessages(this);
        this.nud = new NeighborResolution(this);
        this.rd = new RouterDiscovery(this); // draws the first random ReachableTime (§6.3.2)
        this.redirects = new Redirects(this);
        this.rdnss = new Rdnss(this);
        this.addresses = new AddressConfig(this);
        this.mld = new Mld(this);
    }

    /** RFC 4862 §5.5.3: a lifetime in seconds from an option → a deadline (all ones: infinite). */
    static long deadline(long now, long seconds) {
        return seconds == 0xffff_ffffL ? INFINITE : now + seconds * 1_000_000_000L;
    }

    public Counters<NdpCounter> counters() {
        return counters;
    }

    public long reachableTime() {
        return rd.reachableTime();
    }

    public long retransTimer() {
        return rd.retransTimer();
    }

    /** Configures the interface: all-nodes group, link-local and static addresses (each through DAD). */
    public void start() {
        addresses.start();
    }

    /** Adds an address and starts DAD for it (RFC 4862 §5.4); returns the existing entry if present. */
    public LocalAddress addAddress(long hi, long lo, int prefixLength, LocalAddress.Origin origin, int dadCounter,
                                   long validUntil, long preferredUntil) {
        return addresses.addAddress(hi, lo, prefixLength, origin, dadCounter, validUntil, preferredUntil);
    }

    /** Next-hop determination (RFC 4861 §5.2), see {@link RouterDiscovery#route}. */
    public boolean route(long dstHi, long dstLo) {
        return rd.route(dstHi, dstLo);
    }

    public long routeHi() {
        return rd.routeHi();
    }

    public long routeLo() {
        return rd.routeLo();
    }

    public boolean onLink(long hi, long lo) {
        return rd.onLink(hi, lo);
    }

    /** Default routers as text, for display. */
    public List<String> routers() {
        return rd.routers();
    }

    /** On-link prefixes learnt from RAs, as text. */
    public List<String> prefixes() {
        return rd.prefixes();
    }

    /** The neighbour entry for an address, or null. */
    public Neighbor neighbor(long hi, long lo) {
        return nud.neighbor(hi, lo);
    }

    public int cacheSize() {
        return nud.cacheSize();
    }

    /** Snapshot of the cache for display. */
    public List<Neighbor> neighbors() {
        return nud.neighbors();
    }

    /**
     * Sends an IPv6 packet (window: IPv6 header onward) to the neighbour {@code (hi,lo)},
     * resolving its link-layer address first if needed. Takes ownership of {@code p}.
     */
    public void output(PacketBuf p, long hi, long lo) {
        nud.output(p, hi, lo);
    }

    /** Upper-layer reachability confirmation (RFC 4861 §7.3.1), e.g. from TCP on new ACKs. */
    public void confirmReachable(long hi, long lo) {
        nud.confirmReachable(hi, lo);
    }

    /** The cache's storage and eviction order (for tests). */
    NeighborCache neighborCache() {
        return nud.neighborCache();
    }

    /** For display: the MAC of a neighbour as text, or null. */
    public String lookupText(long hi, long lo) {
        return nud.lookupText(hi, lo);
    }

    /**
     * Where the DNS servers learnt from RDNSS options go (the stack's resolver), called with the
     * whole current list whenever it changes.
     */
    public void setDnsListener(java.util.function.Consumer<List<IpAddr>> l) {
        rdnss.setDnsListener(l);
    }

    /** DNS servers currently known from RDNSS options. */
    public List<IpAddr> dnsServers() {
        return rdnss.dnsServers();
    }

    /** Joins a group and reports it (RFC 3810 §6.1). */
    public void joinGroup(long hi, long lo) {
        mld.joinGroup(hi, lo);
    }

    public void leaveGroup(long hi, long lo) {
        mld.leaveGroup(hi, lo);
    }

    /** RFC 3810 §5.1.3: Maximum Response Code → milliseconds ({@link Mld#maxResponseDelayMs}). */
    static long maxResponseDelayMs(int code) {
        return Mld.maxResponseDelayMs(code);
    }

    /** An ND or MLD message (window: the ICMPv6 message, checksum verified). The caller releases {@code p}. */
    public void input(PacketBuf p, IpMeta meta, Icmpv6 view) {
        int type = view.type();
        if (type == Icmpv6.MLD_QUERY) {
            counters.inc(NdpCounter.RX_MLD_QUERY);
            mld.mldQuery(p, meta, view);
            return;
        }
        if (type < Icmpv6.ROUTER_SOLICITATION || type > Icmpv6.REDIRECT) {
            counters.inc(NdpCounter.RX_MLD_OTHER);
            return;
        }
        counters.inc(switch (type) {
            case Icmpv6.ROUTER_SOLICITATION -> NdpCounter.RX_RS;
            case Icmpv6.ROUTER_ADVERTISEMENT -> NdpCounter.RX_RA;
            case Icmpv6.NEIGHBOR_SOLICITATION -> NdpCounter.RX_NS;
            case Icmpv6.NEIGHBOR_ADVERTISEMENT -> NdpCounter.RX_NA;
            default -> NdpCounter.RX_REDIRECT;
        });
        // RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1: hop limit 255 (so the message cannot
        // have come from off-link) and code 0.
        if (meta.ttl != ND_HOP_LIMIT) {
            counters.inc(NdpCounter.DROP_BAD_HOP_LIMIT);
            return;
        }
        if (view.code() != 0) {
            counters.inc(NdpCounter.DROP_BAD_CODE);
            return;
        }
        int min = switch (type) {
            case Icmpv6.ROUTER_SOLICITATION -> 8;
            case Icmpv6.ROUTER_ADVERTISEMENT -> 16;
            case Icmpv6.REDIRECT -> 40;
            default -> 24;
        };
        if (view.length() < min) {
            counters.inc(NdpCounter.DROP_TRUNCATED);
            return;
        }
        ByteBuffer b = p.buf();
        int off = view.offset();
        opts.wrap(b, off + min, view.length() - min);
        if (!opts.check()) {
            // all included options have a length greater than zero and fit
            counters.inc(NdpCounter.DROP_BAD_OPTION);
            return;
        }
        switch (type) {
            case Icmpv6.NEIGHBOR_SOLICITATION -> nud.ns(b, off, meta);
            case Icmpv6.NEIGHBOR_ADVERTISEMENT -> nud.na(b, off, meta);
            case Icmpv6.ROUTER_ADVERTISEMENT -> rd.ra(b, off, meta);
            case Icmpv6.ROUTER_SOLICITATION -> {
                // RFC 4861 §6.1.1: unspecified source → no SLLA option.
                if (Ipv6Address.isUnspecified(meta.srcHi, meta.srcLo) && opts.find(NdpOptions.SOURCE_LLA) >= 0) {
                    counters.inc(NdpCounter.DROP_SLLA_FROM_UNSPECIFIED);
                    return;
                }
                // §6.2.6: only routers answer; a host ignores RSs.
                Ipv6Router r = ipv6.router();
                if (r != null && r.forwarding()) {
                    r.solicited(ipv6);
                } else {
                    counters.inc(NdpCounter.RS_IGNORED);
                }
            }
            default -> redirects.redirect(b, off, meta);
        }
    }
}
