package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPerm;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static io.tapstack.tcp.TcpScriptedTest.open;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6675 SACK-based loss recovery ({@code TcpConfig.lossRecovery = "rfc6675"}), scripted: the
 * test plays a SACK-capable peer (no timestamps, MSS 1460) against one stack, on virtual time.
 */
class TcpSackRecoveryTest {
    static final int M = 1460;

    /** NewReno's window arithmetic (RFC 6675 §5 (4.2): FlightSize / 2) and RFC 6675's loss recovery, whatever the defaults. */
    static TcpScript script() {
        TcpConfig cfg = new TcpConfig();
        cfg.congestionControl = "newreno";
        cfg.lossRecovery = "rfc6675";
        return new TcpScript(cfg);
    }

    /** A connection with SACK that has sent its initial window of 10 segments (of {@code segs} written). */
    static Est sendWindow(TcpScript t, int segs) throws Exception {
        Est e = open(t, opts(mss(M), sackPerm()), 65535);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(segs * M, 1)));
        for (int i = 0; i < 10; i++) {
            Seg d = t.expect();
            assertEquals(e.aNxt() + i * M, d.seq());
            assertEquals(M, d.data().length);
        }
        t.expectNothing(0);
        return e;
    }

    static int seg(Est e, int i) {
        return e.aNxt() + i * M;
    }

    static void ack(TcpScript t, Est e, int ack, int... sackEdges) {
        byte[] o = sackEdges.length == 0 ? new byte[0] : opts(sack(sackEdges));
        t.send(PPORT, LPORT, e.pNxt, ack, A, 65535, o, new byte[0]);
    }

    /** Everything sent so far, drained. */
    static List<Seg> drain(TcpScript t) {
        List<Seg> l = new ArrayList<>(t.out);
        t.out.clear();
        return l;
    }

    static void assertNothingSackedResent(List<Seg> segs, int... sackedEdges) {
        for (Seg s : segs) {
            for (int i = 0; i < sackedEdges.length; i += 2) {
                int l = sackedEdges[i];
                int r = sackedEdges[i + 1];
                boolean overlaps = s.data().length > 0 && s.seq() - r < 0 && l - (s.seq() + s.data().length) < 0;
                assertFalse(overlaps, "SACKed range [" + l + "," + r + ") resent: " + s + "\n" + TcpScript.dump(segs));
            }
        }
    }

    @Test
    void threeDuplicateAcksWithSackBlocksResendTheFirstHole() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 20);
        int una = seg(e, 0);
        List<Seg> sent = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ack(t, e, una, seg(e, 1), seg(e, 1 + i));
            sent.addAll(drain(t));
        }
        // RFC 3042: the first two duplicates each released one new segment; the third enters
        // RFC 6675 recovery and resends HighACK+1
        assertEquals(seg(e, 10), sent.get(0).seq());
        assertEquals(seg(e, 11), sent.get(1).seq());
        Seg r = sent.get(2);
        assertEquals(una, r.seq());
        assertArrayEquals(java.util.Arrays.copyOfRange(bytes(20 * M, 1), 0, M), r.data());
        assertEquals(1, t.tcp.counters().get(TcpCounter.SACK_RECOVERY_EPISODES));
        assertEquals(1, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        assertTrue(e.c.inLossRecovery());
        // RFC 6675 (4.2): cwnd = ssthresh = FlightSize / 2, no inflation
        assertEquals(6 * M, e.c.congestionControl().cwnd());
        assertEquals(e.c.congestionControl().cwnd(), e.c.congestionControl().ssthresh());
        assertNothingSackedResent(sent, seg(e, 1), seg(e, 4));
    }

    @Test
    void everyHoleIsResentWithinOneRoundTrip() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 20);
        // segments 0, 2 and 4 lost; 1, 3 and 5–9 arrived: one ACK reports three blocks
        int[] sacked = {seg(e, 1), seg(e, 2), seg(e, 3), seg(e, 4), seg(e, 5), seg(e, 10)};
        ack(t, e, seg(e, 0), sacked);
        List<Seg> sent = drain(t); // no time passes: all of this is one round trip
        // IsLost(HighACK+1): three SACKed ranges above it (RFC 6675 §4, §5 step 2)
        assertEquals(1, t.tcp.counters().get(TcpCounter.SACK_RECOVERY_EPISODES));
        Set<Integer> resent = new TreeSet<>();
        for (Seg s : sent) {
            if (s.seq() - seg(e, 10) < 0) {
                resent.add((s.seq() - seg(e, 0)) / M);
                assertEquals(M, s.data().length);
            }
        }
        assertEquals(Set.of(0, 2, 4), resent, TcpScript.dump(sent));
        assertEquals(3, t.tcp.counters().get(TcpCounter.SACK_HOLES_RETRANSMITTED));
        // cwnd = 5 segments, pipe = 3 retransmissions: NextSeg rule 2 sends two new segments
        assertEquals(5, sent.size(), TcpScript.dump(sent));
        assertEquals(seg(e, 10), sent.get(3).seq());
        assertEquals(seg(e, 11), sent.get(4).seq());
        assertNothingSackedResent(sent, sacked);
        // further duplicates (the new segments SACKed) send new data, never SACKed data again
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 2), seg(e, 3), seg(e, 4), seg(e, 5), seg(e, 11));
        List<Seg> more = drain(t);
        assertFalse(more.isEmpty());
        for (Seg s : more) {
            assertTrue(s.seq() - seg(e, 12) >= 0, "only new data: " + s);
        }
    }

    @Test
    void recoveryEndsAtRecoveryPoint() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 20);
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 2), seg(e, 3), seg(e, 4), seg(e, 5), seg(e, 10));
        drain(t);
        assertTrue(e.c.inLossRecovery());
        int cwnd = e.c.congestionControl().cwnd();
        // a partial ACK (below RecoveryPoint = SND.MAX at entry, segment 10) keeps recovery and cwnd
        ack(t, e, seg(e, 2), seg(e, 3), seg(e, 4), seg(e, 5), seg(e, 12));
        assertTrue(e.c.inLossRecovery());
        assertEquals(cwnd, e.c.congestionControl().cwnd());
        assertEquals(1, t.tcp.counters().get(TcpCounter.PARTIAL_ACKS));
        drain(t);
        ack(t, e, seg(e, 10) - 1, seg(e, 10), seg(e, 12));
        assertTrue(e.c.inLossRecovery(), "one octet short of RecoveryPoint");
        // the cumulative ACK reaching RecoveryPoint ends it (RFC 6675 §5 (A))
        ack(t, e, seg(e, 10), seg(e, 10), seg(e, 12));
        assertFalse(e.c.inLossRecovery());
        assertEquals(1, t.tcp.counters().get(TcpCounter.SACK_RECOVERY_EPISODES));
        assertEquals(0, t.tcp.counters().get(TcpCounter.RTO_TIMEOUTS));
    }

    @Test
    void afterATimeoutOnlyUnsackedDataIsResent() throws Exception {
        TcpScript t = script();
        Est e = sendWindow(t, 10);
        // 1, 3 and 5–9 SACKed; the peer then goes silent until the RTO
        int[] sacked = {seg(e, 1), seg(e, 2), seg(e, 3), seg(e, 4), seg(e, 5), seg(e, 10)};
        ack(t, e, seg(e, 0), sacked);
        drain(t);
        t.advance(250); // min RTO 200 ms
        assertEquals(1, t.tcp.counters().get(TcpCounter.RTO_TIMEOUTS));
        List<Seg> sent = drain(t);
        // RFC 6675 §5.1: after the RTO (cwnd 1 SMSS) the first hole goes again
        assertFalse(sent.isEmpty());
        assertEquals(seg(e, 0), sent.get(sent.size() - 1).seq(), TcpScript.dump(sent));
        // the peer acknowledges it (cwnd grows to 3 SMSS in slow start): the sender fills the
        // two other holes and skips the SACKed segments 3 and 5–9
        ack(t, e, seg(e, 2), seg(e, 3), seg(e, 4), seg(e, 5), seg(e, 10));
        sent = drain(t);
        assertEquals(2, sent.size(), TcpScript.dump(sent));
        assertEquals(seg(e, 2), sent.get(0).seq());
        assertEquals(seg(e, 4), sent.get(1).seq());
        ack(t, e, seg(e, 10));
        sent.addAll(drain(t));
        t.advance(1000);
        sent.addAll(drain(t));
        assertEquals(2, sent.size(), TcpScript.dump(sent));
        assertNothingSackedResent(sent, sacked);
        assertEquals(0, e.c.unacknowledged());
        assertTrue(t.tcp.counters().get(TcpCounter.RTO_RECOVERY_RETRANSMITS) >= 3);
    }

    @Test
    void aHoleBelowSackedDataIsLostAfterTheReorderingWindow() throws Exception {
        // Only one segment SACKed above the hole (a small window never yields three): after a
        // reordering window the hole counts as lost and recovery starts without the RTO.
        TcpScript t = script();
        Est e = open(t, opts(mss(M), sackPerm()), 65535);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(2 * M, 1)));
        t.expect();
        t.expect();
        ack(t, e, seg(e, 0), seg(e, 1), seg(e, 2));
        assertEquals(0, t.tcp.counters().get(TcpCounter.SACK_RECOVERY_EPISODES));
        Seg r = t.expect(20);
        assertEquals(seg(e, 0), r.seq());
        assertEquals(1, t.tcp.counters().get(TcpCounter.REORDER_WINDOW_LOSSES));
        assertEquals(1, t.tcp.counters().get(TcpCounter.SACK_RECOVERY_EPISODES));
        assertEquals(0, t.tcp.counters().get(TcpCounter.RTO_TIMEOUTS));
        ack(t, e, seg(e, 2));
        assertFalse(e.c.inLossRecovery());
        t.expectNothing(500);
    }

    @Test
    void withoutSackNewRenoRecoveryIsUsed() throws Exception {
        TcpScript t = script();
        Est e = open(t);
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(10 * M, 1)));
        for (int i = 0; i < 10; i++) {
            t.expect();
        }
        for (int i = 0; i < 3; i++) {
            t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A, 65535, new byte[0]);
        }
        assertEquals(1, t.tcp.counters().get(TcpCounter.FAST_RETRANSMITS));
        assertEquals(0, t.tcp.counters().get(TcpCounter.SACK_RECOVERY_EPISODES));
        // RFC 5681 §3.2 step 3: inflated by three segments
        assertEquals(e.c.congestionControl().ssthresh() + 3 * M, e.c.congestionControl().cwnd());
    }

    @Test
    void congestionControlIsChosenPerConnection() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(null, 9, 8, new TcpSocketOptions().congestionControl("cubic"));
        TcpConnection c = p.ta.connect(TcpPair.B, 9, new TcpSocketOptions().congestionControl("cubic"), new TcpPair.Collector(false));
        TcpConnection d = p.ta.connect(TcpPair.B, 9, null, new TcpPair.Collector(false));
        TcpConnection n = p.ta.connect(TcpPair.B, 9, new TcpSocketOptions().congestionControl("newreno"), new TcpPair.Collector(false));
        p.run(50);
        assertEquals("cubic", c.congestionControl().name());
        assertEquals("newreno", n.congestionControl().name());
        assertEquals(new TcpConfig().congestionControl, d.congestionControl().name()); // TcpConfig's default
        TcpConnection accepted = l.accept();
        assertEquals("cubic", accepted.congestionControl().name()); // inherited from the listener
        assertTrue(c.info().format().contains("cubic"));
    }
}
