package io.tapstack.blocking;

import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.link.PairLink;
import io.tapstack.loop.Clock;
import io.tapstack.EventLoop;
import io.tapstack.udp.Udp;
import io.tapstack.udp.UdpSocket;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The blocking facade on two real event-loop threads (the in-memory wire guarded by one lock).
 * B echoes with a bare socket here; the udp-echo service runs the same test in the services module.
 */
class TapDatagramSocketTest {
    /** On the loop thread: a socket on {@code port} that sends every datagram back (RFC 862). */
    static UdpSocket openEcho(Udp udp, int port) {
        UdpSocket s = udp.open();
        s.setHandler((sock, buf, off, len, hi, lo, sport) -> {
            try {
                sock.sendTo(buf, off, len, hi, lo, sport);
            } catch (IOException e) {
                // no route back
            }
        });
        try {
            return s.bind(null, port);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
            UdpSocket echo = lb.call(() -> openEcho(lb.stack().udp(), 7)).get(10, TimeUnit.SECONDS);
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
            lb.execute(echo::close);
        }
    }
}
