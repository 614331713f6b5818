package io.tapstack.service;

import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.blocking.LockedPairLink;
import io.tapstack.blocking.TapDatagramSocket;
import io.tapstack.link.PairLink;
import io.tapstack.loop.Clock;
import io.tapstack.EventLoop;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The udp-echo service: by hand on virtual time, and through the registry behind the blocking facade. */
class UdpEchoServiceTest {
    static final IpAddr B = IpAddr.ofV4(TwoHosts.IP_B);

    static byte[] read(UdpSocket s) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(70000);
        int n = s.receive(bb);
        assertTrue(n >= 0, "a datagram is queued");
        return Arrays.copyOf(bb.array(), n);
    }

    @Test
    void echoService() throws Exception {
        TwoHosts h = new TwoHosts();
        UdpEchoService.open(h.b.udp(), 7);
        UdpSocket client = h.a.udp().open();
        client.sendTo(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)), B, 7);
        h.settle();
        assertEquals("ping", new String(read(client), StandardCharsets.US_ASCII));
        assertEquals(7, client.lastSourcePort());
    }

    @Test
    void blockingSendReceiveEchoAndPortUnreachable() throws Exception {
        PairLink[] w = PairLink.create(1500);
        Object lock = new Object();
        NetStack a = new NetStack(new LockedPairLink(w[0], lock), TwoHosts.config(TwoHosts.IP_A, 0x020000000001L), Clock.SYSTEM);
        NetStack b = new NetStack(new LockedPairLink(w[1], lock), TwoHosts.config(TwoHosts.IP_B, 0x020000000002L), Clock.SYSTEM);
        try (EventLoop la = new EventLoop(a, "a"); EventLoop lb = new EventLoop(b, "b")) {
            la.start();
            lb.start();
            var echo = ServiceRegistry.get("udp-echo").start(lb, new ServiceOptions());
            assertEquals("udp-echo udp/7", echo.describe());
            InetAddress bAddr = InetAddress.getByName("10.0.0.2");
            try (TapDatagramSocket s = new TapDatagramSocket(la)) {
                s.setSoTimeout(5000);
                byte[] msg = "hello".getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(msg, msg.length, bAddr, 7));
                DatagramPacket p = new DatagramPacket(new byte[100], 100);
                s.receive(p);
                assertEquals("hello", new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                assertEquals(bAddr, p.getAddress());
                assertEquals(7, p.getPort());
                s.setSoTimeout(200);
                assertThrows(SocketTimeoutException.class, () -> s.receive(new DatagramPacket(new byte[1], 1)));
            }
            try (TapDatagramSocket c = new TapDatagramSocket(la)) {
                c.setSoTimeout(5000);
                c.connect(new InetSocketAddress(bAddr, 9));
                c.send(new DatagramPacket(new byte[1], 1));
                assertThrows(PortUnreachableException.class, () -> c.receive(new DatagramPacket(new byte[1], 1)));
                assertNotNull(c.getLocalAddress());
            }
            echo.close();
        }
    }
}
