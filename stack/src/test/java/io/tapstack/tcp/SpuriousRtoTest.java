package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.RackTlpTest.c;
import static io.tapstack.tcp.RackTlpTest.script;
import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.sackPerm;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static io.tapstack.tcp.TcpScriptedTest.open;
import static io.tapstack.tcp.TcpSackRecoveryTest.drain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spurious retransmission timeouts: Eifel detection with timestamps (RFC 3522), F-RTO without
 * them (RFC 5682), and the RFC 4015 response (undo, no go-back-N), scripted on virtual time. The
 * peer's ACKs are held back past the RTO; whether they echo the original transmission or the
 * retransmission decides.
 */
class SpuriousRtoTest {
    /** A connection with an RTT of 10 ms and six segments in flight that the peer does not ACK in time. */
    private static final class Setup {
        final TcpScript t;
        final Est e;
        final int mss;
        final List<Seg> flight = new ArrayList<>();
        final int cwndBefore;
        Seg rto;

        Setup(boolean sack, boolean timestamps, String recovery) throws Exception {
            this(sack, timestamps, recovery, true);
        }

        Setup(boolean sack, boolean timestamps, String recovery, boolean frto) throws Exception {
            t = script();
            t.tcp.config().lossRecovery = recovery;
            t.tcp.config().frto = frto;
            byte[] o = timestamps ? (sack ? opts(mss(1460), sackPerm(), ts(100, 0)) : opts(mss(1460), ts(100, 0)))
                    : (sack ? opts(mss(1460), sackPerm()) : opts(mss(1460)));
            e = open(t, o, 65535);
            e.c.setNoDelay(true);
            mss = e.c.mss();
            e.c.write(ByteBuffer.wrap(bytes(mss, 1)));
            Seg d = t.expect();
            t.clock.advance(10 * MS);
            ack(d.seq() + mss, d);
            e.c.write(ByteBuffer.wrap(bytes(6 * mss, 2)));
            for (int i = 0; i < 6; i++) {
                flight.add(t.expect());
            }
            cwndBefore = e.c.cwnd();
            // no ACK: a tail loss probe (with SACK), then the RTO resends the first segment
            for (int i = 0; i < 5 && rto == null; i++) {
                Seg s = t.expect(1000);
                if (s.seq() == flight.get(0).seq()) {
                    rto = s;
                }
            }
            assertEquals(1, c(t, TcpCounter.RTO_TIMEOUTS));
            assertTrue(e.c.cwnd() < cwndBefore, "the timeout reduced cwnd");
            drain(t);
        }

        /** An ACK of {@code ack}, echoing {@code echo}'s TSval when timestamps are on. */
        void ack(int ack, Seg echo) {
            byte[] o = echo.opts().hasTimestamp ? opts(ts(200, echo.opts().tsVal)) : new byte[0];
            t.send(PPORT, LPORT, e.pNxt, ack, A, 65535, o, new byte[0]);
        }

        int sndMax() {
            return flight.get(5).seq() + mss;
        }
    }

    @Test
    void anAckEchoingTheOriginalMakesTheTimeoutSpuriousAndUndoesIt() throws Exception {
        for (String recovery : new String[] {"rack", "rfc6675"}) {
            Setup s = new Setup(true, true, recovery);
            // the late ACK of the first three segments echoes the originals' timestamp
            s.ack(s.flight.get(0).seq() + 3 * s.mss, s.flight.get(2));
            assertEquals(1, c(s.t, TcpCounter.SPURIOUS_RTOS), recovery);
            assertTrue(s.e.c.cwnd() >= s.cwndBefore, recovery + ": cwnd restored: " + s.e.c.cwnd() + " < " + s.cwndBefore);
            // no go-back-N: segments 4 to 6 are not resent; new data goes from SND.MAX
            s.e.c.write(ByteBuffer.wrap(bytes(2 * s.mss, 3)));
            s.t.poll();
            List<Seg> sent = drain(s.t);
            assertFalse(sent.isEmpty(), recovery);
            assertEquals(s.sndMax(), sent.get(0).seq(), recovery + ": " + TcpScript.dump(sent));
            for (Seg x : sent) {
                assertTrue(x.seq() - s.sndMax() >= 0, recovery + ": resent " + x);
            }
            assertEquals(2, sent.size(), recovery + ": " + TcpScript.dump(sent));
        }
    }

    @Test
    void anAckEchoingTheRetransmissionMeansARealLoss() throws Exception {
        Setup s = new Setup(true, true, "rack");
        s.t.clock.advance(10 * MS);
        s.ack(s.flight.get(0).seq() + s.mss, s.rto); // the retransmission arrived: the original was lost
        assertEquals(0, c(s.t, TcpCounter.SPURIOUS_RTOS));
        assertTrue(s.e.c.cwnd() < s.cwndBefore, "the reduction stands");
        List<Seg> sent = drain(s.t);
        // go-back-N in slow start: the next segments after the first are resent
        assertFalse(sent.isEmpty());
        assertEquals(s.flight.get(1).seq(), sent.get(0).seq(), TcpScript.dump(sent));
    }

    @Test
    void withoutTimestampsAndWithoutFrtoNothingIsDetected() throws Exception {
        Setup s = new Setup(true, false, "rack", false);
        s.ack(s.flight.get(0).seq() + 3 * s.mss, s.flight.get(2));
        s.ack(s.sndMax(), s.flight.get(5));
        assertEquals(0, c(s.t, TcpCounter.SPURIOUS_RTOS));
        assertTrue(s.e.c.cwnd() < s.cwndBefore);
    }

    /**
     * F-RTO (RFC 5682) without timestamps: the timeout resent segment 1; the delayed ACKs of the
     * original flight then arrive. The first releases two new segments (step 2 b), the second
     * acknowledges never-retransmitted data (step 3 b): spurious, undone as Eifel's.
     */
    @Test
    void frtoFindsASpuriousTimeoutWithoutTimestampsAndUndoesIt() throws Exception {
        for (String recovery : new String[] {"rack", "rfc6675"}) {
            for (boolean sack : new boolean[] {true, false}) {
                String what = recovery + (sack ? " with SACK" : " without SACK");
                Setup s = new Setup(sack, false, recovery);
                s.e.c.write(ByteBuffer.wrap(bytes(4 * s.mss, 3))); // new data waits
                drain(s.t);
                s.t.clock.advance(5 * MS);
                s.ack(s.flight.get(0).seq() + 2 * s.mss, s.flight.get(1)); // covers the retransmission
                List<Seg> two = drain(s.t);
                assertEquals(2, two.size(), what + ": step 2 b sends two new segments: " + TcpScript.dump(two));
                assertEquals(s.sndMax(), two.get(0).seq(), what + ": new data, not a resend");
                assertEquals(s.sndMax() + s.mss, two.get(1).seq(), what);
                assertEquals(0, c(s.t, TcpCounter.SPURIOUS_RTOS), what + ": not decided yet");
                s.ack(s.flight.get(0).seq() + 4 * s.mss, s.flight.get(3)); // never-retransmitted data
                assertEquals(1, c(s.t, TcpCounter.SPURIOUS_RTOS), what);
                assertEquals(1, c(s.t, TcpCounter.SPURIOUS_RTOS_FRTO), what);
                assertEquals(0, c(s.t, TcpCounter.SPURIOUS_RTOS_EIFEL), what);
                assertTrue(s.e.c.cwnd() >= s.cwndBefore, what + ": cwnd restored: " + s.e.c.cwnd() + " < " + s.cwndBefore);
                // no go-back-N: segments 5 and 6 are not resent
                s.t.poll();
                for (Seg x : drain(s.t)) {
                    assertTrue(x.data().length == 0 || x.seq() - s.sndMax() >= 0, what + ": resent " + x);
                }
            }
        }
    }

    @Test
    void frtoLeavesARealTimeoutAlone() throws Exception {
        for (boolean sack : new boolean[] {true, false}) {
            String what = sack ? "with SACK" : "without SACK";
            Setup s = new Setup(sack, false, "rack");
            s.e.c.write(ByteBuffer.wrap(bytes(4 * s.mss, 3)));
            drain(s.t);
            s.t.clock.advance(10 * MS);
            // the whole flight was lost: the ACK covers only the retransmission
            s.ack(s.flight.get(0).seq() + s.mss, s.rto);
            List<Seg> two = drain(s.t);
            assertEquals(2, two.size(), what + ": " + TcpScript.dump(two));
            assertEquals(s.sndMax(), two.get(0).seq(), what);
            // the next ACK is a duplicate (with SACK: of the new segments only): a real loss
            int una = s.flight.get(0).seq() + s.mss;
            if (sack) {
                s.t.send(PPORT, LPORT, s.e.pNxt, una, A, 65535,
                        opts(TcpScript.sack(s.sndMax(), s.sndMax() + s.mss)), new byte[0]);
            } else {
                s.ack(una, s.rto);
            }
            assertEquals(0, c(s.t, TcpCounter.SPURIOUS_RTOS), what);
            assertTrue(s.e.c.cwnd() < s.cwndBefore, what + ": the reduction stands");
            // the recovery goes back to SND.UNA: segment 2 is resent next
            s.t.poll();
            List<Seg> sent = drain(s.t);
            assertFalse(sent.isEmpty(), what);
            assertEquals(s.flight.get(1).seq(), sent.get(0).seq(), what + ": " + TcpScript.dump(sent));
        }
    }

    @Test
    void frtoStepsByTheRfc() {
        FrtoDetector f = new FrtoDetector();
        assertEquals(FrtoDetector.NONE, f.onAck(10, true, false, false), "not armed");
        f.onFirstTimeout(1000, 100); // resent [0, 100), SND.MAX 1000
        assertEquals(FrtoDetector.NONE, f.onAck(0, false, false, false), "a window update changes nothing");
        assertEquals(FrtoDetector.REVERT, f.onAck(0, false, true, false), "2 a: a duplicate ACK");
        f.onFirstTimeout(1000, 100);
        assertEquals(FrtoDetector.REVERT, f.onAck(50, true, false, false), "2 a: the retransmission not covered");
        f.onFirstTimeout(1000, 100);
        assertEquals(FrtoDetector.REVERT, f.onAck(1000, true, false, false), "2 a: covers recover");
        f.onFirstTimeout(1000, 100);
        assertEquals(FrtoDetector.SEND_NEW, f.onAck(100, true, false, false), "2 b");
        assertEquals(FrtoDetector.REVERT, f.onAck(100, false, true, false), "3 a: a duplicate");
        assertFalse(f.active());
        f.onFirstTimeout(1000, 100);
        f.onAck(200, true, false, false);
        assertEquals(FrtoDetector.SPURIOUS, f.onAck(300, true, false, false), "3 b: SND.UNA advanced");
        f.onFirstTimeout(1000, 100);
        f.onAck(200, true, false, false);
        assertEquals(FrtoDetector.SPURIOUS, f.onAck(200, false, true, true), "3 b (SACK): original data SACKed");
        f.onFirstTimeout(-50, -100); // across the sequence wrap
        assertEquals(FrtoDetector.SEND_NEW, f.onAck(-90, true, false, false));
    }

    @Test
    void withoutSackNewRenoUndoesTooAndASecondTimeoutCancelsDetection() throws Exception {
        Setup s = new Setup(false, true, "rack");
        s.ack(s.flight.get(0).seq() + 3 * s.mss, s.flight.get(2));
        assertEquals(1, c(s.t, TcpCounter.SPURIOUS_RTOS));
        assertTrue(s.e.c.cwnd() >= s.cwndBefore);

        Setup s2 = new Setup(true, true, "rack");
        Seg again = s2.t.expect(2000); // the second timeout (backed off)
        assertEquals(s2.flight.get(0).seq(), again.seq());
        assertEquals(2, c(s2.t, TcpCounter.RTO_TIMEOUTS));
        s2.ack(s2.flight.get(0).seq() + 3 * s2.mss, s2.flight.get(2));
        assertEquals(0, c(s2.t, TcpCounter.SPURIOUS_RTOS), "after two timeouts there is nothing to restore");
    }

    @Test
    void detectorComparesTimestampsModulo2To32() {
        EifelDetector d = new EifelDetector();
        assertFalse(d.onAcceptableAck(true, 5), "not armed");
        d.onFirstTimeout(3);
        assertTrue(d.onAcceptableAck(true, -5), "older across the wrap");
        assertFalse(d.armed(), "detection ends at the first acceptable ACK");
        d.onFirstTimeout(Integer.MIN_VALUE + 2); // just past the wrap of the signed range
        assertTrue(d.onAcceptableAck(true, Integer.MAX_VALUE - 1));
        d.onFirstTimeout(100);
        assertFalse(d.onAcceptableAck(true, 100), "the retransmission's own echo");
        d.onFirstTimeout(100);
        assertFalse(d.onAcceptableAck(false, 50), "no timestamp, no verdict");
        d.onFirstTimeout(100);
        assertFalse(d.onAcceptableAck(true, 0), "an echo of 0 means none (RFC 7323 §3.2)");
    }
}
