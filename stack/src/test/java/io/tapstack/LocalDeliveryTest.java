package io.tapstack;

import io.tapstack.context.StackConfig;
import io.tapstack.link.LinkCounter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.socket.ConnectionRefused;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.tcp.TcpState;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host talks to itself (RFC 1122 §3.3.6 spirit): TCP and UDP to its own address and to the
 * loopback addresses are delivered inside the stack and never reach the link.
 */
class LocalDeliveryTest {
    static final IpAddr OWN = IpAddr.ofV4(TwoHosts.IP_B);

    final VirtualClock clock = new VirtualClock();
    final PairLink[] wire = PairLink.create(1500);
    final NetStack stack;
    final io.tapstack.buffer.PacketPool drainPool = io.tapstack.buffer.PacketPool.forMtu(1500);

    /** Drains what the host put on the wire and counts the TCP and UDP packets among it. */
    int transportPacketsOnWire() {
        int n = 0;
        io.tapstack.buffer.PacketBuf[] one = new io.tapstack.buffer.PacketBuf[1];
        while (wire[0].receive(drainPool, one, 1) == 1) {
            java.nio.ByteBuffer b = one[0].buf();
            int at = one[0].start();
            int type = b.getShort(at + 12) & 0xffff;
            int proto = type == 0x0800 ? b.get(at + 14 + 9) : type == 0x86dd ? b.get(at + 14 + 6) : -1;
            if (proto == 6 || proto == 17) {
                n++;
            }
            one[0].release();
        }
        return n;
    }

    LocalDeliveryTest() {
        StackConfig c = TwoHosts.config(TwoHosts.IP_B, 0x020000000002L);
        c.ipv6.add(io.tapstack.wire.Ipv6InterfaceAddress.parse("fd00::2/64"));
        c.dadTransmits = 0;
        stack = new NetStack(wire[1], c, clock);
        stack.poll(clock.nanos()); // start: announcements go out on the wire once

    }

    /** Polls (advancing virtual time 1 ms a pass) until {@code cond} holds; bounded. */
    void until(BooleanSupplier cond) {
        for (int i = 0; i < 20_000; i++) {
            if (cond.getAsBoolean()) {
                return;
            }
            stack.poll(clock.nanos());
            if (stack.localPending() == 0) {
                clock.advance(1_000_000L);
            }
        }
        throw new AssertionError("condition not met");
    }

    static final class Sink implements TcpHandler {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(8192);
        boolean connected;
        boolean eof;
        TcpException closedWith;
        boolean closed;

        @Override
        public void onConnected(TcpConnection c) {
            connected = true;
        }

        @Override
        public void onReadable(TcpConnection c) {
            try {
                int n;
                while ((n = c.read(buf.clear())) > 0) {
                    bytes.write(buf.array(), 0, n);
                }
                if (n < 0) {
                    eof = true;
                }
            } catch (TcpException e) {
                closedWith = e;
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            closed = true;
            closedWith = error;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.2", "127.0.0.1", "127.1.2.3", "::1", "fd00::2"})
    void tcpToItselfCarriesDataBothWaysAndNeverTouchesTheLink(String to) throws Exception {
        IpAddr dst = IpAddr.parse(to);
        TcpListener l = stack.tcp().listen(null, 8080, 16, null);
        List<TcpConnection> accepted = new ArrayList<>();
        Sink server = new Sink();
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                accepted.add(c);
                c.setHandler(server);
            }
        });
        Sink client = new Sink();
        TcpConnection c = stack.tcp().connect(dst, 8080, client);
        assertEquals(dst, c.localAddress(), "to itself the host speaks from the address it talks to");
        until(() -> client.connected && accepted.size() == 1);
        TcpConnection s = accepted.get(0);
        assertEquals(dst, s.remoteAddress());
        assertEquals(c.localPort(), s.remotePort());

        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        int[] sent = {0};
        Runnable pump = () -> {
            try {
                sent[0] += c.write(ByteBuffer.wrap(data, sent[0], data.length - sent[0]));
                if (sent[0] == data.length) {
                    c.shutdownOutput();
                }
            } catch (TcpException e) {
                throw new AssertionError(e);
            }
        };
        pump.run();
        until(() -> {
            if (sent[0] < data.length) {
                pump.run();
            }
            return server.eof;
        });
        assertArrayEquals(data, server.bytes.toByteArray());
        s.write(ByteBuffer.wrap("bye".getBytes()));
        s.close();
        until(() -> client.eof && server.closed);
        assertEquals("bye", client.bytes.toString());
        assertEquals(0, transportPacketsOnWire(), "nothing addressed to the host itself went to the link");
        assertTrue(stack.linkStats().get(LinkCounter.LOCAL_DELIVERED) > 200);
        assertEquals(0, stack.linkStats().get(LinkCounter.DROP_LOCAL_QUEUE_FULL));
    }

    @Test
    void connectingToAClosedPortOfItselfIsRefused() throws Exception {
        Sink client = new Sink();
        TcpConnection c = stack.tcp().connect(IpAddr.parse("127.0.0.1"), 9, client);
        until(() -> client.closed);
        assertInstanceOf(ConnectionRefused.class, client.closedWith);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, transportPacketsOnWire());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "10.0.0.2", "::1"})
    void udpToItself(String to) throws Exception {
        IpAddr dst = IpAddr.parse(to);
        UdpSocket server = stack.udp().open().bind(dst, 5353);
        UdpSocket client = stack.udp().open();
        byte[] big = new byte[20_000]; // larger than the link MTU: no fragmentation on the way to itself
        new Random(3).nextBytes(big);
        client.sendTo(ByteBuffer.wrap("hello".getBytes()), dst, 5353);
        client.sendTo(ByteBuffer.wrap(big), dst, 5353);
        until(() -> server.available() == 2);
        ByteBuffer bb = ByteBuffer.allocate(70_000);
        assertEquals(5, server.receive(bb));
        assertEquals("hello", new String(bb.array(), 0, 5));
        assertEquals(dst, server.lastSourceAddress());
        assertEquals(client.localPort(), server.lastSourcePort());
        assertEquals(big.length, server.receive(bb.clear()));
        assertArrayEquals(big, Arrays.copyOf(bb.array(), big.length));
        assertEquals(0, transportPacketsOnWire());
    }

    @Test
    void theLocalQueueIsBoundedAndCountsItsDrops() throws Exception {
        UdpSocket server = stack.udp().open().bind(null, 5353);
        UdpSocket client = stack.udp().open();
        IpAddr dst = IpAddr.parse("127.0.0.1");
        ByteBuffer one = ByteBuffer.allocate(1);
        for (int i = 0; i < NetStack.LOCAL_QUEUE_LIMIT + 50; i++) {
            try {
                client.sendTo(one.clear(), dst, 5353);
            } catch (java.io.IOException e) {
                // a full queue may also surface as a failed send
            }
        }
        assertEquals(NetStack.LOCAL_QUEUE_LIMIT, stack.localPending());
        assertEquals(50, stack.linkStats().get(LinkCounter.DROP_LOCAL_QUEUE_FULL));
        stack.poll(clock.nanos());
        assertEquals(0, stack.localPending());
        assertTrue(server.available() > 0);
    }

    @Test
    void aLoopbackSourceFromTheWireIsStillMartian() {
        // RFC 1122 §3.2.1.3 (g): 127/8 must not appear on a wire; local delivery changes nothing there
        byte[] f = Frames.ipv4(0x020000000002L, 0x020000000001L, 0x7f000001, TwoHosts.IP_B, 17,
                Frames.udp4(0x7f000001, TwoHosts.IP_B, 1000, 7, new byte[4], -1));
        wire[1].inject(f);
        stack.poll(clock.nanos());
        assertEquals(1, stack.ipv4().counters().get(io.tapstack.ip.Ipv4Counter.DROP_BAD_SRC_ADDRESS));
    }
}
