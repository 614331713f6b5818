package io.tapstack.tcp;

import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.tapstack.tcp.TcpPair.A;
import static io.tapstack.tcp.TcpPair.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transitions of RFC 9293 Figure 5, between two real stacks. */
class TcpStatesTest {
    static TcpPair primed() {
        TcpPair p = new TcpPair();
        // resolve ARP both ways first so that segments cross on the wire
        p.h.a.icmp().sendEchoRequest(io.tapstack.TwoHosts.IP_B, 1, 1, new byte[8]);
        p.h.settle();
        return p;
    }

    @Test
    void simultaneousOpenAndSimultaneousClose() throws Exception {
        TcpPair p = primed();
        TcpPair.Collector ca = new TcpPair.Collector(true);
        TcpPair.Collector cb = new TcpPair.Collector(true);
        TcpConnection a = p.ta.connect(B, 5000, new TcpSocketOptions().bind(null, 6000), ca);
        TcpConnection b = p.tb.connect(A, 6000, new TcpSocketOptions().bind(null, 5000), cb);
        assertEquals(TcpState.SYN_SENT, a.state());
        assertEquals(TcpState.SYN_SENT, b.state());
        // deliver the crossing SYNs one step at a time
        p.h.a.poll(p.h.clock.nanos());
        assertEquals(TcpState.SYN_RECEIVED, a.state()); // SYN-SENT --rcv SYN--> SYN-RECEIVED
        p.h.b.poll(p.h.clock.nanos());
        // B got A's SYN (→ SYN-RECEIVED) and then A's SYN,ACK (→ ESTABLISHED) in one pass
        assertEquals(TcpState.ESTABLISHED, b.state());
        p.h.settle();
        assertEquals(TcpState.ESTABLISHED, a.state());
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertTrue(ca.connected && cb.connected);
        a.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        b.write(ByteBuffer.wrap(new byte[] {4, 5}));
        p.h.settle();
        assertEquals(2, ca.count);
        assertEquals(3, cb.count);

        // both close before either FIN arrives
        a.close();
        b.close();
        assertEquals(TcpState.FIN_WAIT_1, a.state());
        assertEquals(TcpState.FIN_WAIT_1, b.state());
        p.h.a.poll(p.h.clock.nanos());
        assertEquals(TcpState.CLOSING, a.state()); // FIN-WAIT-1 --rcv FIN--> CLOSING
        p.h.settle();
        assertEquals(TcpState.TIME_WAIT, a.state()); // CLOSING --rcv ACK of FIN--> TIME-WAIT
        assertEquals(TcpState.TIME_WAIT, b.state());
        p.run(59_000);
        assertEquals(TcpState.TIME_WAIT, a.state());
        p.run(2_000);
        assertEquals(TcpState.CLOSED, a.state()); // 2 MSL
        assertEquals(TcpState.CLOSED, b.state());
        assertEquals(0, p.ta.timeWaitCount());
    }

    @Test
    void halfCloseKeepsTheOtherDirectionOpen() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(7);
        TcpPair.Collector server = new TcpPair.Collector(true);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            TcpConnection a;
            while ((a = x.accept()) != null) {
                lastAccepted = a;
            }
        });
        TcpPair.Collector client = new TcpPair.Collector(true);
        TcpConnection c = p.ta.connect(B, 7, client);
        p.h.settle();
        c.write(ByteBuffer.wrap(new byte[100]));
        c.shutdownOutput(); // ESTABLISHED --close--> FIN-WAIT-1
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        p.h.settle();
        assertEquals(TcpState.FIN_WAIT_2, c.state()); // FIN-WAIT-1 --rcv ACK of FIN--> FIN-WAIT-2
        assertTrue(server.eof);
        assertEquals(100, server.count);
        TcpConnection s = findServer(p);
        assertNotNull(s);
        assertEquals(TcpState.CLOSE_WAIT, s.state()); // ESTABLISHED --rcv FIN--> CLOSE-WAIT
        // the server may still send a lot
        for (int i = 0; i < 10; i++) {
            s.write(ByteBuffer.wrap(new byte[10_000]));
            p.run(10);
        }
        p.run(100);
        assertEquals(100_000, client.count);
        s.close(); // CLOSE-WAIT --close--> LAST-ACK
        assertEquals(TcpState.LAST_ACK, s.state());
        p.h.settle();
        assertEquals(TcpState.CLOSED, s.state()); // LAST-ACK --rcv ACK of FIN--> CLOSED
        assertEquals(TcpState.TIME_WAIT, c.state()); // FIN-WAIT-2 --rcv FIN--> TIME-WAIT
        assertTrue(client.eof);
        assertTrue(server.closed);
        assertNull(server.error);
    }

    private static TcpConnection findServer(TcpPair p) {
        return lastAccepted;
    }

    static TcpConnection lastAccepted;

    @Test
    void listenerBacklogAndAbortOnListenerClose() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(null, 8080, 2, null);
        TcpPair.Collector[] cs = new TcpPair.Collector[4];
        TcpConnection[] conns = new TcpConnection[4];
        for (int i = 0; i < 4; i++) {
            cs[i] = new TcpPair.Collector(false);
            conns[i] = p.ta.connect(B, 8080, cs[i]);
        }
        p.run(100);
        assertEquals(2, l.pending());
        assertTrue(p.tb.counters().get(TcpCounter.LISTEN_OVERFLOWS) > 0);
        // accepting makes room; the others get in on their SYN retransmission
        assertNotNull(l.accept());
        assertNotNull(l.accept());
        p.run(3_500);
        assertEquals(2, l.pending());
        l.close();
        p.run(100);
        int reset = 0;
        for (TcpPair.Collector c : cs) {
            if (c.error instanceof io.tapstack.socket.ConnectionReset) {
                reset++;
            }
        }
        assertEquals(2, reset);
    }

    @Test
    void listenRejectsADuplicateAndWildcardMatchesAnyAddress() throws Exception {
        TcpPair p = new TcpPair();
        p.tb.listen(null, 9000, 0, null);
        org.junit.jupiter.api.Assertions.assertThrows(io.tapstack.socket.AddressInUse.class,
                () -> p.tb.listen(IpAddr.ofV4(io.tapstack.TwoHosts.IP_B), 9000, 0, null));
        TcpListener spec = p.tb.listen(IpAddr.ofV4(io.tapstack.TwoHosts.IP_B), 9001, 0, null);
        TcpPair.Collector c = new TcpPair.Collector(false);
        p.ta.connect(B, 9001, c);
        p.h.settle();
        assertTrue(c.connected);
        assertEquals(1, spec.pending());
    }
}
