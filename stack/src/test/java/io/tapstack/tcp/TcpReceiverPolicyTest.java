package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.A;
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

/** The receiver's ACK and window-update policy, scripted on virtual time. */
class TcpReceiverPolicyTest {
    @Test
    void afterAHoleEverySegmentIsAckedAtOnceForAWhile() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), sackPerm()), 65535);
        int p = e.pNxt;
        // a small in-order segment waits for the delayed ACK (RFC 5681 §4.2)
        t.send(PPORT, LPORT, p, e.aNxt(), A, 65535, bytes(500, 1));
        t.expectNothing(0);
        t.expect(50);
        p += 500;
        // a hole, then its filling: both ACKed at once (RFC 5681 §4.2)
        t.send(PPORT, LPORT, p + 500, e.aNxt(), A, 65535, bytes(500, 2));
        t.expect();
        t.send(PPORT, LPORT, p, e.aNxt(), A, 65535, bytes(500, 3));
        assertEquals(p + 1000, t.expect().ack());
        p += 1000;
        // quick-ACK mode: the next 16 small segments are ACKed at once, then delayed again
        for (int i = 0; i < TcpReceiver.QUICK_ACKS; i++) {
            t.send(PPORT, LPORT, p, e.aNxt(), A, 65535, bytes(500, 4 + i));
            p += 500;
            Seg a = t.expect();
            assertEquals(p, a.ack(), "quick ACK " + i);
        }
        t.send(PPORT, LPORT, p, e.aNxt(), A, 65535, bytes(500, 99));
        t.expectNothing(0);
        assertEquals(p + 500, t.expect(50).ack());
        assertEquals(2, t.tcp.counters().get(TcpCounter.DELAYED_ACKS), "the first and the last were delayed");
    }

    @Test
    void readsSendAWindowUpdateOnlyWhenTheWindowHadFallenToHalf() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), wscale(7)), 65535);
        e.col.paused = true;
        int p = e.pNxt;
        int buf = e.c.receiveBufferSize();
        // 42,000 bytes arrive unread: the window falls to ~84 % of the buffer
        for (int i = 0; i < 30; i++) {
            t.send(PPORT, LPORT, p, e.aNxt(), A, 65535, bytes(1400, i));
            p += 1400;
        }
        t.advance(50);
        t.out.clear();
        e.col.paused = false;
        e.col.drain(e.c);
        // RFC 9293 §3.8.6.2.2 / Linux: the sender still has most of a window: no pure update
        t.expectNothing(0);
        assertEquals(42_000, e.col.count);
        // 140,000 more: the window falls below half the buffer; reading them reopens it at once
        e.col.paused = true;
        for (int i = 0; i < 100; i++) {
            t.send(PPORT, LPORT, p, e.aNxt(), A, 65535, bytes(1400, i));
            p += 1400;
        }
        t.advance(50);
        Seg last = null;
        while (!t.out.isEmpty()) {
            last = t.out.poll();
        }
        assertTrue(last != null && (last.window() << 7) < buf / 2, "advertised " + last);
        e.col.paused = false;
        e.col.drain(e.c);
        Seg upd = t.expect();
        assertEquals(p, upd.ack());
        // sent during the reads (64 KiB each) as soon as the window at least doubled, then no more
        assertTrue(upd.window() >= 2 * last.window(), "window update " + upd + " after " + last);
        t.expectNothing(0);
        assertEquals(182_000, e.col.count);
    }
}
