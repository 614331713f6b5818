package io.tapstack.ip6;

import io.tapstack.loop.Timer;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Address;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.ip6.Ndp.INFINITE;
import static io.tapstack.ip6.Ndp.deadline;

/**
 * DNS servers from Router Advertisements (RFC 8106): the Recursive DNS Server option is checked
 * (§5.1) and its servers kept with their lifetimes, at most {@link #MAX_RDNSS}, the one expiring
 * soonest giving way (§5.3.1, §5.3.2); the stack's resolver is told the whole list whenever it
 * changes. A part of {@link Ndp}, which hands it the option from {@link RouterDiscovery}.
 */
final class Rdnss extends NdPart {
    /** RFC 8106 §5.3.1 suggests keeping three servers. */
    static final int MAX_RDNSS = 3;

    /** RFC 8106 §5.3.1: DNS servers from RDNSS options, {hi, lo, expiry}; at most {@link #MAX_RDNSS}. */
    private final List<long[]> rdnss = new ArrayList<>();
    private final Timer rdnssTimer = new Timer(this::expireRdnss);
    private java.util.function.Consumer<List<IpAddr>> dnsListener;

    Rdnss(Ndp nd) {
        super(nd);
    }

    /**
     * Where the DNS servers learnt from RDNSS options go (the stack's resolver), called with the
     * whole current list whenever it changes.
     */
    void setDnsListener(java.util.function.Consumer<List<IpAddr>> l) {
        this.dnsListener = l;
    }

    /** DNS servers currently known from RDNSS options. */
    List<IpAddr> dnsServers() {
        List<IpAddr> l = new ArrayList<>();
        for (long[] e : rdnss) {
            l.add(IpAddr.of(e[0], e[1]));
        }
        return l;
    }

    /** RFC 8106 §5.1 (format) and §5.3.1 (processing) of a Recursive DNS Server option. */
    void option(ByteBuffer b, int at, int len, long now) {
        // Length ≥ 3 (in 8-octet units) and odd: a header of 8 bytes and 16 bytes per address.
        if (len < 24 || (len - 8) % 16 != 0) {
            counters.inc(NdpCounter.DROP_BAD_RDNSS);
            return;
        }
        long life = b.getInt(at + 4) & 0xffff_ffffL;
        for (int a = at + 8; a < at + len; a += 16) {
            long hi = b.getLong(a);
            long lo = b.getLong(a + 8);
            if (Ipv6Address.isMulticast(hi) || (hi == 0 && (lo == 0 || lo == 1))) {
                continue; // not a unicast server address
            }
            rdnss.removeIf(e -> e[0] == hi && e[1] == lo);
            if (life == 0) {
                continue; // §5.1: lifetime 0 removes the server
            }
            if (rdnss.size() >= MAX_RDNSS) {
                // §5.3.2: full: replace the entry that expires soonest
                long[] soonest = rdnss.get(0);
                for (long[] e : rdnss) {
                    if (e[2] < soonest[2]) {
                        soonest = e;
                    }
                }
                rdnss.remove(soonest);
            }
            rdnss.add(new long[] {hi, lo, deadline(now, life)});
        }
        counters.inc(NdpCounter.RDNSS_UPDATED);
        rdnssChanged();
    }

    private void expireRdnss(long now) {
        if (rdnss.removeIf(e -> e[2] <= now)) {
            counters.inc(NdpCounter.RDNSS_EXPIRED);
        }
        rdnssChanged();
    }

    private void rdnssChanged() {
        long next = INFINITE;
        for (long[] e : rdnss) {
            next = Math.min(next, e[2]);
        }
        if (next == INFINITE) {
            ctx.timers().cancel(rdnssTimer);
        } else {
            ctx.timers().schedule(rdnssTimer, next);
        }
        if (dnsListener != null) {
            dnsListener.accept(dnsServers());
        }
    }
}
