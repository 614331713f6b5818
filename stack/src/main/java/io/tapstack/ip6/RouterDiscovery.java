package io.tapstack.ip6;

import io.tapstack.ip.IpMeta;
import io.tapstack.ip6.Ndp.Neighbor;
import io.tapstack.ip6.Ndp.State;
import io.tapstack.loop.Timer;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Router discovery on a host (RFC 4861 §6.3): Router Solicitations at start-up (§6.3.7), Router
 * Advertisements processed (§6.1.2 validation, §6.3.4: the link's hop limit, MTU,
 * BaseReachableTime and RetransTimer, §6.3.2 the random ReachableTime), the Default Router List
 * and the on-link Prefix List each bounded and aged, and next-hop determination (§5.2, §6.3.6,
 * RFC 4943) over them and the destinations a Redirect changed ({@link Redirects}). The Prefix
 * Information option's autonomous half goes to {@link AddressConfig} (RFC 4862 §5.5.3), the RDNSS
 * option to {@link Rdnss} (RFC 8106). A part of {@link Ndp}.
 */
final class RouterDiscovery extends NdPart {
    private record Router(long hi, long lo, Timer timer) {
    }

    private record Prefix(long hi, long lo, int length, Timer timer) {
    }

    private final List<Router> routers = new ArrayList<>();
    private final List<Prefix> prefixes = new ArrayList<>();
    private final Timer rsTimer = new Timer(this::onRsTimer);
    private int rsSent;
    private boolean raSeen;
    private long baseReachable;
    private long reachableTime;
    private long retrans;
    private long routeHi;
    private long routeLo;

    RouterDiscovery(Ndp nd) {
        super(nd);
        this.baseReachable = config.ndBaseReachableNanos;
        this.retrans = config.ndRetransNanos;
        this.reachableTime = randomReachable();
    }

    /** RFC 4861 §6.3.2: ReachableTime uniformly in [0.5, 1.5] × BaseReachableTime. */
    private long randomReachable() {
        return (long) (baseReachable * (0.5 + ctx.random().nextDouble()));
    }

    long reachableTime() {
        return reachableTime;
    }

    long retransTimer() {
        return retrans;
    }

    // ---- router solicitation (RFC 4861 §6.3.7) ----

    void startRouterSolicitation() {
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
        nd.out.sendRs();
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
    boolean route(long dstHi, long dstLo) {
        long[] redirected = nd.redirects.lookup(dstHi, dstLo, ctx.now());
        if (redirected != null) {
            // RFC 4861 §8.3: the destination cache entry a Redirect made
            routeHi = redirected[0];
            routeLo = redirected[1];
            return true;
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

    long routeHi() {
        return routeHi;
    }

    long routeLo() {
        return routeLo;
    }

    boolean onLink(long hi, long lo) {
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
            Neighbor n = nd.nud.neighbor(r.hi, r.lo);
            if (n != null && n.state != State.INCOMPLETE) {
                return r;
            }
        }
        return routers.isEmpty() ? null : routers.get(0);
    }

    /** Default routers as text, for display. */
    List<String> routers() {
        List<String> l = new ArrayList<>();
        for (Router r : routers) {
            l.add(Ipv6Address.toString(r.hi, r.lo));
        }
        return l;
    }

    /** On-link prefixes learnt from RAs, as text. */
    List<String> prefixes() {
        List<String> l = new ArrayList<>();
        for (Prefix p : prefixes) {
            l.add(Ipv6Address.toString(p.hi, p.lo) + "/" + p.length);
        }
        return l;
    }

    /** RFC 4861 §6.1.2 validation (rest) and §6.3.4 processing; RFC 4862 §5.5.3 SLAAC. */
    void ra(ByteBuffer b, int off, IpMeta meta) {
        if (!Ipv6Address.isLinkLocal(meta.srcHi)) {
            counters.inc(NdpCounter.DROP_BAD_SOURCE);
            return;
        }
        raSeen = true;
        ctx.timers().cancel(rsTimer);
        long now = ctx.now();
        int curHop = b.get(off + 4) & 0xff;
        if (curHop != 0) {
            ipv6.setHopLimit(curHop);
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
                        nd.nud.learn(meta.srcHi, meta.srcLo, NdpOptions.lla(b, at), true);
                    }
                }
                case NdpOptions.MTU -> {
                    long mtu = b.getInt(at + 4) & 0xffff_ffffL;
                    // §6.3.4: accept an MTU within [1280, the link's maximum].
                    if (opts.optionLength() == 8 && mtu >= PathMtuCache.IPV6_MIN_MTU && mtu <= link.mtu()) {
                        ipv6.setLinkMtu((int) mtu);
                        counters.inc(NdpCounter.MTU_UPDATED);
                    }
                }
                case NdpOptions.PREFIX_INFO -> {
                    if (opts.optionLength() == 32) {
                        nd.addresses.prefixInfo(b, at, now);
                    }
                }
                case NdpOptions.RDNSS -> nd.rdnss.option(b, at, opts.optionLength(), now);
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

    void removeRouter(long hi, long lo) {
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

    void onLinkPrefix(long pHi, long pLo, int plen, long valid, long now) {
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
}
