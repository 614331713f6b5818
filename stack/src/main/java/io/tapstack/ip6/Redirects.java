package io.tapstack.ip6;

import io.tapstack.ip.IpMeta;
import io.tapstack.ip6.Ndp.Neighbor;
import io.tapstack.util.AddrMap;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.NdpOptions;

import java.nio.ByteBuffer;

/**
 * Redirect processing on a host (RFC 4861 §8): a Redirect is validated (§8.1) and its
 * destination sent to a better first hop or marked on-link (§8.3) in a bounded destination
 * cache that {@link RouterDiscovery}'s next-hop determination consults first. A part of
 * {@link Ndp}.
 */
final class Redirects extends NdPart {
    /** Destinations redirected by their first-hop router: value {target hi, target lo, expiry} (RFC 4861 §8.3). */
    private AddrMap<long[]> redirects = new AddrMap<>(MAX_REDIRECTS);
    /** Bound on the redirect entries of the destination cache; when full the table starts again. */
    static final int MAX_REDIRECTS = 64;

    Redirects(Ndp nd) {
        super(nd);
    }

    /**
     * RFC 4861 §8.1 validation (beyond hop limit, code and length) and §8.3 processing of a
     * Redirect: the source must be link-local and the current first-hop router for the
     * destination; the destination not multicast; the target link-local (a better router) or
     * the destination itself (it is on-link). The destination then goes to the target (kept as
     * long as a path MTU is, {@code pmtuAgingNanos}); a Target Link-Layer Address option
     * updates the target's neighbour entry, and a target that is not the destination is a router.
     */
    void redirect(ByteBuffer b, int off, IpMeta meta) {
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
        if (!nd.rd.route(dHi, dLo) || nd.rd.routeHi() != meta.srcHi || nd.rd.routeLo() != meta.srcLo) {
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
            nd.nud.learn(tHi, tLo, NdpOptions.lla(b, tlla), !onLink);
        } else if (!onLink) {
            Neighbor n = nd.nud.neighbor(tHi, tLo);
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

    /**
     * RFC 4861 §8.3: the destination cache entry a Redirect made for a destination, {target hi,
     * target lo, expiry}, while it lasts; null if none (an expired one is removed).
     */
    long[] lookup(long dstHi, long dstLo, long now) {
        long[] redirected = redirects.get(dstHi, dstLo);
        if (redirected != null) {
            if (now - redirected[2] < 0) {
                return redirected;
            }
            redirects.remove(dstHi, dstLo);
        }
        return null;
    }
}
