package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPerm;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static io.tapstack.tcp.TcpScriptedTest.open;
import static io.tapstack.tcp.TcpSackRecoveryTest.drain;
import static io.tapstack.tcp.TcpSackRecoveryTest.seg;
import static io.tapstack.tcp.TcpSackRecoveryTest.sendWindow;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RACK-TLP (RFC 8985), PRR (RFC 6937), D-SACK (RFC 2883) and per-segment RTT, scripted on
 * virtual time: the test plays a SACK-capable peer (MSS 1460) against one stack.
 */
class RackTlpTest {
    static final int M = TcpSackRecoveryTest.M;

    /** The default loss recovery (RACK-TLP) with NewReno's arithmetic (ssthresh = FlightSize / 2). */
    static TcpScript script() {
        TcpConfig cfg = new TcpConfig();
        cfg.congestionControl = "newreno";
        return new TcpScript(cfg);
    }

    static void ack(TcpScript t, Est e, int ack, int... sackEdges) {
        byte[] o = sackEdges.length == 0 ? new byte[0] : opts(sack(sackEdges));
        t.send(PPORT, LPORT, e.pNxt, ack, A, 65535, o, new byte[0]);
    }

    static long c(TcpScript t, TcpCounter k) {
        return t.tcp.counters().get(k);
    }

    @Test
    void rackIsTheDefaultWithSackAndRfc6675RemainsSelectable() throws Exception {
        TcpScript t = script();
        Est e = open(t, opts(mss(M), sackPerm()), 65535);
        assertInstanceOf(RackTlpRecovery.class, e.c.recovery());
        TcpScript t2 = script();
        Est e2 = open(t2, opts(mss(M)), 65535);
        assertInstanceOf(NewRenoSackRecovery.class, e2.c.recovery(), "RACK needs SACK: NewReno without it");
        TcpScript t3 = TcpSackRecoveryTest.script();
        Est e3 = open(t3, opts(mss(M), sackPerm()), 65535);
        assertInstanceOf(NewRenoSackRecovery.class, e3.c.recovery());
    }

    @Test
    void rttComesFromTransmitTimesInNanosecondsNotTheMillisecondTimestamp() throws Exception {
        TcpScript t = script();
        Est e = open(t, opts(mss(M), sackPerm(), ts(100, 0)), 65535);
        long srtt0 = e.c.srttNanos(); // the handshake's sample (no time passed: 0 → 1 ns)
        e.c.setNoDelay(true);
        int mss = e.c.mss(); // 1460 − 12 for the timestamp option
        e.c.write(ByteBuffer.wrap(bytes(mss, 1)));
        Seg d = t.expect();
        t.clock.advance(300_000); // 0.3 ms: under the timestamp clock's 1 ms granularity
        t.send(PPORT, LPORT, e.pNxt, d.seq() + mss, A, 65535, opts(ts(102, d.opts().tsVal)), new byte[0]);
        // RFC 6298 §2.3: SRTT = 7/8 SRTT + 1/8 R with R = 300 µs exactly (the echoed TSval gives 0 ms)
        assertEquals((7 * srtt0 + 300_000) / 8, e.c.srttNanos());
        // Karn: an ACK of a retransmitted segment gives no per-segment sample (timestamps still may)
        e.c.write(ByteBuffer.wrap(bytes(mss, 2)));
        Seg d2 = t.expect();
        Seg r = t.expect(300); // the RTO (200 ms) resends it
        assertEquals(d2.seq(), r.seq());
        long before = e.c.srttNanos();
        t.clock.advance(200_000);
        t.send(PPORT, LPORT, e.pNxt, d2.seq() + mss, A, 65535, opts(ts(103, r.opts().tsVal)), new byte[0]);
        long after = e.c.srttNanos();
        // the only sample is the timestamp's, whole milliseconds: 0 ms since the resend
        assertEquals((7 * before) / 8, after);
    }

    @Test
    void threeSackedSegmentsMarkTheHoleLostAtOnce() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 20);
        t.clock.advance(10 * MS);
        // one ACK SACKs segments 1–3: no reordering seen and DupThresh SACKed, so reo_wnd = 0
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 4));
        List<Seg> sent = drain(t);
        assertFalse(sent.isEmpty());
        assertEquals(seg(e, 0), sent.get(0).seq(), TcpScript.dump(sent));
        assertTrue(e.c.inLossRecovery());
        assertEquals(1, c(t, TcpCounter.RACK_MARKED_LOST));
        assertEquals(1, c(t, TcpCounter.RECOVERY_EPISODES));
    }

    @Test
    void oneSackedSegmentMarksTheHoleLostAfterTheReorderingWindow() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 10);
        // an RTT sample of 8 ms first: reo_wnd = min(min_RTT/4, SRTT) > 0 (RFC 8985 §6.2 step 4)
        t.clock.advance(8 * MS);
        ack(t, e, seg(e, 1)); // segment 0 acknowledged: RTT 8 ms
        assertEquals(8 * MS, e.c.rtt.minRtt());
        drain(t);
        ack(t, e, seg(e, 1), seg(e, 2), seg(e, 3)); // segment 1 missing, 2 SACKed: wait reo_wnd
        assertTrue(drain(t).stream().noneMatch(s -> s.seq() == seg(e, 1)), "not before the reordering window");
        assertEquals(0, c(t, TcpCounter.RACK_MARKED_LOST));
        Seg r = t.expect(5);
        assertEquals(seg(e, 1), r.seq());
        assertEquals(1, c(t, TcpCounter.RACK_MARKED_LOST));
        assertEquals(1, c(t, TcpCounter.RACK_REORDER_TIMEOUTS));
        assertEquals(0, c(t, TcpCounter.RTO_TIMEOUTS));
    }

    @Test
    void aLostRetransmissionIsFoundByTimeAndResentWithoutAnRto() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 30);
        t.clock.advance(5 * MS);
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 4)); // 0 lost; RACK resends it at once (PRR: + segment 10)
        List<Seg> first = drain(t);
        assertEquals(List.of(seg(e, 0), seg(e, 10)), first.stream().map(Seg::seq).toList(), TcpScript.dump(first));
        t.clock.advance(MS);
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 6)); // two more delivered: PRR sends segment 11, 1 ms later
        List<Seg> more = drain(t);
        assertEquals(List.of(seg(e, 11)), more.stream().map(Seg::seq).toList(), TcpScript.dump(more));
        // the retransmission was lost too: segments 10 and 11, sent after it, are SACKed an RTT later
        t.clock.advance(5 * MS);
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 6), seg(e, 10), seg(e, 12));
        List<Seg> second = drain(t);
        assertTrue(second.stream().anyMatch(s -> s.seq() == seg(e, 0)), "segment 0 resent again: " + TcpScript.dump(second));
        assertEquals(0, c(t, TcpCounter.RTO_TIMEOUTS));
        assertEquals(1, c(t, TcpCounter.RECOVERY_EPISODES), "one episode: no second reduction");
    }

    @Test
    void tailLossProbeResendsTheLastSegmentAfterTwoRtts() throws Exception {
        TcpScript t = script();
        Est e = open(t, opts(mss(M), sackPerm()), 65535);
        e.c.setNoDelay(true);
        // an RTT of 10 ms first
        e.c.write(ByteBuffer.wrap(bytes(M, 1)));
        Seg d = t.expect();
        t.clock.advance(10 * MS);
        ack(t, e, d.seq() + M);
        long srtt = e.c.srttNanos();
        // a flight of three segments, all lost
        e.c.write(ByteBuffer.wrap(bytes(3 * M, 2)));
        List<Seg> tail = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tail.add(t.expect());
        }
        long sentAt = t.clock.nanos();
        Seg probe = t.expect(100);
        t.clock.advance(10 * MS); // its ACK comes an RTT later
        // RFC 8985 §7.2: PTO = 2·SRTT (+ 2 ms of timer slack); the probe is the last segment (§7.3)
        long pto = probe.time() - sentAt;
        assertTrue(pto >= 2 * srtt && pto <= 2 * srtt + RackTlpRecovery.PTO_SLACK + MS, "PTO " + pto + " srtt " + srtt);
        assertEquals(tail.get(2).seq(), probe.seq());
        assertArrayEquals(tail.get(2).data(), probe.data());
        assertEquals(1, c(t, TcpCounter.TLP_PROBES));
        // its SACK shows the two segments before it lost: RACK resends them, no RTO
        int s0 = tail.get(0).seq();
        ack(t, e, s0, tail.get(2).seq(), tail.get(2).seq() + M);
        List<Seg> sent = drain(t);
        assertEquals(List.of(s0, s0 + M), sent.stream().map(Seg::seq).toList(), TcpScript.dump(sent));
        ack(t, e, s0 + 3 * M);
        assertEquals(0, c(t, TcpCounter.RTO_TIMEOUTS));
        assertEquals(0, e.c.unacknowledged());
    }

    @Test
    void tailLossProbeSendsNewDataWhenTheWindowAllows() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 12); // 10 of 12 segments sent (initial window)
        t.clock.advance(4 * MS);
        ack(t, e, seg(e, 2)); // RTT 4 ms; 2 more go out, 2 remain unsent with cwnd 12
        drain(t);
        assertTrue(e.c.unacknowledged() > 0);
        e.c.write(ByteBuffer.wrap(bytes(4 * M, 3))); // more to send than cwnd allows
        t.poll();
        List<Seg> sent = drain(t);
        assertEquals(2, sent.size(), TcpScript.dump(sent)); // cwnd 12: segments 12 and 13; 14 and 15 wait
        long t0 = t.clock.nanos();
        Seg probe = t.expect(100);
        assertEquals(seg(e, 14), probe.seq(), "the next unsent segment");
        assertEquals(1, c(t, TcpCounter.TLP_NEW_DATA_PROBES));
        assertEquals(1, c(t, TcpCounter.TLP_PROBES));
        assertTrue(probe.time() - t0 < 20 * MS, "well before the RTO: " + (probe.time() - t0));
        assertEquals(0, c(t, TcpCounter.RTO_TIMEOUTS));
    }

    @Test
    void prrSendsOneSegmentForEveryTwoDeliveredWhilePipeIsAboveSsthresh() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 30);
        // segment 0 lost; each following ACK SACKs one more segment (RTT 0: reo_wnd 0)
        int[] perAck = new int[9];
        List<Seg> all = new ArrayList<>();
        for (int k = 1; k <= 9; k++) {
            ack(t, e, seg(e, 0), seg(e, 1), seg(e, 1 + k));
            List<Seg> s = drain(t);
            perAck[k - 1] = s.size();
            all.addAll(s);
        }
        // RFC 6937 §3 with ssthresh = 5 and RecoverFS = 10 segments. While pipe (outstanding − SACKed
        // − lost) > ssthresh: sndcnt = ⌈prr_delivered · 5/10⌉ − prr_out, one segment per two delivered,
        // the first being the fast retransmit. At ACK 7, 12 segments are outstanding and 7 SACKed:
        // pipe = 5 = ssthresh, and PRR-SSRB then sends as much as is delivered (pipe stays at ssthresh).
        assertArrayEquals(new int[] {1, 0, 1, 0, 1, 0, 0, 1, 1}, perAck, TcpScript.dump(all));
        assertEquals(seg(e, 0), all.get(0).seq());
        for (int i = 1; i < all.size(); i++) {
            assertEquals(seg(e, 9 + i), all.get(i).seq(), "then new data in order");
        }
        assertEquals(5 * M, e.c.congestionControl().ssthresh());
    }

    @Test
    void duplicateSegmentsAreReportedByDsack() throws Exception {
        TcpScript t = script();
        Est e = open(t, opts(mss(M), sackPerm()), 65535);
        byte[] d = bytes(100, 1);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 65535, d);
        t.advance(50); // the delayed ACK
        t.out.clear();
        // the same segment again (RFC 2883 §4 case 1: below RCV.NXT)
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 65535, d);
        Seg a = t.expect();
        assertEquals(1, a.opts().sackCount, a.toString());
        assertEquals(e.pNxt, a.opts().sackLeft[0]);
        assertEquals(e.pNxt + 100, a.opts().sackRight[0]);
        assertEquals(1, c(t, TcpCounter.DSACKS_SENT));
        // reported once only
        t.send(PPORT, LPORT, e.pNxt + 100, e.aNxt(), A, 65535, new byte[0]);
        t.expectNothing(5);
        // out of order data received twice: the D-SACK block first, then the block holding it
        int p = e.pNxt + 100;
        t.send(PPORT, LPORT, p + 1000, e.aNxt(), A, 65535, bytes(500, 2));
        t.out.clear();
        t.send(PPORT, LPORT, p + 1200, e.aNxt(), A, 65535, bytes(100, 3));
        Seg b = t.expect();
        assertEquals(2, b.opts().sackCount, b.toString());
        assertEquals(List.of(p + 1200, p + 1300, p + 1000, p + 1500), List.of(b.opts().sackLeft[0],
                b.opts().sackRight[0], b.opts().sackLeft[1], b.opts().sackRight[1]));
        assertEquals(2, c(t, TcpCounter.DSACKS_SENT));
    }

    @Test
    void dsackOfEveryRetransmissionUndoesTheReduction() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 20);
        int cwndBefore = e.c.congestionControl().cwnd();
        // segment 0 only delayed: three SACKed segments make RACK resend it
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 4));
        drain(t);
        assertTrue(e.c.inLossRecovery());
        assertTrue(e.c.congestionControl().cwnd() < cwndBefore);
        // the original arrives: everything acknowledged; then the retransmission, reported by D-SACK
        ack(t, e, seg(e, 10));
        ack(t, e, seg(e, 10), seg(e, 0), seg(e, 1));
        assertEquals(1, c(t, TcpCounter.DSACKS_RECEIVED));
        assertEquals(1, c(t, TcpCounter.SPURIOUS_RETRANSMITS));
        assertEquals(1, c(t, TcpCounter.CWND_UNDOS));
        assertTrue(e.c.congestionControl().cwnd() >= cwndBefore, "cwnd restored: " + e.c.congestionControl().cwnd());
        assertFalse(e.c.inLossRecovery());
    }

    @Test
    void aDsackForDataNotRetransmittedUndoesNothing() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 20);
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 4));
        drain(t);
        int cwnd = e.c.congestionControl().cwnd();
        // a network duplicate of segment 5 (never resent): counted, no undo
        ack(t, e, seg(e, 0), seg(e, 5), seg(e, 6), seg(e, 1), seg(e, 7));
        assertEquals(1, c(t, TcpCounter.DSACKS_RECEIVED));
        assertEquals(0, c(t, TcpCounter.SPURIOUS_RETRANSMITS));
        assertEquals(0, c(t, TcpCounter.CWND_UNDOS));
        assertEquals(cwnd, e.c.congestionControl().cwnd());
    }
}
