package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.link.LinkCounter;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6FragmentHeader;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.NdpOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripted frames into host B: extension headers, reassembly, ND validation, RA/SLAAC, PMTU. */
class Ipv6InputTest {
    static final long MAC_A = 0x020000000001L;
    static final long MAC_B = 0x020000000002L;
    static final IpAddr A = Ipv6PingTest.G_A;
    static final IpAddr B = Ipv6PingTest.G_B;

    static byte[] echo(IpAddr src, IpAddr dst, int id, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        Icmpv6.emitHeader(b, 0, Icmpv6.ECHO_REQUEST, 0, id << 16 | 1);
        b.put(8, data);
        Icmpv6.fillChecksum(b, 0, 8 + data.length, Checksum.pseudoV6(src.hi(), src.lo(), dst.hi(), dst.lo(), 58, 8 + data.length));
        return b.array();
    }

    static byte[] toB(int nh, int hop, byte[] payload) {
        return Frames.ipv6(MAC_B, MAC_A, A.hi(), A.lo(), B.hi(), B.lo(), nh, hop, payload);
    }

    static byte[] frag(int nh, int offset, boolean more, int id, byte[] data, int from, int len) {
        ByteBuffer b = ByteBuffer.allocate(8 + len);
        Ipv6FragmentHeader.emit(b, 0, nh, offset, more, id);
        b.put(8, data, from, len);
        return b.array();
    }

    static int replies(TwoHosts h) {
        return (int) h.b.icmp6().counters().get(Icmp6Counter.TX_ECHO_REPLY);
    }

    @Test
    void extensionHeadersAndOptionActions() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        byte[] e = echo(A, B, 1, new byte[8]);
        // Hop-by-Hop with PadN only, then ICMPv6: accepted
        ByteBuffer hbh = ByteBuffer.allocate(8 + e.length);
        io.tapstack.wire.Ipv6ExtHeader.emitPadded(hbh, 0, 58, 0);
        hbh.put(8, e);
        h.wireB.inject(toB(0, 64, hbh.array()));
        h.settle();
        assertEquals(1, replies(h));
        // Destination Options with an unknown option of action 00 (skip): accepted
        byte[] d0 = hbh.array().clone();
        d0[2] = 0x1e;
        d0[3] = 4;
        h.wireB.inject(toB(60, 64, d0));
        // action 01: silently discarded
        byte[] d1 = d0.clone();
        d1[2] = 0x5e;
        h.wireB.inject(toB(60, 64, d1));
        // action 10: discard + Parameter Problem code 2
        byte[] d2 = d0.clone();
        d2[2] = (byte) 0x9e;
        h.wireB.inject(toB(60, 64, d2));
        h.settle();
        assertEquals(2, replies(h));
        assertEquals(2, h.b.ipv6().counters().get(Ipv6Counter.DROP_UNKNOWN_OPTION));
        assertEquals(1, h.b.icmp6().counters().get(Icmp6Counter.TX_PARAMETER_PROBLEM));
        // Hop-by-Hop not first: Parameter Problem code 1
        ByteBuffer bad = ByteBuffer.allocate(16 + e.length);
        io.tapstack.wire.Ipv6ExtHeader.emitPadded(bad, 0, 0, 0);
        io.tapstack.wire.Ipv6ExtHeader.emitPadded(bad, 8, 58, 0);
        bad.put(16, e);
        h.wireB.inject(toB(60, 64, bad.array()));
        // Routing type 0 with segments left → Parameter Problem code 0 (RFC 5095)
        ByteBuffer rh0 = ByteBuffer.allocate(24 + e.length);
        rh0.put(0, (byte) 58).put(1, (byte) 2).put(2, (byte) 0).put(3, (byte) 1);
        rh0.put(24, e);
        h.wireB.inject(toB(43, 64, rh0.array()));
        // Routing header with segments left 0 is ignored
        ByteBuffer rh = ByteBuffer.allocate(8 + e.length);
        rh.put(0, (byte) 58).put(1, (byte) 0).put(2, (byte) 4).put(3, (byte) 0);
        rh.put(8, e);
        h.wireB.inject(toB(43, 64, rh.array()));
        // Unknown next header → Parameter Problem code 1
        h.wireB.inject(toB(253, 64, new byte[8]));
        // No Next Header: ignored
        h.wireB.inject(toB(59, 64, new byte[0]));
        h.settle();
        assertEquals(3, replies(h));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.DROP_HBH_NOT_FIRST));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.DROP_ROUTING_TYPE0));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.DROP_UNKNOWN_NEXT_HEADER));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.RX_NO_NEXT_HEADER));
        assertEquals(4, h.b.icmp6().counters().get(Icmp6Counter.TX_PARAMETER_PROBLEM));
        assertEquals(4, h.a.icmp6().counters().get(Icmp6Counter.RX_PARAMETER_PROBLEM));
    }

    @Test
    void reassemblyOutOfOrderDuplicateAtomic() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        byte[] e = echo(A, B, 2, new byte[100]);
        // out of order with a duplicate
        h.wireB.inject(toB(44, 64, frag(58, 56, false, 7, e, 56, e.length - 56)));
        h.wireB.inject(toB(44, 64, frag(58, 0, true, 7, e, 0, 56)));
        h.wireB.inject(toB(44, 64, frag(58, 0, true, 7, e, 0, 56)));
        h.settle();
        assertEquals(1, replies(h));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.REASSEMBLED));
        // atomic fragment (RFC 6946)
        h.wireB.inject(toB(44, 64, frag(58, 0, false, 8, e, 0, e.length)));
        h.settle();
        assertEquals(2, replies(h));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.RX_ATOMIC_FRAGMENTS));
    }

    @Test
    void reassemblyOverlapDropsWholeDatagram() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        byte[] e = echo(A, B, 3, new byte[100]);
        h.wireB.inject(toB(44, 64, frag(58, 0, true, 9, e, 0, 64)));
        h.wireB.inject(toB(44, 64, frag(58, 56, true, 9, e, 56, 16)));
        h.wireB.inject(toB(44, 64, frag(58, 64, false, 9, e, 64, e.length - 64)));
        h.settle();
        assertEquals(0, replies(h));
        assertEquals(2, h.b.ipv6().counters().get(Ipv6Counter.DROP_FRAG_OVERLAP));
        h.run(61_000_000_000L, 1_000_000_000L);
        assertEquals(0, h.b.ipv6().reassembler().inProgress());
        assertEquals(0, h.b.icmp6().counters().get(Icmp6Counter.TX_TIME_EXCEEDED));
    }

    /**
     * Incomplete and overlapping (poisoned) datagrams from a flood fill every slot; a legitimate
     * fragmented echo afterwards is reassembled because the oldest give way (RFC 8900 §3.7).
     */
    @Test
    void fragmentFloodDoesNotLockOutALegitimateDatagram_rfc8900s37() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        byte[] junk = echo(A, B, 5, new byte[1200]);
        for (int id = 0; id < 500; id++) {
            h.wireB.inject(toB(44, 64, frag(58, 0, true, 0x100 + id, junk, 0, 512)));
            if (id % 2 == 0) {
                h.wireB.inject(toB(44, 64, frag(58, 256, true, 0x100 + id, junk, 256, 512))); // overlap
            }
        }
        h.settle();
        assertEquals(64, h.b.ipv6().reassembler().inProgress());
        assertEquals(500 - 64, h.b.ipv6().counters().get(Ipv6Counter.DROP_FRAG_EVICTED));
        assertEquals(250, h.b.ipv6().counters().get(Ipv6Counter.DROP_FRAG_OVERLAP));
        byte[] e = echo(A, B, 6, new byte[3000]);
        for (int off = 0; off < e.length; off += 1024) {
            int len = Math.min(1024, e.length - off);
            h.wireB.inject(toB(44, 64, frag(58, off, off + len < e.length, 0x9999, e, off, len)));
        }
        h.settle();
        assertEquals(1, replies(h), "the echo got through the flood");
        h.run(61_000_000_000L, 1_000_000_000L);
        assertEquals(0, h.b.ipv6().reassembler().inProgress());
        assertEquals(0, h.b.ipv6().reassembler().bytesHeld());
    }

    @Test
    void reassemblyTimeoutSendsTimeExceededAndBadLengthsAnswered() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        byte[] e = echo(A, B, 4, new byte[100]);
        // missing last fragment
        h.wireB.inject(toB(44, 64, frag(58, 0, true, 10, e, 0, 56)));
        // M set but length not a multiple of 8 → Parameter Problem code 0
        h.wireB.inject(toB(44, 64, frag(58, 0, true, 11, e, 0, 50)));
        // reassembled length beyond 65535 → Parameter Problem code 0
        h.wireB.inject(toB(44, 64, frag(58, 65528, false, 12, e, 0, 16)));
        h.settle();
        assertEquals(1, h.b.ipv6().reassembler().inProgress());
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.DROP_FRAG_BAD_LENGTH));
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.DROP_FRAG_OVERSIZE));
        assertEquals(2, h.b.icmp6().counters().get(Icmp6Counter.TX_PARAMETER_PROBLEM));
        h.run(61_000_000_000L, 1_000_000_000L);
        assertEquals(0, h.b.ipv6().reassembler().inProgress());
        assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.REASSEMBLY_TIMEOUT));
        assertEquals(1, h.b.icmp6().counters().get(Icmp6Counter.TX_TIME_EXCEEDED));
        assertEquals(1, h.a.icmp6().counters().get(Icmp6Counter.RX_TIME_EXCEEDED));
    }

    @Test
    void randomBytesNeverThrow() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        Random r = new Random(7);
        int[] nhs = {0, 43, 44, 58, 60, 17, 6, 59, 255};
        for (int i = 0; i < 5000; i++) {
            byte[] p = new byte[r.nextInt(120)];
            r.nextBytes(p);
            int nh = nhs[r.nextInt(nhs.length)];
            if (nh == 58 && p.length > 0) {
                p[0] = (byte) (128 + r.nextInt(10));
            }
            byte[] f = toB(nh, r.nextBoolean() ? 255 : r.nextInt(256), p);
            if (r.nextInt(4) == 0) {
                // also garble the fixed header's lengths
                f[18] = (byte) r.nextInt(256);
                f[19] = (byte) r.nextInt(256);
            }
            h.wireB.inject(f);
            if (i % 100 == 0) {
                h.settle();
            }
        }
        h.run(70_000_000_000L, 5_000_000_000L);
        assertEquals(0, h.b.linkStats().get(LinkCounter.INTERNAL_ERROR));
        assertEquals(0, h.a.linkStats().get(LinkCounter.INTERNAL_ERROR));
    }

    static byte[] nd(IpAddr src, IpAddr dst, byte[] icmp) {
        Icmpv6.fillChecksum(ByteBuffer.wrap(icmp), 0, icmp.length, Checksum.pseudoV6(src.hi(), src.lo(), dst.hi(), dst.lo(), 58, icmp.length));
        return icmp;
    }

    @Test
    void ndValidationHopLimitCodeOptions() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        ByteBuffer ns = ByteBuffer.allocate(32);
        Icmpv6.emitHeader(ns, 0, Icmpv6.NEIGHBOR_SOLICITATION, 0, 0);
        ns.putLong(8, B.hi()).putLong(16, B.lo());
        NdpOptions.emitLla(ns, 24, NdpOptions.SOURCE_LLA, MAC_A);
        byte[] ok = nd(A, B, ns.array().clone());
        h.wireB.inject(toB(58, 64, ok));
        byte[] code = ns.array().clone();
        code[1] = 1;
        h.wireB.inject(toB(58, 255, nd(A, B, code)));
        byte[] zeroLen = ns.array().clone();
        zeroLen[25] = 0;
        h.wireB.inject(toB(58, 255, nd(A, B, zeroLen)));
        long naBefore = h.b.ndp().counters().get(NdpCounter.TX_NA);
        h.wireB.inject(toB(58, 255, ok));
        h.settle();
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.DROP_BAD_HOP_LIMIT));
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.DROP_BAD_CODE));
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.DROP_BAD_OPTION));
        assertEquals(naBefore + 1, h.b.ndp().counters().get(NdpCounter.TX_NA));
    }

    @Test
    void dadDuplicateTheLaterProberGivesUpTheAddress() {
        TwoHosts h = new TwoHosts();
        h.a.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::5/64"));
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::5/64"));
        h.run(3_000_000_000L, 50_000_000L);
        IpAddr dup = IpAddr.parse("2001:db8::5");
        // RFC 4862 §5.4.3: whoever hears the other's NS (from ::) while tentative gives up; the
        // first prober's NS cancels the second's, so exactly one keeps the address.
        LocalAddress.State sa = h.a.ipv6().find(dup.hi(), dup.lo()).state();
        LocalAddress.State sb = h.b.ipv6().find(dup.hi(), dup.lo()).state();
        assertTrue(sa == LocalAddress.State.DUPLICATE ^ sb == LocalAddress.State.DUPLICATE, sa + " " + sb);
        assertEquals(1, h.a.ndp().counters().get(NdpCounter.DAD_DUPLICATE) + h.b.ndp().counters().get(NdpCounter.DAD_DUPLICATE));
        assertTrue(h.a.isLocalAddress(dup.hi(), dup.lo()) ^ h.b.isLocalAddress(dup.hi(), dup.lo()));
        assertNotNull(h.a.ipv6().linkLocal());
    }

    @Test
    void dadDuplicateByNeighborAdvertisement() {
        TwoHosts h = new TwoHosts();
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::9/64"));
        h.b.config().rtrSolicitationDelayNanos = 0;
        h.b.poll(h.clock.nanos());
        IpAddr t = IpAddr.parse("2001:db8::9");
        assertEquals(LocalAddress.State.TENTATIVE, h.b.ipv6().find(t.hi(), t.lo()).state());
        ByteBuffer na = ByteBuffer.allocate(32);
        Icmpv6.emitHeader(na, 0, Icmpv6.NEIGHBOR_ADVERTISEMENT, 0, 0x2000_0000);
        na.putLong(8, t.hi()).putLong(16, t.lo());
        NdpOptions.emitLla(na, 24, NdpOptions.TARGET_LLA, 0x02aaaaaaaaaaL);
        IpAddr all = IpAddr.parse("ff02::1");
        h.wireB.inject(Frames.ipv6(0x333300000001L, 0x02aaaaaaaaaaL, t.hi(), t.lo(), all.hi(), all.lo(), 58, 255,
                nd(t, all, na.array())));
        h.settle();
        assertEquals(LocalAddress.State.DUPLICATE, h.b.ipv6().find(t.hi(), t.lo()).state());
        assertEquals(1, h.b.ndp().counters().get(NdpCounter.DAD_DUPLICATE));
    }

    static byte[] ra(int curHop, int lifetime, int mtu, IpAddr prefix, long valid, long preferred) {
        ByteBuffer b = ByteBuffer.allocate(16 + 8 + 8 + 32);
        Icmpv6.emitHeader(b, 0, Icmpv6.ROUTER_ADVERTISEMENT, 0, (curHop << 24) | lifetime);
        NdpOptions.emitLla(b, 16, NdpOptions.SOURCE_LLA, 0x02aaaaaaaaaaL);
        NdpOptions.emitMtu(b, 24, mtu);
        NdpOptions.emitPrefix(b, 32, 64, true, true, valid, preferred, prefix.hi(), prefix.lo());
        return b.array();
    }

    @Test
    void routerAdvertisementAndSlaac() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        assertTrue(h.b.ndp().counters().get(NdpCounter.TX_RS) >= 1);
        IpAddr router = IpAddr.parse("fe80::1");
        IpAddr all = IpAddr.parse("ff02::1");
        IpAddr prefix = IpAddr.parse("2001:db8:1::");
        h.wireB.inject(Frames.ipv6(0x333300000001L, 0x02aaaaaaaaaaL, router.hi(), router.lo(), all.hi(), all.lo(), 58, 255,
                nd(router, all, ra(32, 1800, 1400, prefix, 10, 5))));
        h.settle();
        assertEquals(32, h.b.ipv6().hopLimit());
        assertEquals(1400, h.b.ipv6().linkMtu());
        assertEquals(List.of("fe80::1"), h.b.ndp().routers());
        assertEquals(List.of("2001:db8:1::/64"), h.b.ndp().prefixes());
        Ndp.Neighbor rn = h.b.ndp().neighbor(router.hi(), router.lo());
        assertEquals(Ndp.State.STALE, rn.state());
        assertTrue(rn.isRouter());
        LocalAddress slaac = null;
        for (LocalAddress a : h.b.ipv6().addresses()) {
            if (a.origin() == LocalAddress.Origin.SLAAC) {
                slaac = a;
            }
        }
        assertNotNull(slaac);
        assertEquals(LocalAddress.State.TENTATIVE, slaac.state());
        assertTrue(Ipv6Address.inPrefix(slaac.hi(), slaac.lo(), prefix.hi(), prefix.lo(), 64));
        h.run(2_500_000_000L, 100_000_000L);
        assertEquals(LocalAddress.State.PREFERRED, slaac.state());
        // an off-link destination now routes via the router
        IpAddr far = IpAddr.parse("2001:db8:1:1::1");
        assertTrue(h.b.ndp().route(far.hi(), far.lo()));
        assertEquals(router.hi(), h.b.ndp().routeHi());
        assertEquals(IpAddr.of(slaac.hi(), slaac.lo()), h.b.sourceFor(far));
        // preferred lifetime (5 s) → deprecated; valid lifetime (10 s) → removed
        h.run(3_000_000_000L, 500_000_000L);
        assertEquals(LocalAddress.State.DEPRECATED, slaac.state());
        h.run(5_000_000_000L, 500_000_000L);
        assertNull(h.b.ipv6().find(slaac.hi(), slaac.lo()));
        // router lifetime 0 removes the default router
        h.wireB.inject(Frames.ipv6(0x333300000001L, 0x02aaaaaaaaaaL, router.hi(), router.lo(), all.hi(), all.lo(), 58, 255,
                nd(router, all, ra(0, 0, 1500, prefix, 0, 0))));
        h.settle();
        assertTrue(h.b.ndp().routers().isEmpty());
        assertTrue(h.b.ndp().prefixes().isEmpty());
    }

    @Test
    void stableIidsDifferPerPrefixAndAreRepeatable() {
        byte[] key = new byte[16];
        long a = StableIid.stable(0x20010db800010000L, "tap0", 0, key);
        long b = StableIid.stable(0x20010db800020000L, "tap0", 0, key);
        long c = StableIid.stable(0x20010db800010000L, "tap0", 1, key);
        assertEquals(a, StableIid.stable(0x20010db800010000L, "tap0", 0, key));
        assertTrue(a != b && a != c);
        assertEquals(0x0000_00ff_fe00_0001L ^ (0x02L << 56), StableIid.eui64(0x000000000001L));
    }

    @Test
    void neighbourStateMachineOnVirtualTime() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        h.a.icmp6().sendEchoRequest(B.hi(), B.lo(), 1, 1, new byte[4]);
        h.settle();
        Ndp.Neighbor n = h.a.ndp().neighbor(B.hi(), B.lo());
        assertEquals(Ndp.State.REACHABLE, n.state());
        // ReachableTime is at most 1.5 × 30 s
        h.run(46_000_000_000L, 1_000_000_000L);
        assertEquals(Ndp.State.STALE, n.state());
        h.a.icmp6().sendEchoRequest(B.hi(), B.lo(), 1, 2, new byte[4]);
        assertEquals(Ndp.State.DELAY, n.state());
        h.settle();
        // B answered but that is no reachability proof by itself: DELAY → PROBE after 5 s
        h.clock.advance(5_000_000_000L);
        h.a.poll(h.clock.nanos());
        assertEquals(Ndp.State.PROBE, n.state());
        // the unicast probe is answered with a solicited NA → REACHABLE
        h.settle();
        assertEquals(Ndp.State.REACHABLE, n.state());
        // an unresolvable neighbour: 3 multicast NS, then Address Unreachable to the transport
        IpAddr ghost = IpAddr.parse("2001:db8::77");
        h.a.icmp6().sendEchoRequest(ghost.hi(), ghost.lo(), 1, 3, new byte[4]);
        assertEquals(Ndp.State.INCOMPLETE, h.a.ndp().neighbor(ghost.hi(), ghost.lo()).state());
        h.run(4_000_000_000L, 500_000_000L);
        assertNull(h.a.ndp().neighbor(ghost.hi(), ghost.lo()));
        assertEquals(1, h.a.ndp().counters().get(NdpCounter.RESOLUTION_FAILED));
    }

    @Test
    void packetTooBigLowersPathMtuNeverBelow1280() throws Exception {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        // A quoted UDP datagram from A to a far destination, from a socket A holds (RFC 8201 §4:
        // a PTB is believed only when it quotes traffic a transport of this host sent)
        IpAddr far = B;
        h.a.udp().open().bind(null, 4000);
        ByteBuffer q = ByteBuffer.allocate(48);
        Ipv6Header.emit(q, 0, 0, 0, 8, 17, 64, A.hi(), A.lo(), far.hi(), far.lo());
        q.putShort(40, (short) 4000);
        ByteBuffer ptb = ByteBuffer.allocate(8 + 48);
        Icmpv6.emitHeader(ptb, 0, Icmpv6.PACKET_TOO_BIG, 0, 1300);
        ptb.put(8, q.array());
        h.wireA.inject(Frames.ipv6(MAC_A, MAC_B, B.hi(), B.lo(), A.hi(), A.lo(), 58, 64, nd(B, A, ptb.array())));
        h.settle();
        assertEquals(1300, h.a.pathMtu(far.hi(), far.lo()));
        ptb.putInt(4, 1000);
        h.wireA.inject(Frames.ipv6(MAC_A, MAC_B, B.hi(), B.lo(), A.hi(), A.lo(), 58, 64, nd(B, A, ptb.array().clone())));
        h.settle();
        assertEquals(1280, h.a.pathMtu(far.hi(), far.lo()));
        // a 1400-byte ping now leaves in fragments
        List<Integer> got = new ArrayList<>();
        h.a.icmp6().setEchoListener((sHi, sLo, id, seq, buf, off, len, now) -> got.add(len));
        h.a.icmp6().sendEchoRequest(far.hi(), far.lo(), 5, 5, new byte[1400]);
        h.settle();
        assertEquals(List.of(1400), got);
        assertEquals(1, h.a.ipv6().counters().get(Ipv6Counter.TX_FRAGMENTED));
        // aging: after 10 minutes the link MTU is back
        h.clock.advance(601_000_000_000L);
        h.settle();
        assertEquals(1500, h.a.pathMtu(far.hi(), far.lo()));
    }

    @Test
    void multicastFilterAcceptsOnlyJoinedGroups() {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        IpAddr other = IpAddr.parse("ff02::1:ff12:3456");
        long before = h.b.linkStats().get(LinkCounter.DROP_MULTICAST_FILTERED);
        h.wireB.inject(Frames.ipv6(Ipv6Address.multicastMac(other.lo()), MAC_A, A.hi(), A.lo(), other.hi(), other.lo(), 59, 1, new byte[0]));
        h.settle();
        assertEquals(before + 1, h.b.linkStats().get(LinkCounter.DROP_MULTICAST_FILTERED));
        assertTrue(h.b.ipv6().isMember(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(B.lo())));
        assertTrue(h.b.ndp().counters().get(NdpCounter.TX_MLD_REPORT) >= 2);
    }

    @Test
    void udpZeroChecksumRejectedOnIpv6() throws Exception {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        io.tapstack.udp.UdpSocket s = h.b.udp().open().bind(null, 5000);
        h.wireB.inject(toB(17, 64, Frames.udp6(A.hi(), A.lo(), B.hi(), B.lo(), 1, 5000, new byte[] {1}, 0)));
        h.wireB.inject(toB(17, 64, Frames.udp6(A.hi(), A.lo(), B.hi(), B.lo(), 1, 5000, new byte[] {2}, -1)));
        h.settle();
        assertEquals(1, h.b.udp().counters().get(io.tapstack.udp.UdpCounter.DROP_ZERO_CHECKSUM_V6));
        assertEquals(1, s.available());
    }
}
