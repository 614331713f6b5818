package io.tapstack;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.StackConfig;
import io.tapstack.ip.IcmpCounter;
import io.tapstack.ip.Ipv4Counter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A router between two hosts, all on virtual time: A (10.0.1.2) — r0 (10.0.1.1) | r1
 * (10.0.2.1, MTU 1280) — B (10.0.2.2). Checks what RFC 1812 asks of the forwarding path as the
 * hosts see it.
 */
class RouterTest {
    static final int A = Ipv4Address.parse("10.0.1.2");
    static final int R0 = Ipv4Address.parse("10.0.1.1");
    static final int R1 = Ipv4Address.parse("10.0.2.1");
    static final int B = Ipv4Address.parse("10.0.2.2");
    static final int PROTO_TEST = 253; // RFC 3692 experimentation: B counts it as unknown protocol

    final VirtualClock clock = new VirtualClock();
    final PairLink[] w0 = PairLink.create(1500);
    final PairLink[] w1 = PairLink.create(1500);
    final NetStack a;
    final NetStack b;
    final Router router;
    final List<int[]> icmpAtA = new ArrayList<>(); // {type, code, rest-of-header} of ICMP A received

    RouterTest() {
        a = new NetStack(w0[0], host(A, R0, 0x020000000001L, 1500), clock);
        b = new NetStack(w1[0], host(B, R1, 0x020000000002L, 1280), clock);
        NetStack r0 = new NetStack(w0[1], host(R0, 0, 0x0200000000a0L, 1500), clock);
        NetStack r1 = new NetStack(w1[1], host(R1, 0, 0x0200000000a1L, 1280), clock);
        router = new Router(List.of(r0, r1), true);
        a.addFrameTap((buf, off, len, wall, outbound) -> {
            // Ethernet(14) IPv4(20, no options from the router) ICMP
            if (!outbound && len >= 42 && buf.getShort(off + 12) == 0x0800 && buf.get(off + 23) == 1) {
                icmpAtA.add(new int[] {buf.get(off + 34) & 0xff, buf.get(off + 35) & 0xff, buf.getInt(off + 38)});
            }
        });
    }

    static StackConfig host(int ip, int gateway, long mac, int mtu) {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(mac);
        c.mtu = mtu;
        c.ipv4.add(new InterfaceAddress(ip, 24));
        c.gateway4 = gateway;
        c.ipv6Enabled = false;
        c.softwareGro = false;
        c.seed = 7;
        return c;
    }

    void settle() {
        for (int i = 0; i < 10_000; i++) {
            long now = clock.nanos();
            a.poll(now);
            b.poll(now);
            router.poll(now);
            if (w0[0].pending() == 0 && w0[1].pending() == 0 && w1[0].pending() == 0 && w1[1].pending() == 0) {
                return;
            }
        }
        throw new AssertionError("wires did not settle");
    }

    /** Sends {@code size} bytes of protocol 253 from A to {@code dst}. */
    boolean send(int dst, int size, int ttl, boolean df) {
        PacketBuf p = a.allocate(size);
        int at = p.append(size);
        for (int i = 0; i < size; i++) {
            p.buf().put(at + i, (byte) i);
        }
        return a.ipOutput(p, 0, 0, 0, IpAddr.mappedLo(dst), PROTO_TEST, ttl, 0, df);
    }

    long fwd(Ipv4Counter c) {
        return router.interfaces().get(0).ipv4().counters().get(c);
    }

    @Test
    void pingCrossesTheRouterBothWays() {
        int[] replies = new int[1];
        a.icmp().setEchoListener((src, id, seq, data, off, len, now) -> {
            if (src == B) {
                replies[0]++;
            }
        });
        settle();
        for (int seq = 1; seq <= 3; seq++) {
            assertTrue(a.icmp().sendEchoRequest(B, 9, seq, new byte[56]));
            settle();
            clock.advance(10_000_000);
        }
        settle();
        assertEquals(3, replies[0], "echo replies from B through the router");
        assertEquals(3, fwd(Ipv4Counter.FORWARDED), "requests forwarded r0 -> r1");
        assertEquals(3, router.interfaces().get(1).ipv4().counters().get(Ipv4Counter.FORWARDED), "replies forwarded r1 -> r0");
        // the checksum, updated incrementally with the TTL, was verified by B
        assertEquals(0, b.ipv4().counters().get(Ipv4Counter.DROP_BAD_CHECKSUM));
    }

    @Test
    void theRouterAnswersOnItsFarAddress() {
        int[] replies = new int[1];
        a.icmp().setEchoListener((src, id, seq, data, off, len, now) -> {
            if (src == R1) {
                replies[0]++;
            }
        });
        a.icmp().sendEchoRequest(R1, 1, 1, new byte[8]);
        settle();
        assertEquals(1, replies[0], "R answers for 10.0.2.1 on the link of 10.0.1.1 (RFC 1812 §5.2.3)");
        assertEquals(0, fwd(Ipv4Counter.FORWARDED));
    }

    @Test
    void ttlOfOneGetsTimeExceededFromTheRouter() {
        send(B, 100, 1, false);
        settle();
        assertEquals(1, fwd(Ipv4Counter.FWD_DROP_TTL_EXCEEDED));
        assertEquals(1, icmpAtA.size());
        assertEquals(11, icmpAtA.get(0)[0], "Time Exceeded");
        assertEquals(0, icmpAtA.get(0)[1], "code 0: TTL exceeded in transit");
        assertEquals(0, b.ipv4().counters().get(Ipv4Counter.RX));
        assertEquals(1, a.icmp().counters().get(IcmpCounter.RX_TIME_EXCEEDED));
        // with TTL 2 it gets through, arriving with TTL 1
        send(B, 100, 2, false);
        settle();
        assertEquals(1, b.ipv4().counters().get(Ipv4Counter.DROP_UNKNOWN_PROTOCOL));
    }

    @Test
    void tooBigWithDfGetsFragmentationNeededWithTheNextHopMtu() {
        send(B, 1400, 64, true);
        settle();
        assertEquals(1, fwd(Ipv4Counter.FWD_DROP_DF_TOO_BIG));
        assertEquals(1, icmpAtA.size());
        assertEquals(3, icmpAtA.get(0)[0]);
        assertEquals(4, icmpAtA.get(0)[1], "Fragmentation Needed and DF set");
        assertEquals(1280, icmpAtA.get(0)[2] & 0xffff, "next-hop MTU (RFC 1191 §4)");
        assertEquals(0, b.ipv4().counters().get(Ipv4Counter.RX));
    }

    @Test
    void theRoutersErrorsQuoteAsMuchAsFitsIn576Octets_rfc1812s4323() {
        Frames.Recorder atA = new Frames.Recorder();
        a.addFrameTap(atA);
        send(B, 1400, 1, false); // Time Exceeded (§5.3.1)
        settle();
        send(B, 1400, 64, true); // Fragmentation Needed (RFC 1191 §4)
        settle();
        List<byte[]> sent = atA.sent(f -> Frames.etherType(f) == EthernetFrame.TYPE_IPV4 && f[14 + 9] == (byte) PROTO_TEST);
        List<byte[]> errors = new ArrayList<>(atA.in);
        errors.removeIf(f -> Frames.etherType(f) != EthernetFrame.TYPE_IPV4 || f[14 + 9] != Ipv4Header.PROTO_ICMP);
        assertEquals(2, sent.size());
        assertEquals(Icmpv4.TIME_EXCEEDED, errors.get(0)[34]);
        assertEquals(Icmpv4.DEST_UNREACHABLE, errors.get(1)[34]);
        assertQuotedAsFarAsFits(sent, errors, 576, 20 + 8);
    }

    /**
     * Each error frame A received quotes the packet A sent with the same index as far as fits:
     * {@code limit} octets of IP in all, {@code headers} of them the error's own IP and ICMP headers.
     * (Also for {@link Router6Test}.)
     */
    static void assertQuotedAsFarAsFits(List<byte[]> sent, List<byte[]> errors, int limit, int headers) {
        assertEquals(sent.size(), errors.size(), "one error per packet");
        for (int i = 0; i < errors.size(); i++) {
            byte[] e = errors.get(i);
            assertEquals(limit, e.length - 14, "the error, IP header included");
            // as A sent it, TTL or hop limit included: the router quotes before it decrements
            assertArrayEquals(Arrays.copyOfRange(sent.get(i), 14, 14 + limit - headers), Arrays.copyOfRange(e, 14 + headers, e.length));
        }
    }

    @Test
    void tooBigWithoutDfIsFragmentedAndReassembledByTheHost() {
        send(B, 3000, 64, false); // A cuts it for 1500 (1480+1480+40), the router cuts the two 1500-byte pieces again for 1280
        settle();
        assertEquals(2, fwd(Ipv4Counter.FWD_FRAGMENTED));
        assertEquals(1, b.ipv4().counters().get(Ipv4Counter.REASSEMBLED));
        assertEquals(1, b.ipv4().counters().get(Ipv4Counter.DROP_UNKNOWN_PROTOCOL), "the whole datagram arrived");
        assertTrue(router.interfaces().get(1).ipv4().counters().get(Ipv4Counter.TX_FRAGMENTS_CREATED) >= 3);
    }

    @Test
    void noRouteGetsNetUnreachable() {
        send(Ipv4Address.parse("192.0.2.9"), 20, 64, false);
        settle();
        assertEquals(1, fwd(Ipv4Counter.FWD_DROP_NO_ROUTE));
        assertEquals(3, icmpAtA.get(0)[0]);
        assertEquals(0, icmpAtA.get(0)[1], "network unreachable");
    }

    @Test
    void staticRouteIsUsedAndLongestPrefixWins() {
        router.ipv4().addRoute(Ipv4Address.parse("10.9.0.0"), 16, B);
        router.ipv4().addRoute(Ipv4Address.parse("10.9.7.0"), 24, Ipv4Address.parse("10.0.1.7"));
        assertEquals(router.interfaces().get(1).ipv4(), router.ipv4().interfaceFor(Ipv4Address.parse("10.9.1.1")));
        assertEquals(router.interfaces().get(0).ipv4(), router.ipv4().interfaceFor(Ipv4Address.parse("10.9.7.1")));
        send(Ipv4Address.parse("10.9.1.1"), 20, 64, false);
        settle();
        // B is the next hop: the frame is addressed to B's MAC although the datagram is not for B
        assertEquals(1, b.ipv4().counters().get(Ipv4Counter.DROP_NOT_FOR_US));
        assertTrue(router.routes().contains("10.9.0.0/16 via 10.0.2.2 dev " + w1[1].name() + " src 10.0.2.1"), router.routes().toString());
    }

    @Test
    void leavingByTheIncomingInterfaceSendsARedirect() {
        int c = Ipv4Address.parse("10.0.1.7");
        router.ipv4().addRoute(Ipv4Address.parse("10.9.7.0"), 24, c);
        send(Ipv4Address.parse("10.9.7.1"), 20, 64, false);
        settle();
        assertEquals(1, fwd(Ipv4Counter.FWD_REDIRECT_SENT));
        assertEquals(1, fwd(Ipv4Counter.FORWARDED), "a redirected datagram is still forwarded");
        assertEquals(5, icmpAtA.get(0)[0], "Redirect");
        assertEquals(1, icmpAtA.get(0)[1], "for the host");
        assertEquals(c, icmpAtA.get(0)[2], "the better first hop");
    }

    @Test
    void linkLocalAndMartiansAreNotForwarded() {
        send(Ipv4Address.parse("169.254.3.3"), 20, 64, false);
        send(Ipv4Address.parse("10.0.2.255"), 20, 64, false); // r1's directed broadcast
        settle();
        assertEquals(1, fwd(Ipv4Counter.FWD_DROP_LINK_LOCAL));
        assertEquals(1, fwd(Ipv4Counter.FWD_DROP_BROADCAST));
        assertEquals(0, fwd(Ipv4Counter.FORWARDED));
        assertEquals(0, b.ipv4().counters().get(Ipv4Counter.RX));
    }

    @Test
    void withoutForwardingTheInterfacesAreAMultiHomedHost() {
        VirtualClock c2 = new VirtualClock();
        PairLink[] x = PairLink.create(1500);
        PairLink[] y = PairLink.create(1500);
        NetStack i0 = new NetStack(x[1], host(R0, 0, 0x0200000000b0L, 1500), c2);
        NetStack i1 = new NetStack(y[1], host(R1, 0, 0x0200000000b1L, 1500), c2);
        Router host = new Router(List.of(i0, i1), false);
        NetStack h = new NetStack(x[0], host(A, R0, 0x0200000000b2L, 1500), c2);
        PacketBuf p = h.allocate(20);
        p.append(20);
        h.ipOutput(p, 0, 0, 0, IpAddr.mappedLo(B), PROTO_TEST, 64, 0, false);
        for (int i = 0; i < 100; i++) {
            h.poll(c2.nanos());
            host.poll(c2.nanos());
        }
        assertEquals(1, i0.ipv4().counters().get(Ipv4Counter.DROP_NOT_FOR_US));
        assertEquals(0, i0.ipv4().counters().get(Ipv4Counter.FORWARDED));
    }

    @Test
    void aNextHopThatDoesNotAnswerArpGetsHostUnreachable() {
        router.ipv4().addRoute(Ipv4Address.parse("10.9.0.0"), 16, Ipv4Address.parse("10.0.2.99")); // nobody there
        send(Ipv4Address.parse("10.9.1.1"), 20, 64, false);
        for (int i = 0; i < 60; i++) { // the router asks three times, a second apart (RFC 1122 §2.3.2.1)
            settle();
            clock.advance(100_000_000L);
        }
        settle();
        assertEquals(1, router.interfaces().get(1).ipv4().counters().get(Ipv4Counter.FWD_HOST_UNREACHABLE));
        assertEquals(3, icmpAtA.get(0)[0]);
        assertEquals(1, icmpAtA.get(0)[1], "host unreachable (RFC 1812 §5.2.7.1)");
    }
}
