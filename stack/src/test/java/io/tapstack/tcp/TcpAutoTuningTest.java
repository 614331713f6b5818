package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.sackPerm;
import static io.tapstack.tcp.TcpScript.wscale;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static io.tapstack.tcp.TcpScriptedTest.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive-buffer auto-tuning (Linux's dynamic right-sizing; RFC 7323 §2.3 for the scale), scripted
 * on virtual time: the test plays a sender that fills whatever window is advertised once per
 * 1 ms round trip, and reads the advertised windows off the ACKs.
 */
class TcpAutoTuningTest {
    private static final int SEG = 1400;
    private static final int INITIAL = 256 * 1024;

    /** The scripted sender: what the receiver advertised so far, checked on every ACK. */
    private static final class Peer {
        final TcpScript t;
        final Est e;
        final int shift;
        int seq;
        /** Highest right edge (ACK + window) advertised; it must never move left. */
        int edge;
        int maxWindow;
        int lastWindow;
        int acks;
        int lastAck;

        Peer(TcpScript t, Est e) {
            this.t = t;
            this.e = e;
            this.shift = e.synAck.opts().wscale;
            this.seq = e.pNxt;
            this.lastAck = e.pNxt;
            this.edge = e.pNxt + e.synAck.window();
        }

        /** Takes in every segment the receiver sent, checking that the right edge never moves left. */
        void readAcks() {
            while (!t.out.isEmpty()) {
                Seg s = t.out.poll();
                int w = s.window() << shift;
                int right = s.ack() + w;
                assertTrue(right - edge >= 0, "right edge moved left: " + s + " after edge " + edge);
                edge = right;
                lastAck = s.ack();
                lastWindow = w;
                maxWindow = Math.max(maxWindow, w);
                acks++;
            }
        }

        /**
         * Sends up to {@code max} bytes, never beyond the right edge advertised when the round
         * began (one window per round trip: ACKs of this round's data arrive a round trip later).
         */
        int fill(int max) {
            int sent = 0;
            readAcks();
            // like a real sender, go back to what was acknowledged: the right edge may have been
            // rounded up past the buffer (RFC 7323 §2.4) and the excess trimmed
            seq = lastAck;
            int limit = edge;
            while (sent < max && limit - seq >= SEG) {
                t.send(PPORT, LPORT, seq, e.aNxt(), A, 65535, bytes(SEG, seq));
                seq += SEG;
                sent += SEG;
                readAcks();
            }
            return sent;
        }

        /** One 1 ms round trip: the sender fills the whole window, the application reads at once. */
        void roundTrip() {
            fill(Integer.MAX_VALUE);
            t.advance(1);
            readAcks();
        }
    }

    private static Est connect(TcpScript t) throws Exception {
        Est e = open(t, opts(mss(1460), sackPerm(), wscale(7)), 65535);
        assertEquals(7, e.synAck.opts().wscale, "the SYN's scale must cover the 4 MiB maximum (RFC 7323 §2.3)");
        assertEquals(INITIAL, e.c.receiveBufferSize(), "starts at the configured size");
        return e;
    }

    @Test
    void aReaderAtLineRateGetsALargeWindowWithinAFewRoundTrips() throws Exception {
        TcpScript t = new TcpScript();
        Est e = connect(t);
        Peer p = new Peer(t, e);
        int rounds = 0;
        // each 1 ms round trip the sender fills the whole window; the application reads at once
        while (rounds < 8 && p.maxWindow < 2 * 1024 * 1024) {
            p.roundTrip();
            rounds++;
        }
        assertTrue(p.maxWindow >= 2 * 1024 * 1024, "window " + p.maxWindow + " after " + rounds + " round trips");
        assertTrue(rounds <= 5, "took " + rounds + " round trips");
        assertTrue(e.c.receiveBufferSize() > INITIAL && e.c.receiveBufferSize() <= 4 * 1024 * 1024,
                "buffer " + e.c.receiveBufferSize());
        assertTrue(t.tcp.counters().get(TcpCounter.RCV_BUFFER_GROWTHS) >= 2);
        assertEquals(p.seq - e.pNxt, e.col.count, "everything sent was read");
        // it never passes the configured maximum, however long the reader keeps up
        for (int i = 0; i < 4; i++) {
            p.fill(Integer.MAX_VALUE);
            t.advance(1);
        }
        p.readAcks();
        assertTrue(e.c.receiveBufferSize() <= t.tcp.config().receiveBufferMax);
        assertTrue(p.maxWindow <= t.tcp.config().receiveBufferMax, "window " + p.maxWindow);
    }

    @Test
    void underMemoryPressureAReaderAtLineRateKeepsTheStartingBuffer() throws Exception {
        TcpScript t = new TcpScript();
        Est e = connect(t);
        Peer p = new Peer(t, e);
        // the loop's memory budget above its pressure mark (issue 11, Linux's tcp_mem): no growth
        io.tapstack.buffer.MemoryBudget m = t.tcp.memory();
        m.charge(io.tapstack.buffer.MemoryBudget.Kind.REASSEMBLY, m.pressureMark() + 1 - m.used());
        for (int rounds = 0; rounds < 8; rounds++) {
            p.roundTrip();
        }
        assertEquals(p.seq - e.pNxt, e.col.count, "everything sent was read");
        assertEquals(INITIAL, e.c.receiveBufferSize());
        assertEquals(0, t.tcp.counters().get(TcpCounter.RCV_BUFFER_GROWTHS));
        assertTrue(p.maxWindow <= INITIAL, "window " + p.maxWindow);
    }

    @Test
    void aSlowReaderKeepsTheStartingBuffer() throws Exception {
        TcpScript t = new TcpScript();
        Est e = connect(t);
        Peer p = new Peer(t, e);
        e.col.paused = true;
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        // the sender keeps the window full for 2 s; the application reads 8 KB every 50 ms
        long read = 0;
        for (int ms = 0; ms < 2000; ms++) {
            p.fill(Integer.MAX_VALUE);
            if (ms % 50 == 0) {
                chunk.clear();
                read += e.c.read(chunk);
            }
            t.advance(1);
        }
        p.readAcks();
        assertTrue(read >= 40 * 8192, "read " + read);
        assertEquals(INITIAL, e.c.receiveBufferSize());
        assertEquals(0, t.tcp.counters().get(TcpCounter.RCV_BUFFER_GROWTHS));
        assertTrue(p.maxWindow <= INITIAL, "window " + p.maxWindow);
    }

    @Test
    void anIdleConnectionAndAFixedSocketBufferStaySmall() throws Exception {
        TcpScript t = new TcpScript();
        Est e = connect(t);
        t.advance(1000);
        assertEquals(INITIAL, e.c.receiveBufferSize());

        // a size set per socket (SO_RCVBUF) is fixed: no auto-tuning, and a scale for it alone
        TcpScript t2 = new TcpScript();
        TcpListener l = t2.tcp.listen(null, LPORT, 16, new TcpSocketOptions().receiveBuffer(60 * 1024));
        t2.send(PPORT, LPORT, 5000, 0, TcpScript.S, 65535, opts(mss(1460), wscale(7)), new byte[0]);
        Seg sa = t2.expect();
        assertEquals(0, sa.opts().wscale, "60 KiB fits without a scale");
        t2.send(PPORT, LPORT, 5001, sa.seq() + 1, A, 65535, new byte[0]);
        TcpConnection c = l.accept();
        TcpPair.Collector col = new TcpPair.Collector(false);
        c.setHandler(col);
        int seq = 5001;
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 40; i++) {
                t2.send(PPORT, LPORT, seq, sa.seq() + 1, A, 65535, bytes(SEG, i));
                seq += SEG;
            }
            t2.advance(1);
        }
        assertEquals(seq - 5001, col.count);
        assertEquals(60 * 1024, c.receiveBufferSize());
        assertEquals(0, t2.tcp.counters().get(TcpCounter.RCV_BUFFER_GROWTHS));
    }

    @Test
    void theGrowthReachesTheSenderInWindowUpdatesOnlyWhenWorthIt() throws Exception {
        TcpScript t = new TcpScript();
        Est e = connect(t);
        Peer p = new Peer(t, e);
        // two round trips read at once (the first one's window is the SYN's 64 KB), then the
        // application stops while the sender fills the window
        p.fill(Integer.MAX_VALUE);
        t.advance(1);
        p.fill(Integer.MAX_VALUE);
        t.advance(1);
        assertEquals(INITIAL, e.c.receiveBufferSize(), "no growth yet");
        e.col.paused = true;
        for (int i = 0; i < 4; i++) {
            p.fill(Integer.MAX_VALUE);
            p.readAcks();
        }
        assertTrue(p.lastWindow < INITIAL / 8, "the window (nearly) closed: " + p.lastWindow);
        t.clock.advance(MS);
        // it reads all of it: faster than the buffer per RTT, so the buffer grows, and pure window
        // updates reopen the window (RFC 9293 §3.8.6.2.2: a window fallen below half reopens at
        // once), each at least doubling the last: a few, not one per read
        e.col.paused = false;
        e.col.drain(e.c);
        t.poll();
        java.util.List<Seg> upd = new java.util.ArrayList<>(t.out);
        t.out.clear();
        assertTrue(!upd.isEmpty() && upd.size() <= 3, "updates " + TcpScript.dump(upd));
        int prev = p.lastWindow;
        for (Seg u : upd) {
            assertEquals(p.lastAck, u.ack(), "everything that fitted is acknowledged");
            assertEquals(0, u.data().length);
            assertTrue((u.window() << p.shift) >= 2 * prev, "each update at least doubles the window: " + TcpScript.dump(upd));
            prev = u.window() << p.shift;
        }
        assertTrue(prev > INITIAL, "the last update offers more than the initial buffer: " + prev);
        assertTrue(e.c.receiveBufferSize() > INITIAL);
        t.expectNothing(0);
    }
}
