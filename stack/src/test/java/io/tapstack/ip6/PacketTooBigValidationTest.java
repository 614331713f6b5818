package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpCounter;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Header;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.ip6.Ipv6InputTest.A;
import static io.tapstack.ip6.Ipv6InputTest.B;
import static io.tapstack.ip6.Ipv6InputTest.MAC_A;
import static io.tapstack.ip6.Ipv6InputTest.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 8201 §4: "Nodes SHOULD appropriately validate the payload of ICMPv6 PTB messages to ensure
 * these are received in response to transmitted traffic"; RFC 5927 §4.1, §5.2 for TCP. The path
 * MTU towards a destination is shared by every flow to it, so a Packet Too Big lowers it only
 * when the transport that sent the quoted packet accepts it; the others are counted by reason.
 */
class PacketTooBigValidationTest {
    /** The router that sends the errors (on the link, never answered). */
    static final IpAddr R = IpAddr.parse("2001:db8::fe");
    static final int LINK_MTU = 1500;

    /** A Packet Too Big from R to A quoting a packet A → B with next header {@code nh} and {@code l4} after the IPv6 header. */
    static byte[] ptb(int mtu, int nh, byte[] l4) {
        ByteBuffer q = ByteBuffer.allocate(Ipv6Header.LENGTH + l4.length);
        Ipv6Header.emit(q, 0, 0, 0, l4.length, nh, 64, A.hi(), A.lo(), B.hi(), B.lo());
        q.put(Ipv6Header.LENGTH, l4);
        ByteBuffer m = ByteBuffer.allocate(Icmpv6.HEADER_LEN + q.capacity());
        Icmpv6.emitHeader(m, 0, Icmpv6.PACKET_TOO_BIG, 0, mtu);
        m.put(Icmpv6.HEADER_LEN, q.array());
        return Frames.ipv6(MAC_A, MAC_B, R.hi(), R.lo(), A.hi(), A.lo(), 58, 64, Ipv6InputTest.nd(R, A, m.array()));
    }

    /** The first 8 bytes of a TCP or UDP header: ports, then the TCP sequence number. */
    static byte[] ports(int sport, int dport, int seq) {
        return ByteBuffer.allocate(8).putShort((short) sport).putShort((short) dport).putInt(seq).array();
    }

    static long icmp6(TwoHosts h, Icmp6Counter c) {
        return h.a.icmp6().counters().get(c);
    }

    static void inject(TwoHosts h, byte[] frame) {
        h.wireA.inject(frame);
        h.a.poll(h.clock.nanos()); // A only: B leaves A's data unacknowledged, in flight
    }

    static final class Sink implements TcpHandler {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean connected;

        @Override
        public void onConnected(TcpConnection c) {
            connected = true;
        }

        @Override
        public void onReadable(TcpConnection c) {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = c.read(buf, 0, buf.length)) > 0) {
                    bytes.write(buf, 0, n);
                }
            } catch (TcpException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void forgedPtbsLeaveThePathMtuAloneAValidOneLowersItAndTheMssFollows_rfc8201s4_rfc5927s41() throws Exception {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        // A's TCP segments as they leave: {sequence number, payload length, IPv6 packet length}
        List<int[]> sent = new ArrayList<>();
        h.a.addFrameTap((buf, off, len, wall, outbound) -> {
            if (outbound && buf.getShort(off + 12) == (short) 0x86dd && (buf.get(off + 14 + Ipv6Header.NEXT_HEADER) & 0xff) == 6) {
                int tcp = off + 14 + Ipv6Header.LENGTH;
                int payload = (buf.getShort(off + 14 + 4) & 0xffff) - ((buf.get(tcp + 12) & 0xff) >>> 4) * 4;
                sent.add(new int[] {buf.getInt(tcp + 4), payload, len - 14});
            }
        });
        TcpListener l = h.b.tcp().listen(null, 8080, 16, null);
        Sink server = new Sink();
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                c.setHandler(server);
            }
        });
        Sink client = new Sink();
        TcpConnection c = h.a.tcp().connect(B, 8080, client);
        h.settle();
        assertTrue(client.connected);
        int mssBefore = c.mss();
        sent.clear();
        byte[] data = Frames.pattern(4000, 3);
        assertEquals(4000, c.write(ByteBuffer.wrap(data)));
        h.a.poll(h.clock.nanos());
        assertFalse(sent.isEmpty(), "A sent its data");
        int una = sent.get(0)[0];
        int lport = c.localPort();
        assertEquals(LINK_MTU, h.a.pathMtu(B.hi(), B.lo()));

        // 1. forged: no such connection (another peer port), and a sequence number far out of flight
        inject(h, ptb(1300, 6, ports(lport, 8081, una + 100)));
        inject(h, ptb(1300, 6, ports(lport, 8080, una + 5_000_000)));
        inject(h, ptb(1300, 6, ports(lport, 8080, una - 1)));
        // a UDP datagram from a port A does not hold, and a protocol no transport of A speaks
        inject(h, ptb(1300, 17, ports(4001, 53, 0)));
        inject(h, ptb(1300, 253, ports(0, 0, 0)));
        assertEquals(LINK_MTU, h.a.pathMtu(B.hi(), B.lo()), "no forged PTB lowers the path MTU");
        assertEquals(mssBefore, c.mss());
        assertEquals(5, icmp6(h, Icmp6Counter.RX_PACKET_TOO_BIG));
        assertEquals(2, icmp6(h, Icmp6Counter.PTB_REFUSED_NO_FLOW));
        assertEquals(2, icmp6(h, Icmp6Counter.PTB_REFUSED_NOT_IN_FLIGHT));
        assertEquals(1, icmp6(h, Icmp6Counter.PTB_REFUSED_NO_TRANSPORT));
        assertEquals(0, icmp6(h, Icmp6Counter.PMTU_LOWERED));
        assertEquals(1, h.a.tcp().counters().get(TcpCounter.ICMP_NO_CONNECTION));
        assertEquals(2, h.a.tcp().counters().get(TcpCounter.ICMP_OUT_OF_WINDOW));
        assertEquals(0, h.a.tcp().counters().get(TcpCounter.PMTU_UPDATES));

        // 2. valid: quotes a sequence number in flight; 1000 is below the IPv6 minimum, so 1280
        sent.clear();
        inject(h, ptb(1000, 6, ports(lport, 8080, una + 100)));
        assertEquals(1280, h.a.pathMtu(B.hi(), B.lo()), "lowered, never below 1280 (RFC 8201 §4)");
        assertEquals(1, icmp6(h, Icmp6Counter.PMTU_LOWERED));
        assertEquals(1, h.a.tcp().counters().get(TcpCounter.PMTU_UPDATES));
        assertEquals(mssBefore - (LINK_MTU - 1280), c.mss(), "the connection's MSS follows the path MTU");
        // RFC 1191 §6.5: what was in flight goes again at the new size
        assertFalse(sent.isEmpty(), "retransmitted at once");
        assertEquals(una, sent.get(0)[0]);
        for (int[] s : sent) {
            assertTrue(s[2] <= 1280, "a segment of " + s[2] + " bytes after the PTB");
        }
        h.settle();
        assertArrayEquals(data, server.bytes.toByteArray(), "the stream arrives whole");

        // 3. a later connection to the same destination starts from the cached path MTU
        Sink client2 = new Sink();
        TcpConnection c2 = h.a.tcp().connect(B, 8080, client2);
        h.settle();
        assertTrue(client2.connected);
        assertEquals(c.mss(), c2.mss());
    }

    /**
     * RFC 4443 §3.2: the MTU field is unsigned 32 bits, so 0xffffffff is no reason to lower
     * anything; RFC 8201 §4: an MTU below 1280 (here 0) means 1280, for the cache and the
     * connection alike.
     */
    @Test
    void theMtuFieldIsUnsignedAndBelow1280Means1280_rfc4443s32() throws Exception {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        h.a.udp().open().bind(null, 4000);
        inject(h, ptb(0xffff_ffff, 17, ports(4000, 7, 0)));
        assertEquals(LINK_MTU, h.a.pathMtu(B.hi(), B.lo()), "a huge MTU lowers nothing");
        inject(h, ptb(0, 17, ports(4000, 7, 0)));
        assertEquals(1280, h.a.pathMtu(B.hi(), B.lo()));
        assertEquals(1, icmp6(h, Icmp6Counter.PMTU_LOWERED));
    }

    @Test
    void udpPtbIsBelievedOnlyForASocketThatCouldHaveSentIt_rfc8201s4() throws Exception {
        TwoHosts h = Ipv6PingTest.v6Hosts();
        h.a.udp().open().bind(null, 4000);
        UdpSocket connected = h.a.udp().open().bind(null, 4002);
        connected.connect(B, 9999);
        // from a port no socket holds; from a connected socket, but to another peer port
        inject(h, ptb(1400, 17, ports(4001, 9, 0)));
        inject(h, ptb(1400, 17, ports(4002, 53, 0)));
        assertEquals(LINK_MTU, h.a.pathMtu(B.hi(), B.lo()));
        assertEquals(2, icmp6(h, Icmp6Counter.PTB_REFUSED_NO_FLOW));
        // the connected socket's own peer; then the unconnected socket, which may have sent to anyone
        inject(h, ptb(1400, 17, ports(4002, 9999, 0)));
        assertEquals(1400, h.a.pathMtu(B.hi(), B.lo()));
        inject(h, ptb(1300, 17, ports(4000, 7, 0)));
        assertEquals(1300, h.a.pathMtu(B.hi(), B.lo()));
        assertEquals(2, icmp6(h, Icmp6Counter.PMTU_LOWERED));
        // a PTB never raises the estimate
        inject(h, ptb(1450, 17, ports(4000, 7, 0)));
        assertEquals(1300, h.a.pathMtu(B.hi(), B.lo()));
    }

    /** An echo reply A → B with identifier {@code id} and sequence number {@code seq}, as quoted. */
    static byte[] echoReply(int id, int seq) {
        ByteBuffer b = ByteBuffer.allocate(Icmpv6.HEADER_LEN + 32);
        Icmpv6.emitHeader(b, 0, Icmpv6.ECHO_REPLY, 0, id << 16 | seq);
        return b.array();
    }

    @Test
    void echoPtbIsBelievedOnlyForAnEchoThisHostSent_rfc8201s4() throws Exception {
        // the case of TAHI's v6LC.4.1.12 "Validate Packet Too Big": a PTB quoting an echo reply
        // with another identifier is ignored, one quoting the reply sent is believed
        TwoHosts h = Ipv6PingTest.v6Hosts();
        List<Integer> replies = new ArrayList<>();
        h.b.icmp6().setEchoListener((sHi, sLo, id, seq, buf, off, len, now) -> replies.add(len));
        assertTrue(h.b.icmp6().sendEchoRequest(A.hi(), A.lo(), 7, 1, new byte[1400]));
        h.settle();
        assertEquals(List.of(1400), replies);
        inject(h, ptb(1280, 58, echoReply(8, 1)));
        inject(h, ptb(1280, 58, echoReply(7, 2)));
        assertEquals(LINK_MTU, h.a.pathMtu(B.hi(), B.lo()));
        assertEquals(2, icmp6(h, Icmp6Counter.PTB_REFUSED_NO_FLOW));
        inject(h, ptb(1280, 58, echoReply(7, 1)));
        assertEquals(1280, h.a.pathMtu(B.hi(), B.lo()));
        // the next reply of 1400 bytes leaves A in fragments
        assertTrue(h.b.icmp6().sendEchoRequest(A.hi(), A.lo(), 7, 2, new byte[1400]));
        h.settle();
        assertEquals(List.of(1400, 1400), replies);
        assertEquals(1, h.a.ipv6().counters().get(Ipv6Counter.TX_FRAGMENTED));
        assertEquals(Arrays.asList(0L, 0L), Arrays.asList(icmp6(h, Icmp6Counter.PTB_REFUSED_NOT_IN_FLIGHT),
                icmp6(h, Icmp6Counter.PTB_REFUSED_NO_TRANSPORT)));
    }
}
