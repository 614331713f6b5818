package io.tapstack;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.StackConfig;
import io.tapstack.ip6.Icmp6Counter;
import io.tapstack.ip6.Ipv6Counter;
import io.tapstack.ip6.LocalAddress;
import io.tapstack.ip6.NdpCounter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPv6 through a router on virtual time: A (fd01::2) — r0 (fd01::1) | r1 (fd02::1, MTU 1280)
 * — B (fd02::2, or SLAAC from the router's advertisements).
 */
class Router6Test {
    static final IpAddr A = IpAddr.parse("fd01::2");
    static final IpAddr R0 = IpAddr.parse("fd01::1");
    static final IpAddr R1 = IpAddr.parse("fd02::1");
    static final IpAddr B = IpAddr.parse("fd02::2");

    final VirtualClock clock = new VirtualClock();
    final PairLink[] w0 = PairLink.create(1500);
    final PairLink[] w1 = PairLink.create(1500);
    NetStack a;
    NetStack b;
    Router router;

    void build(boolean bAuto) {
        a = new NetStack(w0[0], cfg("fd01::2/64", R0, 0x020000000001L, 1500, false), clock);
        b = new NetStack(w1[0], bAuto ? cfg(null, null, 0x020000000002L, 1280, true) : cfg("fd02::2/64", R1, 0x020000000002L, 1280, false), clock);
        NetStack r0 = new NetStack(w0[1], cfg("fd01::1/64", null, 0x0200000000a0L, 1500, false), clock);
        NetStack r1 = new NetStack(w1[1], cfg("fd02::1/64", null, 0x0200000000a1L, 1280, false), clock);
        router = new Router(List.of(r0, r1), true);
        router.ipv6().setMaxRtrAdvInterval(10_000_000_000L);
    }

    static StackConfig cfg(String addr, IpAddr gateway, long mac, int mtu, boolean auto) {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(mac);
        c.mtu = mtu;
        if (addr != null) {
            c.ipv6.add(Ipv6InterfaceAddress.parse(addr));
        }
        c.gateway6 = gateway;
        c.ipv6Auto = auto;
        c.dadTransmits = 0;
        c.softwareGro = false;
        c.seed = 11;
        return c;
    }

    void run(long nanos) {
        long end = clock.nanos() + nanos;
        while (true) {
            for (int i = 0; i < 1000; i++) {
                long now = clock.nanos();
                a.poll(now);
                b.poll(now);
                router.poll(now);
                if (w0[0].pending() == 0 && w0[1].pending() == 0 && w1[0].pending() == 0 && w1[1].pending() == 0) {
                    break;
                }
            }
            if (clock.nanos() >= end) {
                return;
            }
            clock.advance(Math.min(10_000_000L, end - clock.nanos()));
        }
    }

    void send(IpAddr dst, int size, int hopLimit) {
        PacketBuf p = a.allocate(size);
        p.append(size);
        a.ipOutput(p, 0, 0, dst.hi(), dst.lo(), 253, hopLimit, 0, false);
    }

    long fwd(Ipv6Counter c) {
        return router.interfaces().get(0).ipv6().counters().get(c);
    }

    @Test
    void pingCrossesBothWays() {
        build(false);
        run(100_000_000L);
        int[] replies = new int[1];
        a.icmp6().setEchoListener((hi, lo, id, seq, data, off, len, now) -> replies[0]++);
        for (int seq = 1; seq <= 3; seq++) {
            a.icmp6().sendEchoRequest(B.hi(), B.lo(), 5, seq, new byte[100]);
            run(50_000_000L);
        }
        assertEquals(3, replies[0]);
        assertEquals(3, fwd(Ipv6Counter.FORWARDED));
        assertEquals(3, router.interfaces().get(1).ipv6().counters().get(Ipv6Counter.FORWARDED));
    }

    @Test
    void hopLimitOneGetsTimeExceeded() {
        build(false);
        run(100_000_000L);
        send(B, 64, 1);
        run(50_000_000L);
        assertEquals(1, fwd(Ipv6Counter.FWD_DROP_HOP_LIMIT));
        assertEquals(1, a.icmp6().counters().get(Icmp6Counter.RX_TIME_EXCEEDED));
        assertEquals(0, b.ipv6().counters().get(Ipv6Counter.DROP_UNKNOWN_NEXT_HEADER), "nothing reached B");
        send(B, 64, 2);
        run(50_000_000L);
        assertEquals(1, b.ipv6().counters().get(Ipv6Counter.DROP_UNKNOWN_NEXT_HEADER), "with hop limit 2 it reaches B");
    }

    @Test
    void tooBigGetsPacketTooBigAndIsNeverFragmented() throws Exception {
        build(false);
        run(100_000_000L);
        // from a UDP socket: A believes a PTB only about traffic one of its transports sent (RFC 8201 §4)
        io.tapstack.udp.UdpSocket s = a.udp().open().bind(null, 4000);
        s.sendTo(ByteBuffer.wrap(new byte[1400]), B, 9);
        run(50_000_000L);
        assertEquals(1, fwd(Ipv6Counter.FWD_DROP_TOO_BIG));
        assertEquals(1, a.icmp6().counters().get(Icmp6Counter.RX_PACKET_TOO_BIG));
        assertEquals(1280, a.ipv6().pathMtu(B.hi(), B.lo()), "A learnt the next link's MTU (RFC 8201)");
        assertEquals(0, router.interfaces().get(1).ipv6().counters().get(Ipv6Counter.TX_FRAGMENTS_CREATED));
        // A now fragments at the source, and the fragments pass
        s.sendTo(ByteBuffer.wrap(new byte[1400]), B, 9);
        run(50_000_000L);
        assertEquals(1, b.ipv6().counters().get(Ipv6Counter.REASSEMBLED));
    }

    @Test
    void theRoutersErrorsQuoteAsMuchAsFitsIn1280Octets_rfc4443s24c() {
        build(false);
        run(100_000_000L);
        Frames.Recorder atA = new Frames.Recorder();
        a.addFrameTap(atA);
        send(B, 1400, 1); // Time Exceeded (§3.3)
        run(50_000_000L);
        send(B, 1400, 64); // Packet Too Big: the next link's MTU is 1280 (§3.2)
        run(50_000_000L);
        List<byte[]> sent = atA.sent(f -> Frames.etherType(f) == EthernetFrame.TYPE_IPV6 && f[14 + 6] == (byte) 253);
        List<byte[]> errors = new ArrayList<>(atA.in);
        errors.removeIf(f -> Frames.etherType(f) != EthernetFrame.TYPE_IPV6 || f[14 + 6] != Ipv6Header.NH_ICMPV6
                || !Icmpv6.isError(f[54] & 0xff));
        assertEquals(2, sent.size());
        assertEquals(Icmpv6.TIME_EXCEEDED, errors.get(0)[54]);
        assertEquals(Icmpv6.PACKET_TOO_BIG, errors.get(1)[54]);
        RouterTest.assertQuotedAsFarAsFits(sent, errors, 1280, 40 + 8); // the minimum IPv6 MTU
    }

    @Test
    void noRouteAndLinkLocalAreNotForwarded() {
        build(false);
        run(100_000_000L);
        send(IpAddr.parse("fd09::9"), 20, 64);
        run(50_000_000L);
        assertEquals(1, fwd(Ipv6Counter.FWD_DROP_NO_ROUTE));
        assertEquals(1, a.icmp6().counters().get(Icmp6Counter.RX_DEST_UNREACHABLE));
        router.ipv6().addRoute(IpAddr.parse("fd09::").hi(), 0, 64, B.hi(), B.lo(), -1);
        send(IpAddr.parse("fd09::9"), 20, 64);
        run(50_000_000L);
        assertEquals(1, fwd(Ipv6Counter.FORWARDED), "the static route via B is used");
        assertTrue(router.routes().contains("fd09::/64 via fd02::2 dev " + w1[1].name()), router.routes().toString());
    }

    @Test
    void advertisementsGiveTheHostAnAddressAndADefaultRouter() {
        build(true);
        router.ipv6().advertise(1, IpAddr.parse("fd02::").hi(), 0, 64);
        run(20_000_000_000L);
        assertTrue(router.interfaces().get(1).ndp().counters().get(NdpCounter.TX_RA) >= 1);
        LocalAddress slaac = null;
        for (LocalAddress x : b.ipv6().addresses()) {
            if (x.origin() == LocalAddress.Origin.SLAAC) {
                slaac = x;
            }
        }
        assertTrue(slaac != null && Ipv6Address.inPrefix(slaac.hi(), slaac.lo(), R1.hi(), 0, 64), "B formed an address in fd02::/64");
        assertEquals(1, b.ndp().routers().size(), "the router is B's default router");
        assertEquals(1280, b.ipv6().linkMtu(), "MTU option");
        // and B reaches A through it
        int[] replies = new int[1];
        b.icmp6().setEchoListener((hi, lo, id, seq, data, off, len, now) -> replies[0]++);
        b.icmp6().sendEchoRequest(A.hi(), A.lo(), 1, 1, new byte[8]);
        run(100_000_000L);
        assertEquals(1, replies[0]);
    }

    @Test
    void aNextHopThatDoesNotAnswerNdGetsAddressUnreachable() {
        build(false);
        run(100_000_000L);
        router.ipv6().addRoute(IpAddr.parse("fd09::").hi(), 0, 64, IpAddr.parse("fd02::99").hi(), IpAddr.parse("fd02::99").lo(), -1);
        send(IpAddr.parse("fd09::9"), 20, 64);
        run(5_000_000_000L); // MAX_MULTICAST_SOLICIT solicitations a RetransTimer apart (RFC 4861 §7.2.2)
        assertEquals(1, router.interfaces().get(1).ndp().counters().get(NdpCounter.DROP_PENDING_FAILED));
        assertEquals(1, a.icmp6().counters().get(Icmp6Counter.RX_DEST_UNREACHABLE), "address unreachable to the source");
    }
}
