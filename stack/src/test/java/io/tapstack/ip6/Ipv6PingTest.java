package io.tapstack.ip6;

import io.tapstack.TwoHosts;
import io.tapstack.link.LinkCounter;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv6PingTest {
    static final IpAddr G_A = IpAddr.parse("2001:db8::1");
    static final IpAddr G_B = IpAddr.parse("2001:db8::2");

    static TwoHosts v6Hosts() {
        TwoHosts h = new TwoHosts();
        h.a.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::1/64"));
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        h.run(3_000_000_000L, 100_000_000L);
        return h;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 56, 1452, 3000})
    void ping6Sizes(int size) {
        TwoHosts h = v6Hosts();
        List<byte[]> replies = new ArrayList<>();
        h.a.icmp6().setEchoListener((sHi, sLo, id, seq, buf, off, len, now) -> {
            assertEquals(G_B, IpAddr.of(sHi, sLo));
            assertEquals(0x4242, id);
            assertEquals(1, seq);
            byte[] d = new byte[len];
            buf.get(off, d);
            replies.add(d);
        });
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        assertTrue(h.a.icmp6().sendEchoRequest(G_B.hi(), G_B.lo(), 0x4242, 1, data));
        h.settle();
        assertEquals(1, replies.size());
        assertArrayEquals(data, replies.get(0));
        if (size == 3000) {
            assertEquals(1, h.b.ipv6().counters().get(Ipv6Counter.REASSEMBLED));
            assertEquals(1, h.a.ipv6().counters().get(Ipv6Counter.REASSEMBLED));
            assertTrue(h.a.ipv6().counters().get(Ipv6Counter.TX_FRAGMENTS_CREATED) >= 3);
        } else {
            assertEquals(0, h.a.ipv6().counters().get(Ipv6Counter.TX_FRAGMENTED));
        }
        assertEquals(0, h.a.linkStats().get(LinkCounter.INTERNAL_ERROR));
        assertEquals(0, h.b.linkStats().get(LinkCounter.INTERNAL_ERROR));
    }

    @Test
    void linkLocalAddressesAfterDadAndNeighbourReachable() {
        TwoHosts h = v6Hosts();
        LocalAddress llA = h.a.ipv6().linkLocal();
        LocalAddress llB = h.b.ipv6().linkLocal();
        assertNotNull(llA);
        assertNotNull(llB);
        assertEquals(2, h.a.ndp().counters().get(NdpCounter.DAD_SUCCEEDED));
        assertEquals(0, h.a.ndp().counters().get(NdpCounter.DAD_DUPLICATE));
        List<int[]> got = new ArrayList<>();
        h.a.icmp6().setEchoListener((sHi, sLo, id, seq, buf, off, len, now) -> got.add(new int[] {id, seq}));
        h.a.icmp6().sendEchoRequest(llB.hi(), llB.lo(), 1, 2, new byte[8]);
        h.settle();
        assertEquals(1, got.size());
        Ndp.Neighbor n = h.a.ndp().neighbor(llB.hi(), llB.lo());
        assertEquals(Ndp.State.REACHABLE, n.state());
        assertEquals(0x020000000002L, n.mac());
        // the link-local source was chosen for a link-local destination (RFC 6724 rule 2)
        assertEquals(IpAddr.of(llA.hi(), llA.lo()), h.a.sourceFor(IpAddr.of(llB.hi(), llB.lo())));
        assertEquals(G_A, h.a.sourceFor(G_B));
    }

    @Test
    void udpOverIpv6AndPortUnreachable() throws Exception {
        TwoHosts h = v6Hosts();
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        UdpSocket client = h.a.udp().open();
        client.sendTo(ByteBuffer.wrap(new byte[] {1, 2, 3}), G_B, 5000);
        h.settle();
        ByteBuffer bb = ByteBuffer.allocate(10);
        assertEquals(3, server.receive(bb));
        assertEquals(G_A, server.lastSourceAddress());
        server.sendTo(ByteBuffer.wrap(new byte[] {4}), server.lastSourceAddress(), server.lastSourcePort());
        h.settle();
        assertEquals(1, client.receive(ByteBuffer.allocate(4)));
        // large datagram over IPv6 is fragmented and reassembled
        byte[] big = new byte[4000];
        Arrays.fill(big, (byte) 7);
        client.sendTo(ByteBuffer.wrap(big), G_B, 5000);
        h.settle();
        ByteBuffer bigBuf = ByteBuffer.allocate(5000);
        assertEquals(4000, server.receive(bigBuf));
        // closed port → ICMPv6 port unreachable → PortUnreachableException on a connected socket
        UdpSocket c2 = h.a.udp().open().connect(G_B, 9999);
        c2.send(ByteBuffer.wrap(new byte[] {1}));
        h.settle();
        assertEquals(1, h.b.icmp6().counters().get(Icmp6Counter.TX_DEST_UNREACHABLE));
        try {
            c2.receive(ByteBuffer.allocate(4));
            throw new AssertionError("expected PortUnreachableException");
        } catch (java.net.PortUnreachableException expected) {
            // ok
        }
    }
}
