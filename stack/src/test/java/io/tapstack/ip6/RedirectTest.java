package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.NdpOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 4861 §8: Redirect validation (§8.1) and processing (§8.3) by a host. */
class RedirectTest {
    static final IpAddr ROUTER = IpAddr.parse("fe80::1");
    static final long ROUTER_MAC = 0x020000000001L;
    static final IpAddr BETTER = IpAddr.parse("fe80::2:2");
    static final long BETTER_MAC = 0x020000000077L;
    static final IpAddr FAR = IpAddr.parse("2001:db8:ff::9");
    static final IpAddr B = IpAddr.parse("2001:db8::2");

    static TwoHosts host() {
        TwoHosts h = new TwoHosts(1500, -1, c -> {
            c.dadTransmits = 0;
            c.gateway6 = ROUTER;
        });
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        h.settle();
        return h;
    }

    /** A Redirect to B from {@code src}: {@code target} is the better first hop for {@code dst}. */
    static byte[] redirect(IpAddr src, int hopLimit, IpAddr target, IpAddr dst, long tlla) {
        int len = 40 + (tlla >= 0 ? 8 : 0);
        ByteBuffer m = ByteBuffer.allocate(len);
        Icmpv6.emitHeader(m, 0, Icmpv6.REDIRECT, 0, 0);
        m.putLong(8, target.hi()).putLong(16, target.lo()).putLong(24, dst.hi()).putLong(32, dst.lo());
        if (tlla >= 0) {
            NdpOptions.emitLla(m, 40, NdpOptions.TARGET_LLA, tlla);
        }
        IpAddr to = B;
        Icmpv6.fillChecksum(m, 0, len, Checksum.pseudoV6(src.hi(), src.lo(), to.hi(), to.lo(), 58, len));
        return Frames.ipv6(0x020000000002L, ROUTER_MAC, src.hi(), src.lo(), to.hi(), to.lo(), 58, hopLimit, m.array());
    }

    static long firstHopOf(TwoHosts h, IpAddr dst) {
        assertTrue(h.b.ndp().route(dst.hi(), dst.lo()));
        return h.b.ndp().routeLo();
    }

    @Test
    void aValidRedirectSendsTheDestinationToTheBetterRouter_rfc4861s83() throws Exception {
        TwoHosts h = host();
        assertEquals(ROUTER.lo(), firstHopOf(h, FAR), "first the default router");
        h.wireB.inject(redirect(ROUTER, 255, BETTER, FAR, BETTER_MAC));
        h.settle();
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.REDIRECT_ACCEPTED));
        assertEquals(BETTER.lo(), firstHopOf(h, FAR));
        Ndp.Neighbor n = h.b.ndp().neighbor(BETTER.hi(), BETTER.lo());
        assertEquals(BETTER_MAC, n.mac(), "the Target Link-Layer Address option was learnt");
        assertTrue(n.isRouter(), "a target other than the destination is a router");
        // traffic for the destination now leaves for the better router's MAC
        Frames.Recorder rec = new Frames.Recorder();
        h.b.setFrameTap(rec);
        UdpSocket s = h.b.udp().open();
        s.sendTo(ByteBuffer.wrap(new byte[] {1, 2, 3}), FAR, 9);
        h.settle();
        List<byte[]> udp = rec.sent(f -> Frames.etherType(f) == EthernetFrame.TYPE_IPV6 && f[14 + 6] == 17);
        assertEquals(1, udp.size());
        assertEquals(BETTER_MAC, ByteBuffer.wrap(udp.get(0)).getLong(0) >>> 16);
        // other destinations still go to the default router
        assertEquals(ROUTER.lo(), firstHopOf(h, IpAddr.parse("2001:db8:ff::10")));
        // the entry ages out with the destination cache
        h.clock.advance(h.b.config().pmtuAgingNanos + 1);
        h.settle();
        assertEquals(ROUTER.lo(), firstHopOf(h, FAR));
    }

    @Test
    void aRedirectToTheDestinationItselfMakesItOnLink_rfc4861s83() {
        TwoHosts h = host();
        h.wireB.inject(redirect(ROUTER, 255, FAR, FAR, 0x020000000055L));
        h.settle();
        assertEquals(FAR.lo(), firstHopOf(h, FAR));
        assertEquals(FAR.hi(), h.b.ndp().routeHi());
        assertTrue(!h.b.ndp().neighbor(FAR.hi(), FAR.lo()).isRouter());
    }

    @Test
    void invalidRedirectsAreIgnoredAndCounted_rfc4861s81() {
        TwoHosts h = host();
        h.wireB.inject(redirect(ROUTER, 64, BETTER, FAR, -1)); // hop limit not 255
        h.wireB.inject(redirect(IpAddr.parse("fe80::5"), 255, BETTER, FAR, -1)); // not the current first hop
        h.wireB.inject(redirect(IpAddr.parse("2001:db8::1"), 255, BETTER, FAR, -1)); // source not link-local
        h.wireB.inject(redirect(ROUTER, 255, IpAddr.parse("2001:db8::7"), FAR, -1)); // global target ≠ destination
        h.wireB.inject(redirect(ROUTER, 255, BETTER, IpAddr.parse("ff0e::1"), -1)); // multicast destination
        h.settle();
        NdpCounter[] why = {NdpCounter.DROP_BAD_HOP_LIMIT, NdpCounter.REDIRECT_IGNORED, NdpCounter.DROP_BAD_SOURCE,
                NdpCounter.DROP_BAD_TARGET, NdpCounter.DROP_BAD_DESTINATION};
        for (NdpCounter c : why) {
            assertEquals(1, h.b.ndp().counters().get(c), c.name());
        }
        assertEquals(0, h.b.ndp().counters().get(NdpCounter.REDIRECT_ACCEPTED));
        assertEquals(ROUTER.lo(), firstHopOf(h, FAR));
    }
}
