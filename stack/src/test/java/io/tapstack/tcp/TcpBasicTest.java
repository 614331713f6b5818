package io.tapstack.tcp;

import io.tapstack.socket.ConnectionRefused;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpPair.A;
import static io.tapstack.tcp.TcpPair.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpBasicTest {
    @Test
    void connectTransferAndCloseBothWays() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(7);
        List<TcpConnection> accepted = new ArrayList<>();
        TcpPair.Collector server = new TcpPair.Collector(true);
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                accepted.add(c);
                c.setHandler(server);
            }
        });
        TcpPair.Collector client = new TcpPair.Collector(true);
        TcpConnection c = p.ta.connect(B, 7, client);
        assertEquals(TcpState.SYN_SENT, c.state());
        p.h.settle();
        assertTrue(client.connected);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1, accepted.size());
        TcpConnection s = accepted.get(0);
        assertEquals(TcpState.ESTABLISHED, s.state());
        assertEquals(A, s.remoteAddress());
        assertEquals(c.localPort(), s.remotePort());

        byte[] msg = "hello, tapstack".getBytes(StandardCharsets.US_ASCII);
        assertEquals(msg.length, c.write(ByteBuffer.wrap(msg)));
        p.h.settle();
        assertArrayEquals(msg, server.bytes.toByteArray());
        s.write(ByteBuffer.wrap(msg));
        p.run(300);
        assertArrayEquals(msg, client.bytes.toByteArray());

        c.shutdownOutput();
        p.h.settle();
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        assertEquals(TcpState.CLOSE_WAIT, s.state());
        assertTrue(server.eof);
        s.close();
        p.h.settle();
        assertEquals(TcpState.TIME_WAIT, c.state());
        assertEquals(TcpState.CLOSED, s.state());
        assertTrue(server.closed);
        p.run(61_000);
        assertEquals(TcpState.CLOSED, c.state());
        assertTrue(client.closed);
        assertEquals(0, p.ta.connectionCount());
        assertEquals(0, p.tb.connectionCount());
    }

    @Test
    void connectToClosedPortIsRefused() throws Exception {
        TcpPair p = new TcpPair();
        TcpPair.Collector client = new TcpPair.Collector(false);
        TcpConnection c = p.ta.connect(B, 81, client);
        p.h.settle();
        assertEquals(TcpState.CLOSED, c.state());
        assertTrue(client.closed);
        assertInstanceOf(ConnectionRefused.class, client.error);
        assertEquals(1, p.tb.counters().get(TcpCounter.RSTS_SENT));
        assertNotNull(c.error());
    }

    @Test
    void bulkTransferIsByteIdentical() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(9);
        TcpPair.Collector server = new TcpPair.Collector(false);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handler installed by setChildHandler
            }
        });
        TcpPair.Sender sender = new TcpPair.Sender(2_000_000, 42);
        TcpConnection c = p.ta.connect(B, 9, sender);
        p.until(() -> server.eof, 60_000);
        assertEquals(2_000_000, server.count);
        assertEquals(TcpPair.hex(sender.digest.digest()), TcpPair.hex(server.digest.digest()));
        assertEquals(0, p.ta.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS));
    }
}
