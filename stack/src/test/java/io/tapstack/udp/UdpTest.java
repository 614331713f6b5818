package io.tapstack.udp;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.ip.IcmpCounter;
import io.tapstack.link.LinkCounter;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.Test;

import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UdpTest {
    static final IpAddr A = IpAddr.ofV4(TwoHosts.IP_A);
    static final IpAddr B = IpAddr.ofV4(TwoHosts.IP_B);
    static final long MAC_A = 0x020000000001L;
    static final long MAC_B = 0x020000000002L;

    static byte[] read(UdpSocket s) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(70000);
        int n = s.receive(bb);
        assertTrue(n >= 0, "a datagram is queued");
        return Arrays.copyOf(bb.array(), n);
    }

    @Test
    void sendAndReceiveBothWays() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        UdpSocket client = h.a.udp().open();
        client.sendTo(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)), B, 5000);
        h.settle();
        assertEquals("hello", new String(read(server), StandardCharsets.US_ASCII));
        assertEquals(A, server.lastSourceAddress());
        assertEquals(client.localPort(), server.lastSourcePort());
        assertTrue(client.localPort() >= 32768 && client.localPort() <= 60999, "ephemeral range");
        server.sendTo(ByteBuffer.wrap("world".getBytes(StandardCharsets.US_ASCII)), server.lastSourceAddress(), server.lastSourcePort());
        h.settle();
        assertEquals("world", new String(read(client), StandardCharsets.US_ASCII));
        assertEquals(B, client.lastSourceAddress());
        assertEquals(5000, client.lastSourcePort());
        assertEquals(-1, client.receive(ByteBuffer.allocate(10)));
    }

    @Test
    void emptyDatagramAndLargeFragmentedDatagram() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        UdpSocket client = h.a.udp().open();
        client.sendTo(ByteBuffer.allocate(0), B, 5000);
        byte[] big = new byte[3000];
        new Random(1).nextBytes(big);
        client.sendTo(ByteBuffer.wrap(big), B, 5000);
        h.settle();
        assertEquals(0, read(server).length);
        assertArrayEquals(big, read(server));
        assertEquals(1, h.b.ipv4().counters().get(io.tapstack.ip.Ipv4Counter.REASSEMBLED));
    }

    @Test
    void connectedSocketFiltersAndSetsDefaultDestination() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        UdpSocket other = h.b.udp().open().bind(null, 5001);
        UdpSocket client = h.a.udp().open().bind(null, 6000).connect(B, 5000);
        assertEquals(A, client.localAddress());
        client.send(ByteBuffer.wrap(new byte[] {1}));
        h.settle();
        assertEquals(1, read(server).length);
        // a datagram from another port of the peer is filtered: nobody else on 6000 → port unreachable
        other.sendTo(ByteBuffer.wrap(new byte[] {2}), A, 6000);
        server.sendTo(ByteBuffer.wrap(new byte[] {3}), A, 6000);
        h.settle();
        byte[] got = read(client);
        assertArrayEquals(new byte[] {3}, got);
        assertEquals(-1, client.receive(ByteBuffer.allocate(4)));
        assertEquals(1, h.a.udp().counters().get(UdpCounter.DROP_NO_PORT));
    }

    @Test
    void closedPortAnswersPortUnreachableDeliveredToConnectedSocket() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket client = h.a.udp().open().connect(B, 9999);
        client.send(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        h.settle();
        assertEquals(1, h.b.udp().counters().get(UdpCounter.DROP_NO_PORT));
        assertEquals(1, h.b.icmp().counters().get(IcmpCounter.TX_DEST_UNREACHABLE));
        assertEquals(1, h.a.icmp().counters().get(IcmpCounter.RX_DEST_UNREACHABLE));
        assertEquals(1, h.a.udp().counters().get(UdpCounter.ICMP_ERROR_DELIVERED));
        assertThrows(PortUnreachableException.class, () -> client.receive(ByteBuffer.allocate(10)));
        // reported once
        assertEquals(-1, client.receive(ByteBuffer.allocate(10)));
    }

    @Test
    void unconnectedSocketIgnoresIcmpErrors() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket client = h.a.udp().open();
        client.sendTo(ByteBuffer.wrap(new byte[] {1}), B, 9999);
        h.settle();
        assertEquals(1, h.a.udp().counters().get(UdpCounter.ICMP_ERROR_IGNORED));
        assertFalse(client.hasPendingError());
    }

    @Test
    void broadcastToClosedPortIsSilent() {
        TwoHosts h = new TwoHosts();
        byte[] u = Frames.udp4(TwoHosts.IP_A, 0x0a0000ff, 1234, 9999, new byte[4], -1);
        h.wireB.inject(Frames.ipv4(0xffffffffffffL, MAC_A, TwoHosts.IP_A, 0x0a0000ff, 17, u));
        h.settle();
        assertEquals(1, h.b.udp().counters().get(UdpCounter.DROP_NO_PORT_BROADCAST));
        assertEquals(0, h.b.icmp().counters().get(IcmpCounter.TX_DEST_UNREACHABLE));
    }

    @Test
    void badChecksumCountedZeroChecksumAcceptedOnV4() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        byte[] good = Frames.udp4(TwoHosts.IP_A, TwoHosts.IP_B, 1234, 5000, new byte[] {9, 9}, -1);
        byte[] bad = good.clone();
        bad[8] ^= 1;
        h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17, bad));
        h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17,
                Frames.udp4(TwoHosts.IP_A, TwoHosts.IP_B, 1234, 5000, new byte[] {7}, 0)));
        h.settle();
        assertEquals(1, h.b.udp().counters().get(UdpCounter.DROP_BAD_CHECKSUM));
        assertEquals(1, h.b.udp().counters().get(UdpCounter.RX_NO_CHECKSUM));
        assertArrayEquals(new byte[] {7}, read(server));
        assertEquals(-1, server.receive(ByteBuffer.allocate(4)));
    }

    @Test
    void truncatedAndBadLengthDropped() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        // IP payload shorter than a UDP header
        h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17, new byte[] {0, 1, 0x13, (byte) 0x88}));
        // UDP length larger than the IP payload
        byte[] u = Frames.udp4(TwoHosts.IP_A, TwoHosts.IP_B, 1234, 5000, new byte[4], 0);
        u[5] = 20;
        h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17, u));
        // UDP length smaller than 8
        byte[] v = Frames.udp4(TwoHosts.IP_A, TwoHosts.IP_B, 1234, 5000, new byte[4], 0);
        v[5] = 7;
        h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17, v));
        // UDP length smaller than the IP payload: the excess is not part of the datagram
        byte[] w = Frames.udp4(TwoHosts.IP_A, TwoHosts.IP_B, 1234, 5000, new byte[] {1, 2, 3, 4}, 0);
        w[5] = 10;
        h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17, w));
        h.settle();
        assertEquals(1, h.b.udp().counters().get(UdpCounter.DROP_TRUNCATED));
        assertEquals(2, h.b.udp().counters().get(UdpCounter.DROP_BAD_LENGTH));
        assertArrayEquals(new byte[] {1, 2}, read(server));
    }

    @Test
    void randomBytesNeverThrow() {
        TwoHosts h = new TwoHosts();
        h.b.udp().open();
        Random r = new Random(42);
        for (int i = 0; i < 3000; i++) {
            byte[] u = new byte[r.nextInt(64)];
            r.nextBytes(u);
            if (u.length >= 4 && r.nextBoolean()) {
                u[2] = 0x13;
                u[3] = (byte) 0x88;
            }
            h.wireB.inject(Frames.ipv4(MAC_B, MAC_A, TwoHosts.IP_A, TwoHosts.IP_B, 17, u));
            if (i % 100 == 0) {
                h.settle();
            }
        }
        h.settle();
        assertEquals(0, h.b.linkStats().get(LinkCounter.INTERNAL_ERROR));
        assertEquals(0, h.a.linkStats().get(LinkCounter.INTERNAL_ERROR));
    }

    @Test
    void receiveQueueIsBounded() throws Exception {
        TwoHosts h = new TwoHosts();
        h.b.config().udpRecvQueuePackets = 4;
        UdpSocket server = h.b.udp().open().bind(null, 5000);
        UdpSocket client = h.a.udp().open();
        // resolve ARP first (its pending queue holds only 8)
        client.sendTo(ByteBuffer.wrap(new byte[] {0}), B, 5000);
        h.settle();
        read(server);
        for (int i = 0; i < 10; i++) {
            client.sendTo(ByteBuffer.wrap(new byte[] {(byte) i}), B, 5000);
        }
        h.settle();
        assertEquals(4, server.available());
        assertEquals(6, server.drops());
        assertEquals(6, h.b.udp().counters().get(UdpCounter.DROP_QUEUE_FULL));
        assertArrayEquals(new byte[] {0}, read(server));
    }

    @Test
    void bindConflictsAndClose() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpSocket s = h.b.udp().open().bind(null, 5000);
        assertThrows(java.net.BindException.class, () -> h.b.udp().open().bind(null, 5000));
        assertThrows(java.net.BindException.class, () -> h.b.udp().open().bind(IpAddr.ofV4(0x0a000063), 5001));
        s.close();
        h.b.udp().open().bind(B, 5000);
        assertEquals(1, h.b.udp().boundCount());
    }
}
