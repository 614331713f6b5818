package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpPair.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Send and receive rings are taken on demand and given back when drained (issue 11): an idle
 * or TIME-WAIT connection holds no data memory, and short connections reuse rings.
 */
class RingPoolTest {
    private static final byte[] REQUEST = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = new byte[3000];

    /** Server: reads a request, answers, closes (so the server side goes to TIME-WAIT). */
    static final class Server implements TcpHandler {
        int served;

        @Override
        public void onReadable(TcpConnection c) {
            try {
                ByteBuffer b = ByteBuffer.allocate(512);
                int n = c.read(b);
                if (n > 0) {
                    c.write(RESPONSE, 0, RESPONSE.length);
                    c.close();
                    served++;
                }
            } catch (io.tapstack.socket.ConnectionClosed e) {
                // we closed it after answering; the peer's FIN still reports readiness
            } catch (io.tapstack.socket.TcpException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void ringsAreGivenBackWhenDrainedAndReusedByTheNextConnection() throws Exception {
        TcpPair p = new TcpPair();
        Server server = new Server();
        TcpListener l = p.tb.listen(80);
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                c.setHandler(server);
            }
        });
        List<TcpPair.Collector> clients = new ArrayList<>();
        int rounds = 200;
        for (int i = 0; i < rounds; i++) {
            TcpPair.Collector cl = new TcpPair.Collector(false);
            cl.closeOnEof = true;
            TcpConnection c = p.ta.connect(B, 80, cl);
            p.h.settle();
            assertEquals(TcpState.ESTABLISHED, c.state(), "round " + i + " port " + c.localPort());
            c.write(REQUEST, 0, REQUEST.length);
            p.run(5);
            clients.add(cl);
        }
        p.run(50);
        assertEquals(rounds, server.served);
        for (TcpPair.Collector cl : clients) {
            assertTrue(cl.eof, "every client got the whole response and EOF");
            assertEquals(RESPONSE.length, cl.count);
        }
        // the server's connections sit in TIME-WAIT, the clients' are closed: no data memory held
        assertEquals(rounds, p.tb.timeWaitCount());
        assertEquals(0, p.tb.ringBytesInUse(), "TIME-WAIT connections hold no rings");
        assertEquals(0, p.ta.ringBytesInUse(), "closed connections hold no rings");
        // one ring of each kind served all 200 connections (one at a time)
        assertTrue(p.tb.ringsCreated() <= 2, "server rings created: " + p.tb.ringsCreated());
        assertTrue(p.ta.ringsCreated() <= 2, "client rings created: " + p.ta.ringsCreated());
        // the drained rings and log arrays kept for reuse go back within seconds of the last use
        assertTrue(p.tb.ringBytesIdle() > 0 && p.ta.ringBytesIdle() > 0, "rings wait for reuse");
        p.run(10_000);
        assertEquals(0, p.tb.ringBytesIdle(), "server: idle rings let go after 10 s without use");
        assertEquals(0, p.ta.ringBytesIdle(), "client: idle rings let go after 10 s without use");
        assertEquals(0, p.ta.logPool.free(), "idle segment-log arrays let go too");
    }

    @Test
    void idleRingsDecayByHalfEachTrimButWhatASteadyLoadReusesStays() {
        io.tapstack.buffer.MemoryBudget budget = new io.tapstack.buffer.MemoryBudget(64L << 20, new io.tapstack.stats.StackStats());
        RingPool pool = new RingPool(8L << 20, budget);
        int[] armed = {0};
        pool.onIdle(() -> armed[0]++);
        List<ByteRing> held = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            held.add(pool.take(RingPool.MIN_CAPACITY, true));
        }
        held.forEach(pool::give);
        held.clear();
        assertEquals(1, armed[0], "the owner is told once, when the first ring waits");
        assertEquals(16L * RingPool.MIN_CAPACITY, pool.idleBytes());
        assertEquals(0, pool.trim(), "rings given back during this interval are not surplus yet");
        // a steady load takes and gives back 4 rings each interval: the surplus halves until 4 remain
        int[] expected = {10, 7, 5, 4, 4, 4};
        for (int e : expected) {
            for (int i = 0; i < 4; i++) {
                held.add(pool.take(RingPool.MIN_CAPACITY, true));
            }
            held.forEach(pool::give);
            held.clear();
            pool.trim();
            assertEquals((long) e * RingPool.MIN_CAPACITY, pool.idleBytes());
        }
        long createdBefore = pool.created();
        // the load stops: everything goes within a few trims, and nothing was allocated meanwhile
        for (int i = 0; i < 4; i++) {
            pool.trim();
        }
        assertEquals(0, pool.idleBytes());
        assertEquals(createdBefore, pool.created());
        assertEquals(16, pool.trimmed());
        assertEquals(0, budget.used(), "idle rings are not charged; in-use ones were all given back");
    }

    @Test
    void anIdleEstablishedConnectionHoldsNoRingsOnceItsDataIsReadAndAcknowledged() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(7);
        TcpPair.Collector server = new TcpPair.Collector(true);
        List<TcpConnection> accepted = new ArrayList<>();
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                accepted.add(c);
                c.setHandler(server);
            }
        });
        TcpPair.Collector client = new TcpPair.Collector(true);
        TcpConnection c = p.ta.connect(B, 7, client);
        p.h.settle();
        byte[] msg = new byte[100_000];
        for (int i = 0; i < msg.length; i++) {
            msg[i] = (byte) (i * 7);
        }
        assertEquals(10, c.write(msg, 0, 10));
        assertEquals(RingPool.MIN_CAPACITY, p.ta.ringBytesInUse(), "a small write takes a small ring");
        assertEquals(msg.length - 10, c.write(msg, 10, msg.length - 10));
        assertEquals(131072, p.ta.ringBytesInUse(), "the ring grew to hold 100,000 bytes (doubling)");
        p.run(200);
        assertEquals(msg.length, server.count);
        assertEquals(java.util.Arrays.hashCode(msg), java.util.Arrays.hashCode(server.bytes.toByteArray()));
        assertEquals(0, p.ta.ringBytesInUse(), "all acknowledged: the send ring went back");
        assertEquals(0, p.tb.ringBytesInUse(), "all read: the receive ring went back");
        assertEquals(1, p.ta.logPool.free(), "nothing in flight: the segment log's arrays went back too");
        assertTrue(p.tb.ringsCreated() >= 2, "the receive ring grew too: " + p.tb.ringsCreated());
        // and the connection still works both ways
        accepted.get(0).write(msg, 0, 10);
        p.run(100);
        assertEquals(10, client.count);
        assertEquals(0, p.tb.ringBytesInUse());
        assertEquals(0, p.ta.ringBytesInUse());
    }
}
