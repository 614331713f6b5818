package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import io.tapstack.wire.Ecn;
import io.tapstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.P;
import static io.tapstack.tcp.TcpScript.S;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PISS;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 3168 ECN, scripted: the test plays the peer and reads the ECN field and ECE/CWR of every segment. */
class TcpEcnTest {
    static final int ECE = TcpHeader.ECE;
    static final int CWR = TcpHeader.CWR;
    static final int ECT0 = Ecn.ECT_0;
    static final int CE = Ecn.CE;

    /** Passive open from a SYN with {@code synFlags} (besides SYN) under {@code mode}. */
    static Est openWith(TcpConfig.EcnMode mode, int synFlags) throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.ecn = mode;
        TcpScript t = new TcpScript(cfg);
        Est e = new Est();
        e.t = t;
        TcpListener l = t.tcp.listen(LPORT);
        t.send(PPORT, LPORT, PISS, 0, S | synFlags, 65535, opts(mss(1460)), new byte[0]);
        Seg sa = t.expect();
        assertTrue(sa.has(S) && sa.has(A), sa.toString());
        assertEquals(Ecn.NOT_ECT, sa.ecn(), "RFC 3168 §6.1.1: a SYN-ACK is never ECN-capable");
        e.synAck = sa;
        e.aIss = sa.seq();
        t.send(PPORT, LPORT, PISS + 1, e.aIss + 1, A, 65535, new byte[0]);
        e.c = l.accept();
        assertNotNull(e.c);
        e.c.setHandler(e.col);
        return e;
    }

    @Test
    void passiveByDefaultAnswersAnEcnSetupSynWithEceAlone_rfc3168s611() throws Exception {
        Est e = openWith(TcpConfig.EcnMode.PASSIVE, ECE | CWR);
        assertTrue(e.synAck.has(ECE), e.synAck.toString());
        assertFalse(e.synAck.has(CWR), "an ECN-setup SYN-ACK has ECE without CWR: " + e.synAck);
        assertEquals(1, e.t.tcp.counters().get(TcpCounter.ECN_NEGOTIATED));
        // data is ECT(0) (§6.1.1 "ECT on data packets"), a pure ACK is not (§6.1.4)
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(100, 1)));
        Seg d = e.t.expect();
        assertEquals(100, d.data().length);
        assertEquals(ECT0, d.ecn(), d.toString());
        e.t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 100, A | P, 65535, bytes(10, 2));
        Seg ack = e.t.expect(500);
        assertEquals(0, ack.data().length);
        assertEquals(Ecn.NOT_ECT, ack.ecn(), "pure ACK: " + ack);
    }

    @Test
    void noEcnWithoutBothBitsOnTheSynOrWhenOff_rfc3168s611() throws Exception {
        for (Object[] c : new Object[][] {{TcpConfig.EcnMode.PASSIVE, ECE}, {TcpConfig.EcnMode.PASSIVE, 0},
                {TcpConfig.EcnMode.OFF, ECE | CWR}, {TcpConfig.EcnMode.ON, CWR}}) {
            Est e = openWith((TcpConfig.EcnMode) c[0], (Integer) c[1]);
            String ctx = c[0] + " syn flags " + c[1];
            assertFalse(e.synAck.has(ECE) || e.synAck.has(CWR), ctx + ": " + e.synAck);
            e.c.setNoDelay(true);
            e.c.write(ByteBuffer.wrap(bytes(100, 1)));
            Seg d = e.t.expect();
            assertEquals(Ecn.NOT_ECT, d.ecn(), ctx + ": " + d);
            // a CE on a connection without ECN is no congestion echo
            e.t.sendTos(CE, 0, PPORT, LPORT, e.pNxt, e.aNxt() + 100, A | P, 65535, new byte[0], bytes(10, 2));
            Seg ack = e.t.expect(500);
            assertFalse(ack.has(ECE), ctx + ": " + ack);
            assertEquals(0, e.t.tcp.counters().get(TcpCounter.ECN_NEGOTIATED), ctx);
            assertEquals(0, e.t.tcp.counters().get(TcpCounter.CE_RECEIVED), ctx);
        }
    }

    /** Active open under {@code mode}: the SYN; the peer's SYN-ACK carries {@code synAckFlags}. */
    @Test
    void activeOpenAsksOnlyWhenOnAndNeedsEceWithoutCwrBack_rfc3168s611() throws Exception {
        for (Object[] c : new Object[][] {{TcpConfig.EcnMode.ON, ECE, true}, {TcpConfig.EcnMode.ON, ECE | CWR, false},
                {TcpConfig.EcnMode.ON, 0, false}, {TcpConfig.EcnMode.PASSIVE, ECE, false}}) {
            TcpConfig cfg = new TcpConfig();
            cfg.ecn = (TcpConfig.EcnMode) c[0];
            boolean expectEcn = (Boolean) c[2];
            String ctx = c[0] + " syn-ack flags " + c[1];
            TcpScript t = new TcpScript(cfg);
            TcpPair.Collector col = new TcpPair.Collector(true);
            TcpConnection conn = t.tcp.connect(TcpScript.peer(), 80, col);
            Seg syn = t.expect();
            assertEquals(Ecn.NOT_ECT, syn.ecn(), ctx);
            boolean asks = cfg.ecn == TcpConfig.EcnMode.ON;
            assertEquals(asks, syn.has(ECE) && syn.has(CWR), ctx + ": " + syn);
            t.send(80, syn.sport(), 5000, syn.seq() + 1, S | A | (Integer) c[1], 65535, opts(mss(1460)), new byte[0]);
            assertEquals(TcpState.ESTABLISHED, conn.state(), ctx);
            t.out.clear();
            conn.setNoDelay(true);
            conn.write(ByteBuffer.wrap(bytes(50, 3)));
            Seg d = t.expect();
            assertEquals(expectEcn ? ECT0 : Ecn.NOT_ECT, d.ecn(), ctx + ": " + d);
            assertEquals(expectEcn ? 1 : 0, t.tcp.counters().get(TcpCounter.ECN_NEGOTIATED), ctx);
        }
    }

    @Test
    void aRetransmittedSynNoLongerAsks_rfc3168s6111() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.ecn = TcpConfig.EcnMode.ON;
        TcpScript t = new TcpScript(cfg);
        t.tcp.connect(TcpScript.peer(), 80, new TcpPair.Collector(true));
        Seg first = t.expect();
        assertTrue(first.has(ECE) && first.has(CWR), first.toString());
        Seg again = t.expect(1500);
        assertTrue(again.has(S), again.toString());
        assertFalse(again.has(ECE) || again.has(CWR), "the retransmitted SYN: " + again);
        // a SYN-ACK with ECE now does not turn ECN on: we did not ask
        t.send(80, first.sport(), 5000, first.seq() + 1, S | A | ECE, 65535, opts(mss(1460)), new byte[0]);
        assertEquals(0, t.tcp.counters().get(TcpCounter.ECN_NEGOTIATED));
    }

    @Test
    void retransmissionsAndWindowProbesAreNotEct_rfc3168s615s616() throws Exception {
        Est e = openWith(TcpConfig.EcnMode.PASSIVE, ECE | CWR);
        TcpScript t = e.t;
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(1000, 1)));
        Seg d = t.expect();
        assertEquals(ECT0, d.ecn());
        Seg r = t.expect(1500); // the retransmission timeout
        assertEquals(d.seq(), r.seq(), r.toString());
        assertEquals(1000, r.data().length);
        assertEquals(Ecn.NOT_ECT, r.ecn(), "a retransmission: " + r);
        // the peer acks it and closes its window: the probe that follows is not ECN-capable either
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1000, A, 0, new byte[0]);
        t.out.clear();
        e.c.write(ByteBuffer.wrap(bytes(10, 2)));
        Seg probe = t.expect(3000);
        assertEquals(e.aNxt() + 1000, probe.seq(), probe.toString());
        assertEquals(1, probe.data().length);
        assertEquals(Ecn.NOT_ECT, probe.ecn(), "a zero-window probe: " + probe);
        assertTrue(t.tcp.counters().get(TcpCounter.PERSIST_PROBES) > 0);
    }

    @Test
    void receiverEchoesEceFromACeUntilTheCwr_rfc3168s613() throws Exception {
        Est e = openWith(TcpConfig.EcnMode.PASSIVE, ECE | CWR);
        TcpScript t = e.t;
        int seq = e.pNxt;
        // ECT(0) data without congestion: the ACK has no ECE
        t.sendTos(ECT0, 0, PPORT, LPORT, seq, e.aNxt(), A | P, 65535, new byte[0], bytes(100, 1));
        seq += 100;
        Seg a0 = t.expect(500);
        assertFalse(a0.has(ECE), a0.toString());
        // CE: acknowledged at once, with ECE
        t.sendTos(CE, 0, PPORT, LPORT, seq, e.aNxt(), A | P, 65535, new byte[0], bytes(100, 2));
        seq += 100;
        Seg a1 = t.expect();
        assertTrue(a1.has(ECE), "the ACK of a CE segment: " + a1);
        assertEquals(seq, a1.ack());
        // later segments without CE are still answered with ECE until the peer's CWR
        for (int i = 0; i < 3; i++) {
            t.sendTos(ECT0, 0, PPORT, LPORT, seq, e.aNxt(), A | P, 65535, new byte[0], bytes(100, 3 + i));
            seq += 100;
            Seg a = t.expect(500);
            assertTrue(a.has(ECE), "before CWR: " + a);
        }
        // CWR ends it
        t.sendTos(ECT0, 0, PPORT, LPORT, seq, e.aNxt(), A | P | CWR, 65535, new byte[0], bytes(100, 7));
        seq += 100;
        Seg a2 = t.expect(500);
        assertFalse(a2.has(ECE), "after CWR: " + a2);
        // CWR and CE in the same segment: the CE counts after the CWR, so ECE goes on
        t.sendTos(CE, 0, PPORT, LPORT, seq, e.aNxt(), A | P | CWR, 65535, new byte[0], bytes(100, 8));
        seq += 100;
        Seg a3 = t.expect(500);
        assertTrue(a3.has(ECE), a3.toString());
        assertEquals(seq, a3.ack());
        assertEquals(700, e.col.count, "every byte delivered");
        assertEquals(2, t.tcp.counters().get(TcpCounter.CE_RECEIVED));
        assertEquals(2, t.tcp.counters().get(TcpCounter.CWR_RECEIVED));
        assertEquals(5, t.tcp.counters().get(TcpCounter.ECE_SENT));
    }

    @Test
    void senderHalvesCwndOncePerWindowWithoutRetransmittingAndSetsCwr_rfc3168s612() throws Exception {
        Est e = openWith(TcpConfig.EcnMode.PASSIVE, ECE | CWR);
        TcpScript t = e.t;
        TcpConnection c = e.c;
        c.setNoDelay(true);
        int mss = 1460;
        c.write(ByteBuffer.wrap(bytes(40 * mss, 1)));
        List<Seg> first = drain(t);
        assertEquals(10, first.size(), "the initial window");
        for (Seg s : first) {
            assertEquals(ECT0, s.ecn(), s.toString());
            assertFalse(s.has(CWR), s.toString());
        }
        int cwndBefore = c.cwnd();
        int una = e.aNxt();
        int recover = una + 10 * mss; // SND.MAX at the reduction
        // the ACK of the first segment echoes congestion
        una += mss;
        t.send(PPORT, LPORT, e.pNxt, una, A | ECE, 65535, new byte[0]);
        assertEquals(1, t.tcp.counters().get(TcpCounter.ECE_RECEIVED));
        assertEquals(1, t.tcp.counters().get(TcpCounter.ECN_REDUCTIONS));
        int cwndAfter = c.cwnd();
        assertTrue(cwndAfter <= cwndBefore * 3 / 4, "cwnd " + cwndBefore + " -> " + cwndAfter);
        // more ECEs within the same window: no further reduction
        List<Seg> sent = new ArrayList<>(drain(t));
        for (int i = 0; i < 4; i++) {
            una += mss;
            t.send(PPORT, LPORT, e.pNxt, una, A | ECE, 65535, new byte[0]);
            sent.addAll(drain(t));
        }
        assertEquals(5, t.tcp.counters().get(TcpCounter.ECE_RECEIVED));
        assertEquals(1, t.tcp.counters().get(TcpCounter.ECN_REDUCTIONS), "once per window of data");
        // new data went out (no retransmission), the first of it with CWR, only that one
        assertFalse(sent.isEmpty(), "new data after the ACKs");
        for (int i = 0; i < sent.size(); i++) {
            Seg s = sent.get(i);
            assertTrue(s.seq() - recover >= 0, "only new data, no retransmission: " + s);
            assertEquals(ECT0, s.ecn(), s.toString());
            assertEquals(i == 0, s.has(CWR), i + ": " + s);
        }
        assertEquals(0, t.tcp.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS));
        assertEquals(1, t.tcp.counters().get(TcpCounter.CWR_SENT));
        // an ECE on an ACK beyond the reduction's window is new congestion: a second reduction
        int cwnd2 = c.cwnd();
        Seg last = sent.get(sent.size() - 1);
        t.send(PPORT, LPORT, e.pNxt, last.seq() + last.data().length, A | ECE, 65535, new byte[0]);
        assertEquals(2, t.tcp.counters().get(TcpCounter.ECN_REDUCTIONS));
        assertTrue(c.cwnd() < cwnd2, "cwnd " + cwnd2 + " -> " + c.cwnd());
        List<Seg> more = drain(t);
        assertFalse(more.isEmpty());
        assertTrue(more.get(0).has(CWR), more.get(0).toString());
        assertEquals(0, t.tcp.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS));
    }

    private static List<Seg> drain(TcpScript t) {
        t.poll();
        List<Seg> l = new ArrayList<>();
        while (!t.out.isEmpty()) {
            l.add(t.out.poll());
        }
        return l;
    }
}
