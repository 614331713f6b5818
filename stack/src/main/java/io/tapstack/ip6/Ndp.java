package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.LinkOutput;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.buffer.PacketQueue;
import io.tapstack.ip.IpMeta;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.util.AddrMap;
import io.tapstack.util.OrderedList;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6ExtHeader;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Neighbor Discovery for IPv6 over Ethernet (RFC 4861) with the host's address configuration
 * (RFC 4862: link-local address, Duplicate Address Detection, SLAAC; RFC 7217 identifiers)
 * and the MLDv2 reports for the groups the host joins (RFC 3810).
 *
 * <ul>
 *   <li>Neighbour cache with the five NUD states and RFC timers, bounded in entries and in
 *       packets waiting for resolution; its storage and O(1) eviction order are
 *       {@link NeighborCache}.</li>
 *   <li>Default router list and prefix list from Router Advertisements; next-hop
 *       determination (§5.2).</li>
 *   <li>Every ND message is validated (§6.1, §7.1): hop limit 255, code 0, length, option
 *       lengths non-zero.</li>
 * </ul>
 */
public final class Ndp {
    private static final System.Logger LOG = System.getLogger("io.tapstack.ip6");
    /** Neighbour Unreachability Detection states (RFC 4861 §7.3.2). */
    public enum State { INCOMPLETE, REACHABLE, STALE, DELAY, PROBE }

    /** RFC 4861 §10 host constants. */
    static final int ND_HOP_LIMIT = 255;
    /** RFC 4862 §5.5.3 (e): the two-hour rule. */
    static final long TWO_HOURS_NANOS = 7_200_000_000_000L;
    /** RFC 7217 §6 IDGEN_RETRIES. */
    static final int IDGEN_RETRIES = 3;
    /** RFC 3810 §9.1 Robustness Variable ({@link Mld#MLD_ROBUSTNESS}). */
    static final int MLD_ROBUSTNESS = Mld.MLD_ROBUSTNESS;
    /** RFC 3810 §9.11 Unsolicited Report Interval ({@link Mld#MLD_UNSOLICITED_REPORT_INTERVAL}). */
    static final long MLD_UNSOLICITED_REPORT_INTERVAL = Mld.MLD_UNSOLICITED_REPORT_INTERVAL;
    /** RFC 8106 §5.3.1: DNS servers kept ({@link Rdnss#MAX_RDNSS}). */
    static final int MAX_RDNSS = Rdnss.MAX_RDNSS;
    static final long INFINITE = Long.MAX_VALUE;
    /** RFC 4861 §10: MAX_NEIGHBOR_ADVERTISEMENT transmissions. */
    static final int MAX_NEIGHBOR_ADVERTISEMENT = 3;

    /** One neighbour cache entry. */
    public final class Neighbor extends OrderedList.Node<Neighbor> {
        final long hi;
        final long lo;
        long mac;
        State state;
        boolean router;
        int probes;
        long updated;
        final PacketQueue pending = new PacketQueue(config.ndPendingPerEntry);
        final Timer timer = new Timer(this::onTimer);

        Neighbor(long hi, long lo) {
            this.hi = hi;
            this.lo = lo;
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

        private void onTimer(long now) {
            switch (state) {
                case INCOMPLETE -> {
                    // RFC 4861 §7.2.2: MAX_MULTICAST_SOLICIT solicitations RetransTimer apart,
                    // then give up and report Address Unreachable for the queued packets.
                    if (probes < config.ndMaxMulticastSolicit) {
                        probes++;
                        solicit(this, -1, now);
                        return;
                    }
                    counters.inc(NdpCounter.RESOLUTION_FAILED);
                    PacketBuf q;
                    while ((q = pending.poll()) != null) {
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
                    remove(this);
                }
                case REACHABLE -> {
                    // RFC 4861 §7.3.3: ReachableTime passed without confirmation → STALE.
                    state = State.STALE;
                }
                case DELAY -> {
                    // §7.3.3: DELAY_FIRST_PROBE_TIME passed → PROBE with a unicast NS.
                    state = State.PROBE;
                    probes = 1;
                    solicit(this, mac, now);
                }
                case PROBE -> {
                    if (probes < config.ndMaxUnicastSolicit) {
                        probes++;
                        solicit(this, mac, now);
                        return;
                    }
                    // §7.3.3: no answer to MAX_UNICAST_SOLICIT probes → delete the entry.
                    counters.inc(NdpCounter.RESOLUTION_FAILED);
                    remove(this);
                }
                default -> {
                }
            }
        }
    }

    private record Router(long hi, long lo, Timer timer) {
    }

    private record Prefix(long hi, long lo, int length, Timer timer) {
    }

    final StackContext ctx;
    final LinkOutput link;
    final Ipv6 ipv6;
    final StackConfig config;
    final Counters<NdpCounter> counters;
    private final NeighborCache cache;
    private final List<Router> routers = new ArrayList<>();
    private final List<Prefix> prefixes = new ArrayList<>();
    /** The options of the ND message being processed (one view, reused: no allocation per packet). */
    final NdpOptions opts = new NdpOptions();
    private final Timer rsTimer = new Timer(this::onRsTimer);
    private int pendingTotal;
    private int rsSent;
    private boolean raSeen;
    final NdMessages out;
    final Rdnss rdnss;
    final Mld mld;
    private boolean started;
    private long baseReachable;
    private long reachableTime;
    private long retrans;
    private long routeHi;
    private long routeLo;

    /** Built by {@link Ipv6}, whose addresses, routes and output it serves. */
    Ndp(StackContext ctx, LinkOutput link, StackConfig config, Ipv6 ipv6) {
        this.ctx = ctx;
        this.link = link;
        this.ipv6 = ipv6;
        this.config = config;
        this.counters = ctx.stats().register("ndp", NdpCounter.class);
        this.cache = new NeighborCache(config.ndCacheSize);
        this.baseReachable = config.ndBaseReachableNanos;
        this.retrans = config.ndRetransNanos;
        this.reachableTime = randomReachable();
        this.out = new NdMessages(this);
        this.rdnss = new Rdnss(this);
        this.mld = new Mld(this);
    }

    public Counters<NdpCounter> counters() {
        return counters;
    }

    private Ipv6 ip() {
        return ipv6;
    }

    /** RFC 4861 §6.3.2: ReachableTime uniformly in [0.5, 1.5] × BaseReachableTime. */
    private long randomReachable() {
        return (long) (baseReachable * (0.5 + ctx.random().nextDouble()));
    }

    public long reachableTime() {
        return reachableTime;
    }

    public long retransTimer() {
        return retrans;
    }

    // ---- start: addresses, groups, router solicitation ----

    /** Configures the interface: all-nodes group, link-local and static addresses (each through DAD). */
    public void start() {
        if (started || !config.ipv6Enabled) {
            return;
        }
        started = true;
        // RFC 4291 §2.8: every node joins all-nodes (never reported, RFC 3810 §6).
        ip().join(Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO);
        if (config.ipv6LinkLocal) {
            // RFC 4862 §5.3: fe80::/64 + interface identifier.
            addGenerated(Ipv6Address.LINK_LOCAL_PREFIX_HI, LocalAddress.Origin.LINK_LOCAL, 0, INFINITE, INFINITE);
        }
        for (Ipv6InterfaceAddress s : config.ipv6) {
            addAddress(s.hi(), s.lo(), s.prefixLength(), LocalAddress.Origin.STATIC, 0, INFINITE, INFINITE);
        }
        if (!config.ipv6LinkLocal) {
            startRouterSolicitation();
        }
    }

    private LocalAddress addGenerated(long prefixHi, LocalAddress.Origin origin, int dadCounter, long validUntil, long preferredUntil) {
        long iid = config.ipv6StableIids
                ? StableIid.stable(prefixHi, link.interfaceName(), dadCounter, config.ipv6StableSecret)
                : StableIid.eui64(link.mac());
        return addAddress(prefixHi, iid, 64, origin, dadCounter, validUntil, preferredUntil);
    }

    /** Adds an address and starts DAD for it (RFC 4862 §5.4); returns the existing entry if present. */
    public LocalAddress addAddress(long hi, long lo, int prefixLength, LocalAddress.Origin origin, int dadCounter,
                                   long validUntil, long preferredUntil) {
        LocalAddress old = ip().find(hi, lo);
        if (old != null && old.state() != LocalAddress.State.DUPLICATE) {
            return old;
        }
        if (old != null) {
            ip().removeAddress(old);
        }
        LocalAddress[] self = new LocalAddress[1];
        LocalAddress a = new LocalAddress(hi, lo, prefixLength, origin, now -> addressTimer(self[0], now));
        self[0] = a;
        a.setDadCounter(dadCounter);
        a.setLifetimes(validUntil, preferredUntil);
        ip().addAddress(a);
        if (config.dadTransmits <= 0) {
            // RFC 4862 §5.4: DupAddrDetectTransmits 0 disables DAD.
            mld.joinGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(lo));
            dadDone(a, ctx.now());
            return a;
        }
        a.setState(LocalAddress.State.TENTATIVE);
        a.setDadProbesLeft(config.dadTransmits);
        counters.inc(NdpCounter.DAD_STARTED);
        // RFC 4862 §5.4.2: join the solicited-node group of the tentative address first, and
        // delay the first NS by a random 0..MAX_RTR_SOLICITATION_DELAY.
        mld.joinGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(lo));
        long delay = config.rtrSolicitationDelayNanos > 0 ? (long) (ctx.random().nextDouble() * config.rtrSolicitationDelayNanos) : 0;
        ctx.timers().schedule(a.timer, ctx.now() + delay);
        return a;
    }

    private void addressTimer(LocalAddress a, long now) {
        if (a.state() == LocalAddress.State.TENTATIVE) {
            if (a.dadProbesLeft() > 0) {
                // RFC 4862 §5.4.2: NS from ::, to the solicited-node group, target the tentative address.
                a.setDadProbesLeft(a.dadProbesLeft() - 1);
                out.sendNs(a.hi(), a.lo(), 0, 0, Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo()), -1);
                ctx.timers().schedule(a.timer, now + retrans);
                return;
            }
            // RFC 4862 §5.4: no duplicate heard within RetransTimer after the last NS.
            dadDone(a, now);
            return;
        }
        if (a.state() == LocalAddress.State.DUPLICATE) {
            return;
        }
        if (a.unsolicitedNaLeft() > 0 && now - a.naDue() >= 0) {
            a.setUnsolicitedNa(a.unsolicitedNaLeft() - 1, now + retrans);
            if (a.usable()) {
                out.sendUnsolicitedNa(a);
            }
        }
        // RFC 4862 §5.5.4: lifetimes.
        if (now - a.validUntil() >= 0 && a.validUntil() != INFINITE) {
            counters.inc(NdpCounter.ADDRESS_EXPIRED);
            removeAddress(a);
            return;
        }
        if (a.state() == LocalAddress.State.PREFERRED && a.preferredUntil() != INFINITE && now - a.preferredUntil() >= 0) {
            counters.inc(NdpCounter.ADDRESS_DEPRECATED);
            a.setState(LocalAddress.State.DEPRECATED);
        }
        scheduleLifetime(a);
    }

    private void dadDone(LocalAddress a, long now) {
        counters.inc(NdpCounter.DAD_SUCCEEDED);
        boolean deprecated = a.preferredUntil() != INFINITE && now - a.preferredUntil() >= 0;
        a.setState(deprecated ? LocalAddress.State.DEPRECATED : LocalAddress.State.PREFERRED);
        // RFC 4861 §7.2.6: the address changed hands (it is new here, or this host came back with
        // another link-layer address): announce it with unsolicited NAs to all-nodes, Override set,
        // Solicited clear, up to MAX_NEIGHBOR_ADVERTISEMENT of them at least RetransTimer apart, so
        // that neighbours holding a stale entry for it update it at once.
        out.sendUnsolicitedNa(a);
        a.setUnsolicitedNa(MAX_NEIGHBOR_ADVERTISEMENT - 1, now + retrans);
        scheduleLifetime(a);
        if (a.isLinkLocal()) {
            // RFC 4861 §6.3.7: solicit routers once a link-local source is available. RFC 3810
            // §5.2.13 (and Linux): repeat the reports now that they can come from it.
            startRouterSolicitation();
            mld.reportAll(Mld.MLD_CHANGE_TO_EXCLUDE);
            for (long[] g : ip().groups()) {
                if (Mld.reportable(g[0], g[1])) {
                    mld.stateChange(Mld.MLD_CHANGE_TO_EXCLUDE, g[0], g[1], false); // §6.1: and Robustness − 1 times more
                }
            }
        }
    }

    private void scheduleLifetime(LocalAddress a) {
        long next = a.validUntil();
        if (a.state() == LocalAddress.State.PREFERRED) {
            next = Math.min(next, a.preferredUntil());
        }
        if (a.unsolicitedNaLeft() > 0) {
            next = Math.min(next, a.naDue());
        }
        if (next != INFINITE) {
            ctx.timers().schedule(a.timer, next);
        } else {
            ctx.timers().cancel(a.timer);
        }
    }

    private void removeAddress(LocalAddress a) {
        ctx.timers().cancel(a.timer);
        ip().removeAddress(a);
        mld.leaveGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo()));
    }

    /**
     * RFC 4862 §5.4.5: a tentative address is a duplicate: it is not used; counted and logged.
     * An address with a generated identifier gets a new one (RFC 7217 §6, at most IDGEN_RETRIES).
     */
    private void dadFailed(LocalAddress a) {
        counters.inc(NdpCounter.DAD_DUPLICATE);
        LOG.log(System.Logger.Level.WARNING, () -> "IPv6 duplicate address detected: " + Ipv6Address.toString(a.hi(), a.lo())
                + " (" + a.origin().name().toLowerCase(java.util.Locale.ROOT) + "); not using it");
        ctx.timers().cancel(a.timer);
        a.setState(LocalAddress.State.DUPLICATE);
        mld.leaveGroup(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo()));
        if (a.origin() != LocalAddress.Origin.STATIC && config.ipv6StableIids && a.dadCounter() < IDGEN_RETRIES) {
            addGenerated(a.hi(), a.origin(), a.dadCounter() + 1, a.validUntil(), a.preferredUntil());
        }
    }

    // ---- router solicitation (RFC 4861 §6.3.7) ----

    private void startRouterSolicitation() {
        if (!config.ipv6Auto || config.rtrSolicitations <= 0 || raSeen || rsTimer.isScheduled() || rsSent > 0) {
            return;
        }
        long delay = (long) (ctx.random().nextDouble() * config.rtrSolicitationDelayNanos);
        ctx.timers().schedule(rsTimer, ctx.now() + delay);
    }

    private void onRsTimer(long now) {
        if (raSeen || rsSent >= config.rtrSolicitations) {
            return;
        }
        rsSent++;
        out.sendRs();
        if (rsSent < config.rtrSolicitations) {
            ctx.timers().schedule(rsTimer, now + config.rtrSolicitationIntervalNanos);
        }
    }

    // ---- next hop (RFC 4861 §5.2) ----

    /**
     * Next-hop determination: link-local and on-link destinations are their own next hop; others
     * go to a default router. Sets {@link #routeHi()}/{@link #routeLo()}; false without a route
     * (RFC 4943: a host does not assume that a destination is on-link).
     */
    public boolean route(long dstHi, long dstLo) {
        long[] redirected = redirects.get(dstHi, dstLo);
        if (redirected != null) {
            if (ctx.now() - redirected[2] < 0) {
                // RFC 4861 §8.3: the destination cache entry a Redirect made
                routeHi = redirected[0];
                routeLo = redirected[1];
                return true;
            }
            redirects.remove(dstHi, dstLo);
        }
        if (onLink(dstHi, dstLo)) {
            routeHi = dstHi;
            routeLo = dstLo;
            return true;
        }
        Router r = defaultRouter();
        if (r != null) {
            routeHi = r.hi;
            routeLo = r.lo;
            return true;
        }
        if (config.gateway6 != null) {
            routeHi = config.gateway6.hi();
            routeLo = config.gateway6.lo();
            return true;
        }
        return false;
    }

    public long routeHi() {
        return routeHi;
    }

    public long routeLo() {
        return routeLo;
    }

    public boolean onLink(long hi, long lo) {
        if (Ipv6Address.isLinkLocal(hi)) {
            return true;
        }
        for (Ipv6InterfaceAddress s : config.ipv6) {
            if (s.contains(hi, lo)) {
                return true;
            }
        }
        for (Prefix p : prefixes) {
            if (Ipv6Address.inPrefix(hi, lo, p.hi, p.lo, p.length)) {
                return true;
            }
        }
        return false;
    }

    /** RFC 4861 §6.3.6: prefer a router that is (probably) reachable, else the first. */
    private Router defaultRouter() {
        for (Router r : routers) {
            Neighbor n = cache.get(r.hi, r.lo);
            if (n != null && n.state != State.INCOMPLETE) {
                return r;
            }
        }
        return routers.isEmpty() ? null : routers.get(0);
    }

    /** Default routers as text, for display. */
    public List<String> routers() {
        List<String> l = new ArrayList<>();
        for (Router r : routers) {
            l.add(Ipv6Address.toString(r.hi, r.lo));
        }
        return l;
    }

    /** On-link prefixes learnt from RAs, as text. */
    public List<String> prefixes() {
        List<String> l = new ArrayList<>();
        for (Prefix p : prefixes) {
            l.add(Ipv6Address.toString(p.hi, p.lo) + "/" + p.length);
        }
        return l;
    }

    // ---- address resolution (RFC 4861 §7.2, §7.3) ----

    /** The neighbour entry for an address, or null. */
    public Neighbor neighbor(long hi, long lo) {
        return cache.get(hi, lo);
    }

    public int cacheSize() {
        return cache.size();
    }

    /** Snapshot of the cache for display. */
    public List<Neighbor> neighbors() {
        List<Neighbor> l = new ArrayList<>();
        cache.forEach(l::add);
        return l;
    }

    /**
     * Sends an IPv6 packet (window: IPv6 header onward) to the neighbour {@code (hi,lo)},
     * resolving its link-layer address first if needed. Takes ownership of {@code p}.
     */
    public void output(PacketBuf p, long hi, long lo) {
        Neighbor e = cache.get(hi, lo);
        long now = ctx.now();
        if (e == null) {
            e = new Neighbor(hi, lo);
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
    public void confirmReachable(long hi, long lo) {
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
        ctx.timers().schedule(e.timer, ctx.now() + reachableTime);
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
    private void learn(long hi, long lo, long mac, boolean isRouter) {
        Neighbor e = cache.get(hi, lo);
        if (e == null) {
            e = new Neighbor(hi, lo);
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
        if (!ip().isLocal(sHi, sLo)) {
            LocalAddress a = ip().selectSource(e.hi, e.lo);
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
                out.sendNs(e.hi, e.lo, sHi, sLo, e.hi, e.lo, unicastMac);
            } else {
                out.sendNs(e.hi, e.lo, sHi, sLo, Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(e.lo), -1);
            }
        }
        ctx.timers().schedule(e.timer, now + retrans);
    }

    // ---- input ----

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
            case Icmpv6.NEIGHBOR_SOLICITATION -> ns(b, off, meta);
            case Icmpv6.NEIGHBOR_ADVERTISEMENT -> na(b, off, meta);
            case Icmpv6.ROUTER_ADVERTISEMENT -> ra(b, off, meta);
            case Icmpv6.ROUTER_SOLICITATION -> {
                // RFC 4861 §6.1.1: unspecified source → no SLLA option.
                if (Ipv6Address.isUnspecified(meta.srcHi, meta.srcLo) && opts.find(NdpOptions.SOURCE_LLA) >= 0) {
                    counters.inc(NdpCounter.DROP_SLLA_FROM_UNSPECIFIED);
                    return;
                }
                // §6.2.6: only routers answer; a host ignores RSs.
                Ipv6Router r = ip().router();
                if (r != null && r.forwarding()) {
                    r.solicited(ip());
                } else {
                    counters.inc(NdpCounter.RS_IGNORED);
                }
            }
            default -> redirect(b, off, meta);
        }
    }

    /** Destinations redirected by their first-hop router: value {target hi, target lo, expiry} (RFC 4861 §8.3). */
    private AddrMap<long[]> redirects = new AddrMap<>(MAX_REDIRECTS);
    /** Bound on the redirect entries of the destination cache; when full the table starts again. */
    static final int MAX_REDIRECTS = 64;

    /**
     * RFC 4861 §8.1 validation (beyond hop limit, code and length) and §8.3 processing of a
     * Redirect: the source must be link-local and the current first-hop router for the
     * destination; the destination not multicast; the target link-local (a better router) or
     * the destination itself (it is on-link). The destination then goes to the target (kept as
     * long as a path MTU is, {@code pmtuAgingNanos}); a Target Link-Layer Address option
     * updates the target's neighbour entry, and a target that is not the destination is a router.
     */
    private void redirect(ByteBuffer b, int off, IpMeta meta) {
        long tHi = b.getLong(off + 8);
        long tLo = b.getLong(off + 16);
        long dHi = b.getLong(off + 24);
        long dLo = b.getLong(off + 32);
        if (!Ipv6Address.isLinkLocal(meta.srcHi)) {
            counters.inc(NdpCounter.DROP_BAD_SOURCE);
            return;
        }
        if (Ipv6Address.isMulticast(dHi)) {
            counters.inc(NdpCounter.DROP_BAD_DESTINATION);
            return;
        }
        boolean onLink = tHi == dHi && tLo == dLo;
        if (!onLink && !Ipv6Address.isLinkLocal(tHi) || Ipv6Address.isMulticast(tHi)) {
            counters.inc(NdpCounter.DROP_BAD_TARGET);
            return;
        }
        if (!route(dHi, dLo) || routeHi != meta.srcHi || routeLo != meta.srcLo) {
            // §8.1: "the IP source address of the Redirect is the same as the current first-hop router"
            counters.inc(NdpCounter.REDIRECT_IGNORED);
            return;
        }
        int tlla = opts.find(NdpOptions.TARGET_LLA);
        if (tlla >= 0) {
            if (opts.optionLengthAt(tlla) != NdpOptions.LLA_OPTION_LEN) {
                counters.inc(NdpCounter.DROP_BAD_OPTION);
                return;
            }
            learn(tHi, tLo, NdpOptions.lla(b, tlla), !onLink);
        } else if (!onLink) {
            Neighbor n = cache.get(tHi, tLo);
            if (n != null) {
                n.router = true;
            }
        }
        long[] e = redirects.get(dHi, dLo);
        if (e == null) {
            e = new long[3];
            if (!redirects.put(dHi, dLo, e)) {
                redirects = new AddrMap<>(MAX_REDIRECTS);
                redirects.put(dHi, dLo, e);
            }
        }
        e[0] = tHi;
        e[1] = tLo;
        e[2] = ctx.now() + config.pmtuAgingNanos;
        counters.inc(NdpCounter.REDIRECT_ACCEPTED);
    }

    /** RFC 4861 §7.1.1 validation (rest) and §7.2.3/§7.2.4 processing; RFC 4862 §5.4.3 for DAD. */
    private void ns(ByteBuffer b, int off, IpMeta meta) {
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
        LocalAddress a = ip().find(tHi, tLo);
        if (a == null || a.state() == LocalAddress.State.DUPLICATE) {
            counters.inc(NdpCounter.NS_NOT_FOR_US);
            return;
        }
        if (a.state() == LocalAddress.State.TENTATIVE) {
            // RFC 4862 §5.4.3: an NS from :: for our tentative address is another node's DAD →
            // duplicate. An NS from a unicast source is address resolution: ignore it.
            if (fromUnspecified) {
                dadFailed(a);
            }
            return;
        }
        long srcMac = slla >= 0 && opts.optionLengthAt(slla) >= NdpOptions.LLA_OPTION_LEN ? NdpOptions.lla(b, slla) : -1;
        if (!fromUnspecified && srcMac >= 0) {
            learn(meta.srcHi, meta.srcLo, srcMac, false);
        }
        // §7.2.4: answer with S=1 to the solicitor, or S=0 to all-nodes if it was ::; O=1.
        if (fromUnspecified) {
            out.sendNa(tHi, tLo, Ipv6Address.ALL_NODES_HI, Ipv6Address.ALL_NODES_LO, false, -1);
        } else {
            out.sendNa(tHi, tLo, meta.srcHi, meta.srcLo, true, srcMac);
        }
    }

    /** RFC 4861 §7.1.2 validation (rest) and §7.2.5 processing; RFC 4862 §5.4.4 for DAD. */
    private void na(ByteBuffer b, int off, IpMeta meta) {
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
        LocalAddress a = ip().find(tHi, tLo);
        if (a != null) {
            if (a.state() == LocalAddress.State.TENTATIVE) {
                // RFC 4862 §5.4.4: someone already uses our tentative address.
                dadFailed(a);
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
            removeRouter(tHi, tLo);
        }
        e.router = router;
    }

    /** RFC 4861 §6.1.2 validation (rest) and §6.3.4 processing; RFC 4862 §5.5.3 SLAAC. */
    private void ra(ByteBuffer b, int off, IpMeta meta) {
        if (!Ipv6Address.isLinkLocal(meta.srcHi)) {
            counters.inc(NdpCounter.DROP_BAD_SOURCE);
            return;
        }
        raSeen = true;
        ctx.timers().cancel(rsTimer);
        long now = ctx.now();
        int curHop = b.get(off + 4) & 0xff;
        if (curHop != 0) {
            ip().setHopLimit(curHop);
        }
        int lifetime = b.getShort(off + 6) & 0xffff;
        long reach = b.getInt(off + 8) & 0xffff_ffffL;
        long retransMs = b.getInt(off + 12) & 0xffff_ffffL;
        if (reach != 0 && reach * 1_000_000L != baseReachable) {
            baseReachable = reach * 1_000_000L;
            reachableTime = randomReachable();
        }
        if (retransMs != 0) {
            retrans = retransMs * 1_000_000L;
        }
        updateRouter(meta.srcHi, meta.srcLo, lifetime, now);
        opts.rewind();
        while (opts.next()) {
            int at = opts.optionOffset();
            switch (opts.type()) {
                case NdpOptions.SOURCE_LLA -> {
                    if (opts.optionLength() >= NdpOptions.LLA_OPTION_LEN) {
                        learn(meta.srcHi, meta.srcLo, NdpOptions.lla(b, at), true);
                    }
                }
                case NdpOptions.MTU -> {
                    long mtu = b.getInt(at + 4) & 0xffff_ffffL;
                    // §6.3.4: accept an MTU within [1280, the link's maximum].
                    if (opts.optionLength() == 8 && mtu >= PathMtuCache.IPV6_MIN_MTU && mtu <= link.mtu()) {
                        ip().setLinkMtu((int) mtu);
                        counters.inc(NdpCounter.MTU_UPDATED);
                    }
                }
                case NdpOptions.PREFIX_INFO -> {
                    if (opts.optionLength() == 32) {
                        prefixInfo(b, at, now);
                    }
                }
                case NdpOptions.RDNSS -> rdnss.option(b, at, opts.optionLength(), now);
                default -> {
                    // §4.6: unrecognised options are skipped.
                }
            }
        }
    }

    private void updateRouter(long hi, long lo, int lifetimeSec, long now) {
        Router r = null;
        for (Router x : routers) {
            if (x.hi == hi && x.lo == lo) {
                r = x;
            }
        }
        if (lifetimeSec == 0) {
            // §6.3.4: lifetime 0 → time out the entry immediately.
            if (r != null) {
                removeRouter(hi, lo);
            }
            return;
        }
        if (r == null) {
            if (routers.size() >= config.ndMaxRouters) {
                // RFC 4861 §6.3.4: a host MAY limit the routers (and prefixes) it stores; against RA floods
                counters.inc(NdpCounter.DROP_ROUTERS_FULL);
                return;
            }
            Timer t = new Timer(n -> removeRouter(hi, lo));
            r = new Router(hi, lo, t);
            routers.add(r);
            counters.inc(NdpCounter.ROUTERS_ADDED);
        }
        ctx.timers().schedule(r.timer, now + lifetimeSec * 1_000_000_000L);
    }

    private void removeRouter(long hi, long lo) {
        for (int i = 0; i < routers.size(); i++) {
            Router r = routers.get(i);
            if (r.hi == hi && r.lo == lo) {
                ctx.timers().cancel(r.timer);
                routers.remove(i);
                counters.inc(NdpCounter.ROUTERS_REMOVED);
                return;
            }
        }
    }

    /** RFC 4862 §5.5.3: a lifetime in seconds from an option → a deadline (all ones: infinite). */
    static long deadline(long now, long seconds) {
        return seconds == 0xffff_ffffL ? INFINITE : now + seconds * 1_000_000_000L;
    }

    /** Prefix Information: on-link (RFC 4861 §6.3.4) and autonomous (RFC 4862 §5.5.3). */
    private void prefixInfo(ByteBuffer b, int at, long now) {
        int plen = b.get(at + NdpOptions.PI_PREFIX_LENGTH) & 0xff;
        int flags = b.get(at + NdpOptions.PI_FLAGS) & 0xff;
        long valid = b.getInt(at + NdpOptions.PI_VALID) & 0xffff_ffffL;
        long preferred = b.getInt(at + NdpOptions.PI_PREFERRED) & 0xffff_ffffL;
        if (plen > 128) {
            counters.inc(NdpCounter.SLAAC_IGNORED);
            return;
        }
        long pHi = Ipv6Address.maskHi(b.getLong(at + NdpOptions.PI_PREFIX), plen);
        long pLo = Ipv6Address.maskLo(b.getLong(at + NdpOptions.PI_PREFIX + 8), plen);
        if (Ipv6Address.isLinkLocal(pHi)) {
            // §6.3.4 / RFC 4862 §5.5.3 (b): the link-local prefix is ignored.
            counters.inc(NdpCounter.SLAAC_IGNORED);
            return;
        }
        if ((flags & NdpOptions.PI_FLAG_ONLINK) != 0) {
            onLinkPrefix(pHi, pLo, plen, valid, now);
        }
        if ((flags & NdpOptions.PI_FLAG_AUTO) == 0 || !config.ipv6Auto) {
            return;
        }
        // RFC 4862 §5.5.3 (c): preferred > valid → ignore the option.
        if (preferred > valid) {
            counters.inc(NdpCounter.SLAAC_IGNORED);
            return;
        }
        LocalAddress existing = null;
        for (LocalAddress a : ip().addresses()) {
            if (a.origin() == LocalAddress.Origin.SLAAC && a.state() != LocalAddress.State.DUPLICATE
                    && a.prefixLength() == plen && Ipv6Address.inPrefix(a.hi(), a.lo(), pHi, pLo, plen)) {
                existing = a;
            }
        }
        if (existing == null) {
            // (d): form an address if the prefix and the 64-bit identifier make 128 bits.
            if (valid == 0 || plen != 64) {
                counters.inc(NdpCounter.SLAAC_IGNORED);
                return;
            }
            int auto = 0;
            for (LocalAddress a : ip().addresses()) {
                if (a.origin() == LocalAddress.Origin.SLAAC) {
                    auto++;
                }
            }
            if (auto >= config.ipv6MaxAutoAddresses) {
                counters.inc(NdpCounter.SLAAC_IGNORED);
                return;
            }
            counters.inc(NdpCounter.SLAAC_ADDRESSES);
            addGenerated(pHi, LocalAddress.Origin.SLAAC, 0, deadline(now, valid), deadline(now, preferred));
            return;
        }
        // (e): update the lifetimes of the address formed from this prefix.
        long newPreferred = deadline(now, preferred);
        long remaining = existing.validUntil() == INFINITE ? INFINITE : existing.validUntil() - now;
        long receivedNanos = valid == 0xffff_ffffL ? INFINITE : valid * 1_000_000_000L;
        long newValid;
        if (receivedNanos > TWO_HOURS_NANOS || receivedNanos > remaining) {
            newValid = deadline(now, valid);
        } else if (remaining <= TWO_HOURS_NANOS) {
            newValid = existing.validUntil();
        } else {
            newValid = now + TWO_HOURS_NANOS;
        }
        existing.setLifetimes(newValid, newPreferred);
        if (existing.state() == LocalAddress.State.DEPRECATED && newPreferred - now > 0) {
            existing.setState(LocalAddress.State.PREFERRED);
        }
        if (existing.state() != LocalAddress.State.TENTATIVE) {
            if (existing.state() == LocalAddress.State.PREFERRED && newPreferred != INFINITE && newPreferred - now <= 0) {
                existing.setState(LocalAddress.State.DEPRECATED);
            }
            scheduleLifetime(existing);
        }
    }

    private void onLinkPrefix(long pHi, long pLo, int plen, long valid, long now) {
        Prefix found = null;
        for (Prefix p : prefixes) {
            if (p.hi == pHi && p.lo == pLo && p.length == plen) {
                found = p;
            }
        }
        if (valid == 0) {
            if (found != null) {
                removePrefix(found);
            }
            return;
        }
        if (found == null) {
            if (prefixes.size() >= config.ndMaxPrefixes) {
                counters.inc(NdpCounter.DROP_PREFIXES_FULL);
                return;
            }
            Prefix[] self = new Prefix[1];
            found = new Prefix(pHi, pLo, plen, new Timer(n -> removePrefix(self[0])));
            self[0] = found;
            prefixes.add(found);
            counters.inc(NdpCounter.PREFIXES_ADDED);
        }
        if (valid == 0xffff_ffffL) {
            ctx.timers().cancel(found.timer);
        } else {
            ctx.timers().schedule(found.timer, now + valid * 1_000_000_000L);
        }
    }

    private void removePrefix(Prefix p) {
        ctx.timers().cancel(p.timer);
        if (prefixes.remove(p)) {
            counters.inc(NdpCounter.PREFIXES_REMOVED);
        }
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

    /** For display: the MAC of a neighbour as text, or null. */
    public String lookupText(long hi, long lo) {
        Neighbor n = cache.get(hi, lo);
        return n == null || n.state == State.INCOMPLETE ? null : MacAddress.toString(n.mac);
    }
}
