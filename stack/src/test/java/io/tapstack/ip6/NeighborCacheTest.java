package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.NdpOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.ip6.Ipv6InputTest.A;
import static io.tapstack.ip6.Ipv6InputTest.B;
import static io.tapstack.ip6.Ipv6InputTest.MAC_A;
import static io.tapstack.ip6.Ipv6InputTest.MAC_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Neighbor Cache's bound and eviction order (RFC 4861 §5.1, §7.3.2; RFC 6583 §6): the least
 * recently updated resolved entry gives way, in O(1); entries being resolved are protected.
 */
class NeighborCacheTest {
    static final long SEC = 1_000_000_000L;
    static final long MS = 1_000_000L;

    static TwoHosts hosts(int cacheSize) {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.ndCacheSize = cacheSize);
        h.a.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::1/64"));
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        h.run(3 * SEC, SEC / 10);
        return h;
    }

    /** A spoofed on-link source number {@code i}: fe80::1:i with MAC 02:00:00:01:i. */
    static IpAddr source(int i) {
        return IpAddr.of(0xfe80_0000_0000_0000L, 0x0001_0000_0000L + i);
    }

    static long mac(int i) {
        return 0x0200_0001_0000L + i;
    }

    /** A Neighbor Solicitation for B's address from source {@code i}, with its link-layer address (RFC 4861 §7.2.3: B learns it). */
    static byte[] nsToB(int i) {
        IpAddr s = source(i);
        ByteBuffer ns = ByteBuffer.allocate(32);
        Icmpv6.emitHeader(ns, 0, Icmpv6.NEIGHBOR_SOLICITATION, 0, 0);
        ns.putLong(8, B.hi()).putLong(16, B.lo());
        NdpOptions.emitLla(ns, 24, NdpOptions.SOURCE_LLA, mac(i));
        return Frames.ipv6(MAC_B, mac(i), s.hi(), s.lo(), B.hi(), B.lo(), 58, 255, Ipv6InputTest.nd(s, B, ns.array()));
    }

    static long ndp(NetStack s, NdpCounter c) {
        return s.ndp().counters().get(c);
    }

    static Ndp.Neighbor entry(NetStack s, IpAddr a) {
        return s.ndp().neighbor(a.hi(), a.lo());
    }

    /** B learns source {@code i}; a millisecond passes (far from any NUD timer: the order is the test). */
    static void learn(TwoHosts h, int i) {
        h.wireB.inject(nsToB(i));
        h.settle();
        h.clock.advance(MS);
    }

    @Test
    void evictionTakesTheLeastRecentlyUpdatedEntry_rfc4861s73() {
        TwoHosts h = hosts(4);
        assertEquals(0, h.b.ndp().cacheSize());
        long naBefore = ndp(h.b, NdpCounter.TX_NA); // the unsolicited ones announcing B's addresses
        for (int i = 0; i < 4; i++) {
            learn(h, i);
        }
        assertEquals(4, h.b.ndp().cacheSize());
        // source 0 is confirmed reachable now (RFC 4861 §7.3.1): it becomes the most recently updated
        h.b.ndp().confirmReachable(source(0).hi(), source(0).lo());
        h.clock.advance(MS);
        learn(h, 4);
        learn(h, 5);
        assertEquals(4, h.b.ndp().cacheSize());
        assertNotNull(entry(h.b, source(0)), "updated last but two, kept");
        assertNull(entry(h.b, source(1)), "least recently updated, evicted first");
        assertNull(entry(h.b, source(2)));
        assertNotNull(entry(h.b, source(3)));
        assertNotNull(entry(h.b, source(4)));
        assertNotNull(entry(h.b, source(5)));
        assertEquals(mac(5), entry(h.b, source(5)).mac());
        assertEquals(2, ndp(h.b, NdpCounter.EVICTED));
        assertEquals(6, ndp(h.b, NdpCounter.TX_NA) - naBefore, "every solicitation was answered");
    }

    /**
     * RFC 4861 §7.2.2: an INCOMPLETE entry holds the packets waiting for its resolution; a flood of
     * new neighbours evicts resolved entries, never it, and its packet leaves once it resolves.
     */
    @Test
    void entriesBeingResolvedAreNotEvicted_rfc4861s722() {
        TwoHosts h = hosts(8);
        IpAddr waiting = IpAddr.parse("2001:db8::77");
        List<Long> echoTo = new ArrayList<>(); // destination MACs of B's echo requests
        h.b.addFrameTap((buf, off, len, wall, outbound) -> {
            if (outbound && len > 14 + 40 && buf.getShort(off + 12) == (short) 0x86dd && (buf.get(off + 14 + 6) & 0xff) == 58
                    && (buf.get(off + 14 + 40) & 0xff) == Icmpv6.ECHO_REQUEST) {
                echoTo.add(io.tapstack.wire.MacAddress.read(buf, off));
            }
        });
        assertTrue(h.b.icmp6().sendEchoRequest(waiting.hi(), waiting.lo(), 1, 1, new byte[8]));
        h.settle();
        assertEquals(Ndp.State.INCOMPLETE, entry(h.b, waiting).state());
        for (int i = 0; i < 40; i++) {
            h.wireB.inject(nsToB(i));
            h.settle();
        }
        assertEquals(8, h.b.ndp().cacheSize());
        assertEquals(40 - 7, ndp(h.b, NdpCounter.EVICTED));
        assertEquals(Ndp.State.INCOMPLETE, entry(h.b, waiting).state(), "still being resolved");
        assertTrue(echoTo.isEmpty());
        // the neighbour answers (solicited, with its link-layer address): the queued packet leaves to it
        long macW = 0x0200_0000_0077L;
        ByteBuffer na = ByteBuffer.allocate(32);
        Icmpv6.emitHeader(na, 0, Icmpv6.NEIGHBOR_ADVERTISEMENT, 0, 0x6000_0000); // S and O
        na.putLong(8, waiting.hi()).putLong(16, waiting.lo());
        NdpOptions.emitLla(na, 24, NdpOptions.TARGET_LLA, macW);
        h.wireB.inject(Frames.ipv6(MAC_B, macW, waiting.hi(), waiting.lo(), B.hi(), B.lo(), 58, 255,
                Ipv6InputTest.nd(waiting, B, na.array())));
        h.settle();
        assertEquals(Ndp.State.REACHABLE, entry(h.b, waiting).state());
        assertEquals(List.of(macW), echoTo, "the packet that waited was sent");
    }

    /**
     * RFC 6583 §6: traffic towards addresses that never answer takes the free room, but once half
     * the cache is being resolved a new resolution no longer evicts a resolved neighbour.
     */
    @Test
    void resolutionsCannotPushOutResolvedNeighbours_rfc6583s6() {
        TwoHosts h = hosts(8);
        assertTrue(h.a.icmp6().sendEchoRequest(B.hi(), B.lo(), 1, 1, new byte[8]));
        h.settle();
        long macB = entry(h.a, B).mac();
        assertEquals(MAC_B, macB);
        for (int i = 0; i < 20; i++) {
            IpAddr nobody = IpAddr.of(B.hi(), 0x1000 + i);
            h.a.icmp6().sendEchoRequest(nobody.hi(), nobody.lo(), 1, i, new byte[8]);
        }
        assertEquals(8, h.a.ndp().cacheSize());
        assertEquals(7, h.a.ndp().neighborCache().resolving());
        assertEquals(20 - 7, ndp(h.a, NdpCounter.DROP_CACHE_FULL));
        assertEquals(0, ndp(h.a, NdpCounter.EVICTED));
        assertEquals(macB, entry(h.a, B).mac(), "the resolved neighbour stays");
        // the resolutions fail (RFC 4861 §7.2.2: three solicitations), and their room is free again
        h.run(5 * SEC, SEC / 10);
        assertEquals(1, h.a.ndp().cacheSize());
        assertEquals(0, h.a.ndp().neighborCache().resolving());
        assertNotNull(entry(h.a, B));
    }

    /**
     * A flood of N ≫ capacity spoofed sources (NdFloodIT's NS case): every new source after the
     * cache is full evicts one entry, and choosing it examines one entry, not the whole cache.
     */
    @Test
    void aFloodOfNewSourcesCostsOneEntryExaminedPerEviction() {
        int cap = 1024;
        int n = 20_000;
        TwoHosts h = hosts(cap);
        for (int i = 0; i < n; i++) {
            h.wireB.inject(nsToB(i));
            if (i % 64 == 63) {
                h.settle();
            }
        }
        h.settle();
        NeighborCache c = h.b.ndp().neighborCache();
        assertEquals(cap, h.b.ndp().cacheSize());
        assertEquals(n - cap, ndp(h.b, NdpCounter.EVICTED));
        assertEquals(n, ndp(h.b, NdpCounter.LEARNED));
        assertEquals(n - cap, c.examined(), "one entry examined per eviction (a scan would be " + cap + ")");
        for (int i = n - cap; i < n; i++) {
            assertNotNull(entry(h.b, source(i)), "the newest sources are kept");
        }
        assertNull(entry(h.b, source(n - cap - 1)));
        assertEquals(0, h.b.linkStats().get(io.tapstack.link.LinkCounter.INTERNAL_ERROR));
    }
}
