package io.tapstack.tcp;

import io.tapstack.socket.ConnectionAborted;
import io.tapstack.socket.ConnectionReset;
import io.tapstack.socket.TimedOut;
import io.tapstack.tcp.TcpScript.Seg;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.F;
import static io.tapstack.tcp.TcpScript.P;
import static io.tapstack.tcp.TcpScript.R;
import static io.tapstack.tcp.TcpScript.S;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPerm;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScript.wscale;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripted segment-level tests: the test plays the peer against one stack. */
class TcpScriptedTest {
    static final int PPORT = 40000;
    static final int LPORT = 80;
    static final int PISS = 1000;

    /** An accepted connection on A with the peer's next sequence number and A's ISS. */
    static final class Est {
        TcpScript t;
        TcpConnection c;
        TcpPair.Collector col = new TcpPair.Collector(true);
        int aIss;
        int pNxt = PISS + 1;
        Seg synAck;

        int aNxt() {
            return aIss + 1;
        }
    }

    static Est open(TcpScript t, byte[] synOpts, int window) throws Exception {
        Est e = new Est();
        e.t = t;
        TcpListener l = t.tcp.listen(LPORT);
        t.send(PPORT, LPORT, PISS, 0, S, window, synOpts, new byte[0]);
        Seg sa = t.expect();
        assertEquals(S | A, sa.flags(), sa.toString());
        assertEquals(PISS + 1, sa.ack());
        e.synAck = sa;
        e.aIss = sa.seq();
        byte[] ackOpts = sa.opts().hasTimestamp ? ts(101, sa.opts().tsVal) : new byte[0];
        t.send(PPORT, LPORT, PISS + 1, e.aIss + 1, A, window, ackOpts, new byte[0]);
        e.c = l.accept();
        assertNotNull(e.c, "accepted");
        e.c.setHandler(e.col);
        assertEquals(TcpState.ESTABLISHED, e.c.state());
        return e;
    }

    static Est open(TcpScript t) throws Exception {
        return open(t, opts(mss(1460)), 65535);
    }

    @Test
    void synAckMirrorsOfferedOptions() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1400), sackPerm(), ts(100, 0), wscale(7)), 65535);
        Seg sa = e.synAck;
        assertEquals(1460, sa.opts().mss);
        assertTrue(sa.opts().sackPermitted);
        assertTrue(sa.opts().hasTimestamp);
        assertEquals(100, sa.opts().tsEcr);
        assertTrue(sa.opts().hasWscale);
        assertEquals(7, sa.opts().wscale); // auto-tuning's 4 MiB maximum needs a shift of 7 (RFC 7323 §2.3)
        assertEquals(1400 - 12, e.c.mss());

        TcpScript t2 = new TcpScript();
        Est e2 = open(t2, new byte[0], 65535);
        Seg sa2 = e2.synAck;
        assertTrue(sa2.opts().hasMss);
        assertFalse(sa2.opts().sackPermitted);
        assertFalse(sa2.opts().hasTimestamp);
        assertFalse(sa2.opts().hasWscale);
        assertEquals(536, e2.c.mss()); // RFC 9293 §3.7.1 default
    }

    @Test
    void segmentsToClosedPortsGetResets() throws Exception {
        TcpScript t = new TcpScript();
        t.send(PPORT, 81, 5000, 0, S, 1000, new byte[0]);
        Seg r = t.expect();
        assertEquals(R | A, r.flags());
        assertEquals(0, r.seq());
        assertEquals(5001, r.ack());
        t.send(PPORT, 81, 5000, 777, A, 1000, bytes(10, 1));
        r = t.expect();
        assertEquals(R, r.flags());
        assertEquals(777, r.seq());
        t.send(PPORT, 81, 5000, 777, R, 1000, new byte[0]);
        t.expectNothing(10); // never answer a RST
        // ACK to a listener (RFC 9293 §3.10.7.2)
        t.tcp.listen(82);
        t.send(PPORT, 82, 5000, 999, A, 1000, new byte[0]);
        r = t.expect();
        assertEquals(R, r.flags());
        assertEquals(999, r.seq());
    }

    @Test
    void exactRstResetsConnection() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        t.send(PPORT, LPORT, e.pNxt, 0, R, 0, new byte[0]);
        assertEquals(TcpState.CLOSED, e.c.state());
        assertInstanceOf(ConnectionReset.class, e.col.error);
        assertEquals(1, t.tcp.counters().get(TcpCounter.RSTS_RECEIVED));
    }

    @Test
    void inWindowRstAndSynGetChallengeAcks() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        t.send(PPORT, LPORT, e.pNxt + 100, 0, R, 0, new byte[0]);
        Seg ca = t.expect();
        assertEquals(A, ca.flags());
        assertEquals(e.pNxt, ca.ack());
        assertEquals(e.aNxt(), ca.seq());
        assertEquals(TcpState.ESTABLISHED, e.c.state());
        // RFC 5961 §4.2: any SYN in a synchronized state
        t.send(PPORT, LPORT, e.pNxt + 5, 0, S, 1000, new byte[0]);
        ca = t.expect();
        assertEquals(A, ca.flags());
        assertEquals(TcpState.ESTABLISHED, e.c.state());
        // out of window RST: silently dropped
        t.send(PPORT, LPORT, e.pNxt + 10_000_000, 0, R, 0, new byte[0]);
        t.expectNothing(5);
        assertEquals(TcpState.ESTABLISHED, e.c.state());
        assertEquals(2, t.tcp.counters().get(TcpCounter.CHALLENGE_ACKS));
    }

    @Test
    void challengeAcksAreRateLimited() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.challengeAcksPerSecond = 2;
        TcpScript t = new TcpScript(cfg);
        Est e = open(t);
        for (int i = 1; i <= 5; i++) {
            t.send(PPORT, LPORT, e.pNxt + i * 10, 0, R, 0, new byte[0]);
        }
        assertEquals(2, t.out.size());
        assertEquals(3, t.tcp.counters().get(TcpCounter.CHALLENGE_ACKS_SUPPRESSED));
    }

    @Test
    void ackForUnsentDataIsAnsweredAndDropped() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 5000, A | P, 65535, bytes(10, 1));
        Seg a = t.expect();
        assertEquals(e.pNxt, a.ack()); // the data was not taken
        assertEquals(0, e.col.count);
        assertEquals(1, t.tcp.counters().get(TcpCounter.DROP_ACK_UNSENT));
    }

    @Test
    void outOfWindowDataIsAckedNotDelivered() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        t.send(PPORT, LPORT, e.pNxt + 10_000_000, e.aNxt(), A, 65535, bytes(100, 1));
        Seg a = t.expect();
        assertEquals(e.pNxt, a.ack());
        assertEquals(0, e.col.count);
        // old duplicate: also just an ACK
        t.send(PPORT, LPORT, e.pNxt - 50, e.aNxt(), A, 65535, bytes(10, 1));
        assertEquals(e.pNxt, t.expect().ack());
        assertEquals(1, t.tcp.counters().get(TcpCounter.DROP_OUT_OF_WINDOW));
        assertEquals(1, t.tcp.counters().get(TcpCounter.DUPLICATE_SEGMENTS));
    }

    @Test
    void delayedAckWaitsButEverySecondFullSegmentIsAckedAtOnce() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A | P, 65535, bytes(100, 1));
        t.expectNothing(39);
        Seg a = t.expect(2);
        assertEquals(e.pNxt + 100, a.ack());
        assertEquals(1, t.tcp.counters().get(TcpCounter.DELAYED_ACKS));
        int seq = e.pNxt + 100;
        t.send(PPORT, LPORT, seq, e.aNxt(), A, 65535, bytes(1460, 2));
        assertTrue(t.out.isEmpty(), "first full segment: delayed");
        t.send(PPORT, LPORT, seq + 1460, e.aNxt(), A, 65535, bytes(1460, 3));
        a = t.expect();
        assertEquals(seq + 2920, a.ack());
        assertEquals(100 + 2920, e.col.count);
    }

    @Test
    void outOfOrderDataIsAckedAtOnceWithSackBlocks() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), sackPerm()), 65535);
        int base = e.pNxt;
        t.send(PPORT, LPORT, base + 1000, e.aNxt(), A, 65535, bytes(100, 1));
        Seg a = t.expect();
        assertEquals(base, a.ack());
        assertEquals(1, a.opts().sackCount);
        assertEquals(base + 1000, a.opts().sackLeft[0]);
        assertEquals(base + 1100, a.opts().sackRight[0]);
        t.send(PPORT, LPORT, base + 2000, e.aNxt(), A, 65535, bytes(100, 2));
        a = t.expect();
        assertEquals(2, a.opts().sackCount);
        assertEquals(base + 2000, a.opts().sackLeft[0], "most recent block first (RFC 2018 §4)");
        assertEquals(base + 1000, a.opts().sackLeft[1]);
        // fill the first hole: ack jumps over the first block, one block left
        t.send(PPORT, LPORT, base, e.aNxt(), A, 65535, bytes(1000, 3));
        a = t.expect();
        assertEquals(base + 1100, a.ack());
        assertEquals(1, a.opts().sackCount);
        assertEquals(base + 2000, a.opts().sackLeft[0]);
        assertEquals(1100, e.col.count);
    }

    @Test
    void nagleHoldsSmallSegmentsUntilAckedUnlessNoDelay() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.write(ByteBuffer.wrap(bytes(10, 1)));
        Seg d = t.expect();
        assertEquals(10, d.data().length);
        e.c.write(ByteBuffer.wrap(bytes(10, 2)));
        t.expectNothing(100);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 10, A, 65535, new byte[0]);
        d = t.expect();
        assertEquals(10, d.data().length);
        assertEquals(e.aNxt() + 10, d.seq());
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(10, 3)));
        d = t.expect();
        assertEquals(10, d.data().length);
        assertEquals(e.aNxt() + 20, d.seq());
    }

    @Test
    void retransmissionTimerBacksOffExponentially() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.write(ByteBuffer.wrap(bytes(500, 1)));
        Seg first = t.expect();
        long prev = first.time();
        long expected = 200; // RTT ≈ 0 on the wire: RTO = min RTO
        for (int i = 0; i < 4; i++) {
            Seg r = t.expect(10_000);
            assertEquals(first.seq(), r.seq());
            assertArrayEquals(first.data(), r.data());
            assertEquals(expected, (r.time() - prev) / TcpScript.MS, "interval " + i);
            prev = r.time();
            expected *= 2;
        }
        assertEquals(4, t.tcp.counters().get(TcpCounter.RTO_TIMEOUTS));
        // an ACK ends it
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 500, A, 65535, new byte[0]);
        t.expectNothing(5000);
    }

    @Test
    void giveUpAfterUserTimeout() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.setUserTimeout(1_000_000_000L);
        e.c.write(ByteBuffer.wrap(bytes(500, 1)));
        t.advance(3000);
        assertEquals(TcpState.CLOSED, e.c.state());
        assertInstanceOf(TimedOut.class, e.col.error);
        assertEquals(1, t.tcp.counters().get(TcpCounter.USER_TIMEOUTS));
    }

    @Test
    void threeDuplicateAcksTriggerFastRetransmit() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(10 * 1460, 1)));
        for (int i = 0; i < 10; i++) {
            Seg d = t.expect();
            assertEquals(e.aNxt() + i * 1460, d.seq());
            assertEquals(1460, d.data().length);
        }
        int ack = e.aNxt() + 1460;
        t.send(PPORT, LPORT, e.pNxt, ack, A, 65535, new byte[0]);
        t.out.clear(); // new data the ACK released
        for (int i = 0; i < 3; i++) {
            t.send(PPORT, LPORT, e.pNxt, ack, A, 65535, new byte[0]);
        }
        Seg r = null;
        while (!t.out.isEmpty()) {
            Seg s = t.out.poll();
            if (s.seq() == ack) {
                r = s;
                break;
            }
        }
        assertNotNull(r, "fast retransmit of the segment at " + ack);
        assertEquals(1460, r.data().length);
        assertEquals(1, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        assertEquals(3, t.tcp.counters().get(TcpCounter.DUP_ACKS));
    }

    /**
     * Found by TcpInvariantFuzzTarget: a fast retransmission (RFC 5681 §3.2 step 3, RFC 6582)
     * resent "an MSS from SND.UNA" of the send buffer, so when less than an MSS was outstanding
     * (a small peer window) it also sent queued octets that had never been sent, beyond SND.MAX
     * and beyond the peer's window. A retransmission carries only what was sent before
     * (RFC 9293 §3.8.1: the segment at the head of the retransmission queue).
     */
    @Test
    void fastRetransmitResendsOnlyWhatWasSent() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460)), 1000);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(10 * 1460, 1)));
        Seg d = t.expect();
        assertEquals(e.aNxt(), d.seq());
        assertEquals(1000, d.data().length, "the peer's window: " + d);
        t.expectNothing(50);
        for (int i = 0; i < 3; i++) {
            t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 1000, new byte[0]);
        }
        assertEquals(1, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        Seg r = t.expect();
        assertEquals(e.aNxt(), r.seq(), r.toString());
        assertEquals(1000, r.data().length, "resent what was outstanding, no more: " + r);
        // and the connection carries on: the peer takes it all, the rest follows in order
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1000, A, 65535, new byte[0]);
        Seg next = t.expect();
        assertEquals(e.aNxt() + 1000, next.seq(), next.toString());
    }

    @Test
    void zeroWindowIsProbedWithBackoffAndReopens() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460)), 0);
        e.c.write(ByteBuffer.wrap(bytes(100, 1)));
        t.expectNothing(150);
        long prev = -1;
        long prevGap = 0;
        for (int i = 0; i < 4; i++) {
            Seg probe = t.expect(20_000);
            assertEquals(1, probe.data().length, probe.toString());
            assertEquals(e.aNxt(), probe.seq());
            if (prev >= 0) {
                long gap = probe.time() - prev;
                assertTrue(gap > prevGap, "backoff " + gap + " after " + prevGap);
                prevGap = gap;
            }
            prev = probe.time();
            // the peer still has no room: ACK with a zero window
            t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 0, new byte[0]);
        }
        assertTrue(t.tcp.counters().get(TcpCounter.PERSIST_PROBES) >= 4);
        assertEquals(0, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        assertEquals(TcpState.ESTABLISHED, e.c.state());
        // the window opens: everything goes
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 10000, new byte[0]);
        Seg d = t.expect();
        assertEquals(e.aNxt(), d.seq());
        assertEquals(100, d.data().length);
    }

    @Test
    void receiverAdvertisesZeroWindowAndUpdatesItAfterRead() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.receiveBufferSize = 4000;
        TcpScript t = new TcpScript(cfg);
        Est e = open(t);
        e.col.paused = true;
        Seg last = null;
        int seq = e.pNxt;
        for (int i = 0; i < 4; i++) {
            t.send(PPORT, LPORT, seq, e.aNxt(), A, 65535, bytes(1000, i));
            seq += 1000;
            t.advance(50);
            while (!t.out.isEmpty()) {
                last = t.out.poll();
            }
        }
        assertNotNull(last);
        assertEquals(0, last.window());
        assertEquals(seq, last.ack());
        // data into a zero window is dropped but ACKed
        t.send(PPORT, LPORT, seq, e.aNxt(), A, 65535, bytes(1, 9));
        Seg z = t.expect();
        assertEquals(seq, z.ack());
        assertEquals(0, z.window());
        e.col.paused = false;
        e.col.drain(e.c);
        Seg upd = t.expect();
        assertEquals(seq, upd.ack());
        assertTrue(upd.window() >= 2000, "window update " + upd);
        assertEquals(4000, e.col.count);
    }

    @Test
    void windowScaleAppliesOnlyAfterTheSyn() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), wscale(2)), 30000);
        assertEquals(30000 << 2, e.c.info().sendWindow());
        assertEquals(65535, e.synAck.window()); // unscaled in the SYN-ACK, at most 65535
        e.c.write(ByteBuffer.wrap(bytes(10, 1)));
        Seg d = t.expect();
        // A scales its own window by 7, keeping one scale unit of the buffer for RFC 7323 §2.4's rounding up
        assertEquals((256 * 1024 - 127) >> 7, d.window());
    }

    @Test
    void acksWithNewSackBlocksCountAsDuplicatesWhateverTheirWindow() throws Exception {
        // RFC 5681 §2: with SACK, an ACK carrying previously unknown SACK information is a
        // duplicate. Linux moves its advertised window by a few units while out-of-order data is
        // queued; the strict "same window" rule alone would miss these and wait for the RTO.
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), sackPerm()), 65535);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(10 * 1460, 1)));
        for (int i = 0; i < 10; i++) {
            t.expect();
        }
        int una = e.aNxt();
        t.out.clear();
        for (int i = 1; i <= 3; i++) {
            t.send(PPORT, LPORT, e.pNxt, una, A, 65535 - 16 * i, opts(sack(una + 1460, una + (1 + i) * 1460)), new byte[0]);
        }
        Seg r = null;
        while (!t.out.isEmpty()) {
            Seg s = t.out.poll();
            if (s.seq() == una && s.data().length > 0) {
                r = s;
                break;
            }
        }
        assertNotNull(r, "fast retransmit of the segment at " + una + " after three SACKs with changing windows");
        assertEquals(1, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        assertEquals(3, t.tcp.counters().get(TcpCounter.DUP_ACKS));
        // an ACK repeating known SACK information with yet another window is not a duplicate
        t.send(PPORT, LPORT, e.pNxt, una, A, 60000, opts(sack(una + 1460, una + 4 * 1460)), new byte[0]);
        assertEquals(3, t.tcp.counters().get(TcpCounter.DUP_ACKS));
    }

    @Test
    void limitedTransmitSendsNewSegmentsOnTheFirstTwoDuplicateAcks() throws Exception {
        // RFC 3042: with cwnd full, each of the first two duplicate ACKs releases one new segment
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(20 * 1460, 1)));
        int sent = 0;
        while (!t.out.isEmpty() || sent == 0) {
            t.expect();
            sent++;
        }
        t.expectNothing(50);
        int una = e.aNxt();
        int next = una + sent * 1460;
        for (int i = 0; i < 2; i++) {
            t.send(PPORT, LPORT, e.pNxt, una, A, 65535, new byte[0]);
            Seg n = t.expect(10);
            assertEquals(next + i * 1460, n.seq(), "limited transmit after duplicate ACK " + (i + 1));
            assertEquals(1460, n.data().length);
        }
        assertEquals(0, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        t.send(PPORT, LPORT, e.pNxt, una, A, 65535, new byte[0]);
        assertEquals(1, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
    }

    @Test
    void sackedDataIsNotResentAfterTimeout() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), sackPerm()), 65535);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(5 * 1460, 1)));
        for (int i = 0; i < 5; i++) {
            t.expect();
        }
        int una = e.aNxt();
        t.send(PPORT, LPORT, e.pNxt, una, A, 65535, opts(sack(una + 1460, una + 5 * 1460)), new byte[0]);
        // Four segments SACKed above SND.UNA: RFC 6675 IsLost(HighACK+1) resends the first at
        // once; then the RTO (the peer stays silent) resends it again. Segments 2–5 are held by
        // the peer and never go again, before or after the timeout (RFC 6675 §5.1).
        t.advance(1000);
        assertTrue(t.tcp.counters().get(TcpCounter.RTO_TIMEOUTS) >= 1);
        assertFalse(t.out.isEmpty());
        for (Seg r : t.out) {
            assertEquals(una, r.seq(), TcpScript.dump(t.out));
            assertEquals(1460, r.data().length);
        }
        t.out.clear();
        t.send(PPORT, LPORT, e.pNxt, una + 5 * 1460, A, 65535, new byte[0]);
        assertEquals(0, e.c.unacknowledged());
    }

    @Test
    void pawsDropsOldTimestamps() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), ts(100, 0)), 65535);
        int ecr = e.synAck.opts().tsVal;
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 65535, opts(ts(1000, ecr)), bytes(10, 1));
        assertEquals(10, e.col.count);
        t.send(PPORT, LPORT, e.pNxt + 10, e.aNxt(), A, 65535, opts(ts(500, ecr)), bytes(10, 2));
        assertEquals(10, e.col.count);
        assertEquals(1, t.tcp.counters().get(TcpCounter.PAWS_REJECTED));
        Seg a = null;
        while (!t.out.isEmpty()) {
            a = t.out.poll();
        }
        assertNotNull(a);
        assertEquals(1000, a.opts().tsEcr);
    }

    @Test
    void finAckedTogetherWithPeerFinGoesToTimeWaitAndNewerSynReusesIt() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), ts(100, 0)), 65535);
        int ecr = e.synAck.opts().tsVal;
        e.c.close();
        Seg fin = t.expect();
        assertEquals(F | A, fin.flags());
        assertEquals(TcpState.FIN_WAIT_1, e.c.state());
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1, F | A, 65535, opts(ts(200, ecr)), new byte[0]);
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        Seg ack = t.expect();
        assertEquals(e.pNxt + 1, ack.ack());
        // RFC 6191: a SYN with a newer timestamp reopens the pair
        t.send(PPORT, LPORT, 50_000, 0, S, 65535, opts(mss(1460), ts(300, 0)), new byte[0]);
        Seg sa = t.expect();
        assertEquals(S | A, sa.flags());
        assertEquals(50_001, sa.ack());
        assertEquals(1, t.tcp.counters().get(TcpCounter.TIME_WAIT_REUSED));
    }

    /** Collects every segment sent during {@code ms} and asserts none of them has FIN set. */
    private static void expectNoFin(TcpScript t, long ms, int seqLimit) {
        for (long i = 0; i < ms; i++) {
            t.advance(1);
            Seg s;
            while ((s = t.out.poll()) != null) {
                assertFalse(s.has(F), "a FIN after the FIN was acknowledged: " + s);
                assertEquals(seqLimit, s.seq(), "nothing beyond FIN+1 (RFC 9293 §3.10.4): " + s);
            }
        }
    }

    @Test
    void closeRightAfterDataSendsOneFinAndNothingBeyondFinPlusOne() throws Exception {
        // RFC 9293 §3.10.4 / §3.10.7.4: the FIN occupies one sequence number; once it is
        // acknowledged, FIN-WAIT-2 and TIME-WAIT send only ACKs with SEQ = FIN + 1.
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.write(bytes(100, 7), 0, 100);
        e.c.close();
        Seg d = t.expect();
        int finSeq;
        if (d.has(F)) {
            assertEquals(100, d.data().length);
            finSeq = d.seq() + 100;
        } else {
            assertEquals(100, d.data().length);
            Seg f = t.expect(1000);
            assertEquals(F | A, f.flags() & (F | A | S | R), f.toString());
            finSeq = f.seq();
        }
        assertEquals(e.aNxt() + 100, finSeq);
        t.send(PPORT, LPORT, e.pNxt, finSeq + 1, A, 65535, new byte[0]);
        assertEquals(TcpState.FIN_WAIT_2, e.c.state());
        expectNoFin(t, 5000, finSeq + 1);
        t.send(PPORT, LPORT, e.pNxt, finSeq + 1, F | A, 65535, new byte[0]);
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        Seg ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(finSeq + 1, ack.seq());
        assertEquals(e.pNxt + 1, ack.ack());
        // a retransmitted FIN in TIME-WAIT is acknowledged with the same numbers
        t.send(PPORT, LPORT, e.pNxt, finSeq + 1, F | A, 65535, new byte[0]);
        ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(finSeq + 1, ack.seq());
        expectNoFin(t, 1000, finSeq + 1);
    }

    @Test
    void dataAckedThenFinAckedSeparatelyStillOneFin() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.write(bytes(3000, 7), 0, 3000);
        e.c.close();
        int finSeq = e.aNxt() + 3000;
        Seg s;
        int fins = 0;
        while ((s = t.out.poll()) != null || fins == 0) {
            if (s == null) {
                s = t.expect(1000);
            }
            if (s.has(F)) {
                fins++;
                assertEquals(finSeq, s.seq() + s.data().length);
            }
        }
        assertEquals(1, fins);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt() + 1460, A, 65535, new byte[0]);
        t.send(PPORT, LPORT, e.pNxt, finSeq, A, 65535, new byte[0]);
        assertEquals(TcpState.FIN_WAIT_1, e.c.state());
        t.send(PPORT, LPORT, e.pNxt, finSeq + 1, A, 65535, new byte[0]);
        assertEquals(TcpState.FIN_WAIT_2, e.c.state());
        expectNoFin(t, 3000, finSeq + 1);
    }

    @Test
    void halfCloseThenPeerDataAcksStayAtFinPlusOne() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.write(bytes(10, 3), 0, 10);
        e.c.shutdownOutput();
        int finSeq = e.aNxt() + 10;
        Seg s = t.expect();
        while (!s.has(F)) {
            s = t.expect(1000);
        }
        assertEquals(finSeq, s.seq() + s.data().length);
        t.send(PPORT, LPORT, e.pNxt, finSeq + 1, A, 65535, new byte[0]);
        assertEquals(TcpState.FIN_WAIT_2, e.c.state());
        // the peer keeps sending; every ACK carries SEQ = FIN + 1 and no FIN
        for (int i = 0; i < 4; i++) {
            t.send(PPORT, LPORT, e.pNxt, finSeq + 1, A | P, 65535, bytes(500, i));
            e.pNxt += 500;
        }
        expectNoFin(t, 2000, finSeq + 1);
        assertEquals(2000L, e.col.count);
        t.send(PPORT, LPORT, e.pNxt, finSeq + 1, F | A, 65535, new byte[0]);
        Seg ack = t.expect();
        assertEquals(A, ack.flags());
        assertEquals(finSeq + 1, ack.seq());
        assertEquals(e.pNxt + 1, ack.ack());
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        expectNoFin(t, 1000, finSeq + 1);
    }

    @Test
    void simultaneousCloseSendsOneFinEachWay() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.close();
        Seg fin = t.expect();
        assertEquals(F | A, fin.flags());
        int finSeq = fin.seq();
        assertEquals(e.aNxt(), finSeq);
        // the peer's FIN crosses ours: it does not acknowledge our FIN yet (§3.10.7.4, CLOSING)
        t.send(PPORT, LPORT, e.pNxt, finSeq, F | A, 65535, new byte[0]);
        assertEquals(TcpState.CLOSING, e.c.state());
        Seg ack = t.expect();
        assertFalse(ack.has(F), ack.toString());
        assertEquals(finSeq + 1, ack.seq());
        assertEquals(e.pNxt + 1, ack.ack());
        t.send(PPORT, LPORT, e.pNxt + 1, finSeq + 1, A, 65535, new byte[0]);
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        expectNoFin(t, 3000, finSeq + 1);
    }

    @Test
    void passiveCloseSendsOneFinFromLastAck() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), F | A, 65535, new byte[0]);
        assertEquals(TcpState.CLOSE_WAIT, e.c.state());
        t.expect(1000); // the ACK of the peer's FIN
        e.c.write(bytes(200, 1), 0, 200);
        e.c.close();
        int finSeq = e.aNxt() + 200;
        Seg s = t.expect();
        while (!s.has(F)) {
            s = t.expect(1000);
        }
        assertEquals(finSeq, s.seq() + s.data().length);
        assertEquals(TcpState.LAST_ACK, e.c.state());
        t.send(PPORT, LPORT, e.pNxt + 1, finSeq + 1, A, 65535, new byte[0]);
        assertEquals(TcpState.CLOSED, e.c.state());
        t.expectNothing(3000);
    }

    @Test
    void closeWithUnreadDataSendsReset() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.col.paused = true;
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A | P, 65535, bytes(100, 1));
        t.out.clear();
        e.c.close();
        Seg r = t.expect();
        assertTrue(r.has(R), r.toString());
        assertEquals(TcpState.CLOSED, e.c.state());
        assertInstanceOf(ConnectionAborted.class, e.col.error);
    }

    @Test
    void synCookiesBeyondTheSynQueue() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.synQueueSize = 1;
        TcpScript t = new TcpScript(cfg);
        TcpListener l = t.tcp.listen(LPORT);
        t.send(40001, LPORT, 7000, 0, S, 65535, opts(mss(1460), sackPerm(), wscale(7)), new byte[0]);
        Seg normal = t.expect();
        assertTrue(normal.opts().hasWscale);
        t.send(40002, LPORT, 9000, 0, S, 65535, opts(mss(1460), sackPerm(), wscale(7)), new byte[0]);
        Seg cookie = t.expect();
        assertEquals(S | A, cookie.flags());
        assertFalse(cookie.opts().hasWscale);
        assertEquals(1, t.tcp.counters().get(TcpCounter.SYN_COOKIES_SENT));
        assertEquals(1, t.tcp.connectionCount()); // no state kept for the cookie
        t.send(40002, LPORT, 9001, cookie.seq() + 1, A | P, 65535, bytes(5, 1));
        TcpConnection c = l.accept();
        assertNotNull(c);
        assertEquals(40002, c.remotePort());
        assertEquals(5, c.available());
        assertEquals(1, t.tcp.counters().get(TcpCounter.SYN_COOKIES_ACCEPTED));
        // a forged cookie is refused
        t.send(40003, LPORT, 9001, 12345, A, 65535, new byte[0]);
        Seg r = t.expect();
        assertEquals(R, r.flags());
        assertNull(l.accept());
    }

    @Test
    void keepaliveProbesThenGivesUp() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        e.c.setKeepAlive(1_000_000_000L, 100_000_000L, 3);
        Seg k = t.expect(1100);
        assertEquals(e.aNxt() - 1, k.seq());
        assertEquals(0, k.data().length);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 65535, new byte[0]); // answered: idle again
        t.expectNothing(900);
        for (int i = 0; i < 3; i++) {
            k = t.expect(1100);
            assertEquals(e.aNxt() - 1, k.seq());
        }
        Seg r = t.expect(200);
        assertTrue(r.has(R));
        assertInstanceOf(TimedOut.class, e.col.error);
    }

    @Test
    void activeOpenRetransmitsSynThenTimesOut() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.synRetries = 2;
        TcpScript t = new TcpScript(cfg);
        TcpPair.Collector col = new TcpPair.Collector(false);
        TcpConnection c = t.tcp.connect(TcpScript.peer(), 80, col);
        Seg syn = t.expect();
        assertEquals(S, syn.flags());
        assertTrue(syn.opts().hasMss && syn.opts().sackPermitted && syn.opts().hasTimestamp && syn.opts().hasWscale);
        Seg s1 = t.expect(1100);
        assertEquals(1000, (s1.time() - syn.time()) / TcpScript.MS); // RFC 6298 §2.1: 1 s
        Seg s2 = t.expect(2100);
        assertEquals(2000, (s2.time() - s1.time()) / TcpScript.MS);
        t.advance(4100);
        assertEquals(TcpState.CLOSED, c.state());
        assertInstanceOf(TimedOut.class, col.error);
    }

    @Test
    void synSentAcceptsOnlyAResetThatAcksTheSyn() throws Exception {
        TcpScript t = new TcpScript();
        TcpPair.Collector col = new TcpPair.Collector(false);
        TcpConnection c = t.tcp.connect(TcpScript.peer(), 80, col);
        Seg syn = t.expect();
        t.send(80, c.localPort(), 0, syn.seq() + 7, R | A, 0, new byte[0]);
        assertEquals(TcpState.SYN_SENT, c.state()); // wrong ACK: ignored
        t.out.clear();
        t.send(80, c.localPort(), 5, syn.seq() + 7, A, 0, new byte[0]);
        Seg r = t.expect();
        assertEquals(R, r.flags()); // bad ACK in SYN-SENT: reset with its number
        assertEquals(syn.seq() + 7, r.seq());
        t.send(80, c.localPort(), 0, syn.seq() + 1, R | A, 0, new byte[0]);
        assertEquals(TcpState.CLOSED, c.state());
        assertInstanceOf(io.tapstack.socket.ConnectionRefused.class, col.error);
    }
}
