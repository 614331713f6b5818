package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.F;
import static io.tapstack.tcp.TcpScript.P;
import static io.tapstack.tcp.TcpScript.R;
import static io.tapstack.tcp.TcpScript.S;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static io.tapstack.tcp.TcpScriptedTest.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TIME-WAIT held by a {@link TimeWaitTable} record once the connection object is gone (issue 11):
 * RFC 9293 §3.10.7.4, RFC 1337, RFC 6191 / RFC 1122 §4.2.2.13, RFC 7323 §5.3, scripted against
 * one stack on virtual time.
 */
class TimeWaitRecordTest {
    /** Opens with timestamps (TSval 100), closes from our side, and the peer's FIN puts us in TIME-WAIT. */
    private static Est timeWait(TcpScript t, boolean timestamps) throws Exception {
        Est e = open(t, timestamps ? opts(mss(1460), ts(100, 0)) : opts(mss(1460)), 65535);
        int ecr = timestamps ? e.synAck.opts().tsVal : 0;
        e.c.close();
        Seg fin = t.expect();
        assertEquals(F | A, fin.flags());
        byte[] o = timestamps ? opts(ts(200, ecr)) : new byte[0];
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1, F | A, 65535, o, new byte[0]);
        Seg ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(e.pNxt + 1, ack.ack());
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        assertEquals(1, t.tcp.timeWaitRecordCount(), "TIME-WAIT is a record");
        assertEquals(0, t.tcp.connectionCount(), "and the connection left the table");
        return e;
    }

    @Test
    void retransmittedFinIsAckedWithTimestampAndRestartsTwoMsl_rfc9293s31074() throws Exception {
        TcpScript t = new TcpScript();
        Est e = timeWait(t, true);
        t.advance(50_000);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1, F | A, 65535, opts(ts(300, 0)), new byte[0]);
        Seg ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(e.aNxt() + 1, ack.seq(), "SEQ = SND.NXT, after our FIN");
        assertEquals(e.pNxt + 1, ack.ack(), "ACK = RCV.NXT, after the peer's FIN");
        assertTrue(ack.opts().hasTimestamp);
        assertEquals(300, ack.opts().tsEcr, "TS.Recent follows the retransmitted FIN");
        assertTrue(ack.window() > 0);
        // the 2·MSL restarted at 50 s: still there at 100 s, gone after 110 s
        t.advance(50_000);
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        assertEquals(1, t.tcp.timeWaitCount());
        t.advance(10_100);
        assertEquals(TcpState.CLOSED, e.c.state());
        assertEquals(0, t.tcp.timeWaitCount());
        assertEquals(0, t.tcp.counters().get(TcpCounter.TIME_WAIT_CURRENT));
    }

    @Test
    void rstIsIgnored_rfc1337() throws Exception {
        TcpScript t = new TcpScript();
        Est e = timeWait(t, false);
        t.send(PPORT, LPORT, e.pNxt + 1, 0, R, 0, new byte[0]);
        t.send(PPORT, LPORT, e.pNxt + 1, e.aNxt() + 1, R | A, 0, new byte[0]);
        t.expectNothing(10);
        assertEquals(1, t.tcp.timeWaitRecordCount());
        assertEquals(2, t.tcp.counters().get(TcpCounter.TIME_WAIT_RST_IGNORED));
        assertEquals(TcpState.TIME_WAIT, e.c.state());
    }

    @Test
    void olderSynGetsAChallengeAckNewerSynReopens_rfc6191() throws Exception {
        TcpScript t = new TcpScript();
        Est e = timeWait(t, true);
        // TSval 150 < TS.Recent 200: not a new incarnation
        t.send(PPORT, LPORT, 90_000, 0, S, 65535, opts(mss(1460), ts(150, 0)), new byte[0]);
        Seg ack = t.expect();
        assertEquals(A, ack.flags(), "a challenge ACK (RFC 5961 §4.2), not a SYN,ACK: " + ack);
        assertEquals(e.aNxt() + 1, ack.seq());
        assertEquals(e.pNxt + 1, ack.ack());
        assertEquals(1, t.tcp.timeWaitRecordCount());
        // TSval 400 > TS.Recent: reopens, even with a lower sequence number
        t.send(PPORT, LPORT, 500, 0, S, 65535, opts(mss(1460), ts(400, 0)), new byte[0]);
        Seg sa = t.expect();
        assertEquals(S | A, sa.flags());
        assertEquals(501, sa.ack());
        assertEquals(0, t.tcp.timeWaitRecordCount());
        assertEquals(1, t.tcp.connectionCount());
        assertEquals(1, t.tcp.counters().get(TcpCounter.TIME_WAIT_REUSED));
        assertEquals(TcpState.CLOSED, e.c.state(), "the old handle sees its pair reused");
    }

    @Test
    void withoutTimestampsAHigherSequenceNumberReopens_rfc1122s42213() throws Exception {
        TcpScript t = new TcpScript();
        Est e = timeWait(t, false);
        t.send(PPORT, LPORT, e.pNxt - 10, 0, S, 65535, opts(mss(1460)), new byte[0]);
        assertEquals(A, t.expect().flags());
        t.send(PPORT, LPORT, e.pNxt + 100_000, 0, S, 65535, opts(mss(1460)), new byte[0]);
        Seg sa = t.expect();
        assertEquals(S | A, sa.flags());
        assertEquals(e.pNxt + 100_001, sa.ack());
    }

    @Test
    void oldTimestampIsAPawsDropWithAnAck_rfc7323s53() throws Exception {
        TcpScript t = new TcpScript();
        Est e = timeWait(t, true);
        long paws = t.tcp.counters().get(TcpCounter.PAWS_REJECTED);
        t.send(PPORT, LPORT, e.pNxt + 1, e.aNxt() + 1, A | P, 65535, opts(ts(50, 0)), bytes(10, 1));
        Seg ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(e.pNxt + 1, ack.ack());
        assertEquals(paws + 1, t.tcp.counters().get(TcpCounter.PAWS_REJECTED));
    }

    @Test
    void bareAckAtRcvNxtIsSilentAndDataBeyondTheFinIsAcked() throws Exception {
        TcpScript t = new TcpScript();
        Est e = timeWait(t, false);
        t.send(PPORT, LPORT, e.pNxt + 1, e.aNxt() + 1, A, 65535, new byte[0]);
        t.expectNothing(5);
        long oow = t.tcp.counters().get(TcpCounter.DROP_OUT_OF_WINDOW);
        t.send(PPORT, LPORT, e.pNxt + 1, e.aNxt() + 1, A | P, 65535, bytes(20, 2));
        Seg ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(e.aNxt() + 1, ack.seq());
        assertEquals(e.pNxt + 1, ack.ack(), "nothing after the FIN is taken");
        assertEquals(oow + 1, t.tcp.counters().get(TcpCounter.DROP_OUT_OF_WINDOW));
    }

    @Test
    void unreadDataKeepsTheFullConnectionUntilItIsRead() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.col.paused = true;
        e.c.shutdownOutput();
        Seg fin = t.expect();
        assertTrue(fin.has(F));
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1, A | P | F, 65535, bytes(100, 3));
        assertEquals(e.pNxt + 101, t.expect().ack());
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        assertEquals(0, t.tcp.timeWaitRecordCount(), "100 bytes still to read");
        assertEquals(1, t.tcp.connectionCount());
        e.col.paused = false;
        e.col.drain(e.c);
        assertEquals(100, e.col.count);
        assertTrue(e.col.eof);
        assertEquals(1, t.tcp.timeWaitRecordCount(), "read to the end: now a record");
        assertEquals(0, t.tcp.connectionCount());
        assertEquals(1, t.tcp.timeWaitCount());
    }

    @Test
    void theHandleOfARecordReadsEndOfStreamAndCannotDisturbIt() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.shutdownOutput(); // half-close: the application may still read
        assertTrue(t.expect().has(F));
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1, F | A, 65535, new byte[0]);
        assertEquals(A, t.expect().flags());
        assertEquals(1, t.tcp.timeWaitRecordCount());
        assertEquals(-1, e.c.read(new byte[10], 0, 10));
        assertThrows(io.tapstack.socket.TcpException.class, () -> e.c.write(new byte[1], 0, 1));
        e.c.abort(); // TIME-WAIT is the record's: no RST, nothing counted twice
        e.c.close();
        t.expectNothing(10);
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        assertEquals(1, t.tcp.timeWaitCount());
        assertEquals(1, t.tcp.counters().get(TcpCounter.TIME_WAIT_CURRENT));
        assertEquals(0, t.tcp.establishedCount());
        t.advance(60_100);
        assertEquals(TcpState.CLOSED, e.c.state());
        assertFalse(e.c.isOpen());
        assertEquals(0, t.tcp.timeWaitCount());
    }

    /** B listens on port 7 and closes each connection when the client's FIN arrives: A is left in TIME-WAIT. */
    private static void closingServer(TcpPair p) throws Exception {
        p.tb.listen(7).setAcceptHandler(l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                TcpPair.Collector col = new TcpPair.Collector(false);
                col.closeOnEof = true;
                c.setHandler(col);
            }
        });
    }

    @Test
    void theCapRecyclesBeyondMaxTimeWait() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.maxTimeWait = 2;
        TcpPair p = new TcpPair(cfg, -1, 1500);
        closingServer(p);
        for (int i = 0; i < 3; i++) {
            TcpConnection c = p.ta.connect(TcpPair.B, 7, new TcpPair.Collector(false));
            p.run(5);
            c.close();
            p.run(5);
        }
        assertEquals(2, p.ta.timeWaitRecordCount());
        assertEquals(1, p.ta.counters().get(TcpCounter.DROP_TIME_WAIT_LIMIT));
        assertEquals(0, p.ta.connectionCount());
    }

    @Test
    void thousandsOfRecordsExpireAndTheTableShrinks() throws Exception {
        TcpPair p = new TcpPair();
        closingServer(p);
        int n = 3000;
        List<TcpConnection> conns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TcpConnection c = p.ta.connect(TcpPair.B, 7, new TcpPair.Collector(false));
            conns.add(c);
            if (i == 0) {
                p.run(10); // ARP first: an unresolved neighbour queues only 8 SYNs
            }
            if (i % 100 == 99) {
                p.run(2);
                for (TcpConnection x : conns) {
                    x.close();
                }
                conns.clear();
                p.run(2);
            }
        }
        assertEquals(n, p.ta.timeWaitRecordCount());
        assertEquals(n, p.ta.counters().get(TcpCounter.TIME_WAIT_CURRENT));
        assertEquals(0, p.ta.connectionCount());
        assertEquals(n, p.ta.counters().get(TcpCounter.TIME_WAIT_RECORDS));
        assertTrue(p.ta.timeWaitCapacity() >= n);
        p.run(61_000);
        assertEquals(0, p.ta.timeWaitRecordCount());
        assertEquals(0, p.ta.timeWaitCount());
        assertEquals(0, p.ta.counters().get(TcpCounter.TIME_WAIT_CURRENT));
        assertEquals(256, p.ta.timeWaitCapacity(), "the grown arrays were given back");
    }
}
