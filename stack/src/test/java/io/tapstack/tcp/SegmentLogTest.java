package io.tapstack.tcp;

import io.tapstack.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-segment transmit log (RFC 8985 §5.2) by direct calls, across sequence wrap-around. */
class SegmentLogTest {
    static final int BASE = -3000; // 2^32 − 3000: the records wrap past zero
    static final int M = 1000;

    private static void sack(SackScoreboard sb, SegmentLog log, int una, int max, int... edges) {
        TcpOptions o = new TcpOptions();
        o.sackCount = edges.length / 2;
        for (int k = 0; k < o.sackCount; k++) {
            o.sackLeft[k] = edges[2 * k];
            o.sackRight[k] = edges[2 * k + 1];
        }
        if (sb.update(o, una, max, null)) {
            log.markSacked(sb);
        }
    }

    @Test
    void rttSampleComesFromTheNewestNeverRetransmittedSegmentDelivered() {
        SegmentLog log = new SegmentLog(64);
        for (int i = 0; i < 4; i++) {
            log.onSend(BASE + i * M, BASE + (i + 1) * M, 1_000 + i * 100);
        }
        log.onSend(BASE + 3 * M, BASE + 4 * M, 5_000); // segment 3 resent
        log.beginAck(10_000, 0, Long.MIN_VALUE);
        log.acknowledge(BASE + 4 * M);
        // segment 2 (sent at 1200) is the newest never-retransmitted one: Karn excludes segment 3
        assertEquals(10_000 - 1_200, log.rttSample);
        assertTrue(log.delivered);
        assertEquals(5_000, log.deliveredXmit, "RACK may use the retransmission (RTT not below min_RTT)");
        assertTrue(log.isEmpty());
    }

    @Test
    void aRetransmissionAckedTooSoonIsTakenForTheOriginal() {
        SegmentLog log = new SegmentLog(64);
        log.onSend(BASE, BASE + M, 1_000);
        log.onSend(BASE, BASE + M, 9_000); // resent
        log.beginAck(9_500, 2_000, Long.MIN_VALUE); // 0.5 µs after the resend, min_RTT 2 µs
        log.acknowledge(BASE + M);
        assertFalse(log.delivered, "RFC 8985 §6.2 step 2: RTT below min_RTT");
        assertEquals(-1, log.rttSample);
    }

    @Test
    void aSackEdgeSplitsATsoRecordAndRackMarksOnlyTheHole() {
        SegmentLog log = new SegmentLog(64);
        SackScoreboard sb = new SackScoreboard();
        log.onSend(BASE, BASE + 8 * M, 1_000); // one TSO burst of 8 segments
        int max = BASE + 8 * M;
        log.beginAck(2_000, 0, Long.MIN_VALUE);
        sack(sb, log, BASE, max, BASE + 2 * M, BASE + 5 * M);
        assertEquals(3, log.size(), "split at both SACK edges");
        assertTrue(log.delivered);
        assertEquals(SegmentLog.SACKED, log.flagsAt(BASE + 3 * M));
        assertEquals(0, log.flagsAt(BASE + M));
        assertEquals(1, log.sackedSegments());
        // the hole [BASE, BASE+2M) and the tail were sent at the same time as the SACKed part:
        // RACK's tie-break by sequence puts only the hole before it
        long wait = log.detectLoss(2_000, log.deliveredXmit, log.deliveredEnd, 1_000, 500);
        assertEquals(500, wait, "reo_wnd still to run");
        assertEquals(0, log.newlyLost);
        assertEquals(0, log.detectLoss(2_500, log.deliveredXmit, log.deliveredEnd, 1_000, 500));
        assertEquals(1, log.newlyLost);
        assertEquals(2 * M, log.lostBytes());
        assertEquals(BASE, log.firstLost(BASE, max));
        assertEquals(BASE + 2 * M, log.endOf(BASE));
        // resending the first MSS of the hole splits it and clears LOST on that part only
        log.onSend(BASE, BASE + M, 3_000);
        assertEquals(SegmentLog.RETRANS, log.flagsAt(BASE));
        assertEquals(SegmentLog.LOST, log.flagsAt(BASE + M));
        assertEquals(M, log.lostBytes());
        assertEquals(BASE + M, log.firstLost(BASE, max));
        // a retransmission is "before" RACK's segment only if sent strictly earlier
        log.beginAck(4_000, 0, Long.MIN_VALUE);
        log.detectLoss(10_000, 3_000, BASE + 9 * M, 0, 0);
        assertEquals(SegmentLog.RETRANS, log.flagsAt(BASE));
        log.detectLoss(10_000, 3_001, BASE + 9 * M, 0, 0);
        assertEquals(SegmentLog.RETRANS | SegmentLog.LOST, log.flagsAt(BASE));
    }

    @Test
    void aFullLogMergesNewDataIntoItsLastRecord() {
        SegmentLog log = new SegmentLog(8);
        for (int i = 0; i < 20; i++) {
            log.onSend(BASE + i * M, BASE + (i + 1) * M, i);
        }
        assertEquals(8, log.size());
        assertEquals(19, log.xmitAt(BASE + 19 * M - 1), "the merged record carries the latest time");
        assertEquals(6, log.xmitAt(BASE + 6 * M));
        log.beginAck(100, 0, Long.MIN_VALUE);
        log.acknowledge(BASE + 20 * M);
        assertTrue(log.isEmpty());
        assertEquals(100 - 19, log.rttSample);
    }

    @Test
    void rtoMarksTheFirstSegmentAndEverythingSentLongEnoughAgo() {
        SegmentLog log = new SegmentLog(16);
        log.onSend(BASE, BASE + M, 0);
        log.onSend(BASE + M, BASE + 2 * M, 50);
        log.onSend(BASE + 2 * M, BASE + 3 * M, 200);
        log.markLostOnRto(250, 100, 0);
        assertEquals(2, log.newlyLost);
        assertEquals(SegmentLog.LOST, log.flagsAt(BASE));
        assertEquals(SegmentLog.LOST, log.flagsAt(BASE + M));
        assertEquals(0, log.flagsAt(BASE + 2 * M));
    }
}
