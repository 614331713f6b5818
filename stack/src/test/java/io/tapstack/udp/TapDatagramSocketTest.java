package io.tapstack.udp;

import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.Link;
import io.tapstack.link.PairLink;
import io.tapstack.loop.Clock;
import io.tapstack.EventLoop;
import io.tapstack.service.ServiceOptions;
import io.tapstack.service.ServiceRegistry;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The blocking facade on two real event-loop threads (the in-memory wire guarded by one lock). */
class TapDatagramSocketTest {
    /** PairLink is single-threaded; this serialises both ends on one lock (test only). */
    static final class Locked implements Link {
        final PairLink l;
        final Object lock;

        Locked(PairLink l, Object lock) {
            this.l = l;
            this.lock = lock;
        }

        public String name() {
            return l.name();
        }

        public int mtu() {
            return l.mtu();
        }

        public int receive(PacketPool pool, PacketBuf[] out, int max) {
            synchronized (lock) {
                return l.receive(pool, out, max);
            }
        }

        public boolean transmit(PacketBuf f) {
            synchronized (lock) {
                return l.transmit(f);
            }
        }

        public void await(long t) {
            Thread.onSpinWait();
        }

        public void wakeup() {
        }

        public void close() {
        }
    }

    @Test
    void blockingSendReceiveEchoAndPortUnreachable() throws Exception {
        PairLink[] w = PairLink.create(1500);
        Object lock = new Object();
        NetStack a = new NetStack(new Locked(w[0], lock), TwoHosts.config(TwoHosts.IP_A, 0x020000000001L), Clock.SYSTEM);
        NetStack b = new NetStack(new Locked(w[1], lock), TwoHosts.config(TwoHosts.IP_B, 0x020000000002L), Clock.SYSTEM);
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
