package io.tapstack.tcp;

import io.tapstack.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 2018 / RFC 6675 scoreboard without a stack. */
class SackScoreboardTest {
    private static final int MSS = 1000;

    private static TcpOptions sack(int... edges) {
        TcpOptions o = new TcpOptions();
        o.sackCount = edges.length / 2;
        for (int i = 0; i < o.sackCount; i++) {
            o.sackLeft[i] = edges[2 * i];
            o.sackRight[i] = edges[2 * i + 1];
        }
        return o;
    }

    @Test
    void updateReportsNewInformationAndIgnoresInvalidBlocks() {
        SackScoreboard sb = new SackScoreboard();
        int una = 1000;
        int max = 11000;
        assertTrue(sb.update(sack(3000, 4000), una, max, null));
        assertFalse(sb.update(sack(3000, 4000), una, max, null)); // nothing new
        assertFalse(sb.update(sack(500, 900), una, max, null)); // below SND.UNA (D-SACK)
        assertFalse(sb.update(sack(10000, 12000), una, max, null)); // beyond SND.MAX
        assertFalse(sb.update(sack(900, 1500), una, max, null)); // straddles SND.UNA
        assertFalse(sb.update(sack(5000, 5000), una, max, null)); // empty
        assertTrue(sb.update(sack(4000, 5000, 7000, 8000), una, max, null));
        assertEquals("[3000-5000, 7000-8000]", sb.toString());
        assertEquals(8000, sb.highestSacked());
        assertEquals(5000, sb.sackedEndAt(3500));
        assertEquals(7000, sb.sackedStartAfter(5000, max));
        assertEquals(max, sb.sackedStartAfter(7000, max));
        assertEquals(1000 + 500, sb.sackedBytesIn(4000, 7500));
        sb.acknowledged(3500);
        assertEquals("[3500-5000, 7000-8000]", sb.toString());
        sb.clear();
        assertTrue(sb.isEmpty());
    }

    @Test
    void isLostByDupThreshRangesOrBytes() {
        SackScoreboard sb = new SackScoreboard();
        int una = 0;
        int max = 20 * MSS;
        sb.update(sack(2 * MSS, 3 * MSS), una, max, null);
        sb.update(sack(4 * MSS, 5 * MSS), una, max, null);
        // two ranges, 2 MSS SACKed: nothing is lost yet (RFC 6675 §4 IsLost)
        assertEquals(una, sb.lostEdge(una, max, MSS, una));
        sb.update(sack(6 * MSS, 7 * MSS), una, max, null);
        // three discontiguous ranges above the first hole: it is lost, below the lowest range's start
        assertEquals(2 * MSS, sb.lostEdge(una, max, MSS, una));
        SackScoreboard bytes = new SackScoreboard();
        bytes.update(sack(5 * MSS, 8 * MSS + 1), una, max, null); // > (DupThresh−1)·SMSS octets
        assertEquals(5 * MSS, bytes.lostEdge(una, max, MSS, una));
        // a time-based edge raises it, within SND.MAX
        assertEquals(6 * MSS, bytes.lostEdge(una, max, MSS, 6 * MSS));
        assertEquals(5 * MSS, bytes.lostEdge(una, max, MSS, max + 1));
    }

    @Test
    void pipeCountsUnsackedNotLostPlusRetransmitted() {
        SackScoreboard sb = new SackScoreboard();
        int una = 0;
        int max = 10 * MSS;
        sb.update(sack(MSS, 2 * MSS, 3 * MSS, 4 * MSS, 5 * MSS, 6 * MSS), una, max, null);
        int lost = sb.lostEdge(una, max, MSS, una);
        assertEquals(MSS, lost);
        // not lost: [MSS, max) less 3 SACKed MSS = 6 MSS; nothing resent yet
        assertEquals(6 * MSS, sb.pipe(una, max, lost, una));
        // the first hole resent: in flight again
        assertEquals(7 * MSS, sb.pipe(una, max, lost, MSS));
        assertEquals(2 * MSS, sb.firstUnsackedFrom(MSS));
        assertEquals(0, sb.firstUnsackedFrom(0));
    }

    @Test
    void rescueRetransmissionRange() {
        SackScoreboard sb = new SackScoreboard();
        int una = 0;
        int max = 10 * MSS;
        sb.update(sack(8 * MSS, 10 * MSS), una, max, null);
        assertEquals(8 * MSS, sb.rescueTop(max)); // the SACKed top range is skipped
        assertEquals(7 * MSS, sb.rescueStart(8 * MSS, MSS));
        sb.update(sack(7 * MSS + 500, 7 * MSS + 600), una, max, null);
        assertEquals(7 * MSS + 600, sb.rescueStart(8 * MSS, MSS)); // starts above a SACKed range
    }

    @Test
    void worksAcrossSequenceWrap() {
        SackScoreboard sb = new SackScoreboard();
        int una = 0xffff_f000; // 4096 below 2^32
        int max = una + 10 * MSS; // wraps
        assertTrue(sb.update(sack(una + 2 * MSS, una + 3 * MSS), una, max, null));
        assertTrue(sb.update(sack(una + 4 * MSS, una + 5 * MSS), una, max, null));
        assertTrue(sb.update(sack(una + 6 * MSS, una + 7 * MSS), una, max, null));
        assertEquals(una + 2 * MSS, sb.lostEdge(una, max, MSS, una));
        assertEquals(3 * MSS, sb.sackedBytesIn(una, max));
        assertEquals(una + 3 * MSS, sb.sackedEndAt(una + 2 * MSS + 10));
        sb.acknowledged(una + 4 * MSS + 100); // SND.UNA crosses 2^32
        assertEquals(2, sb.size());
        assertEquals(MSS - 100 + MSS, sb.sackedBytesIn(una + 4 * MSS, max));
    }
}
