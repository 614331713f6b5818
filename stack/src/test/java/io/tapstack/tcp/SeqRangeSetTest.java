package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sorted-range merge shared by the out-of-order queue and the SACK scoreboard, without a stack. */
class SeqRangeSetTest {
    @Test
    void keepsRangesSortedAndDisjoint() {
        SeqRangeSet r = new SeqRangeSet(8);
        assertEquals(SeqRangeSet.GREW, r.add(300, 400));
        assertEquals(SeqRangeSet.GREW, r.add(100, 200));
        assertEquals(SeqRangeSet.GREW, r.add(500, 600));
        assertEquals("[100-200, 300-400, 500-600]", r.toString());
        assertEquals(100, r.start(0));
        assertEquals(600, r.highestEnd());
        assertEquals(500, r.highestStart());
    }

    @Test
    void mergesOverlappingAndTouchingRanges() {
        SeqRangeSet r = new SeqRangeSet(8);
        r.add(100, 200);
        r.add(300, 400);
        assertEquals(SeqRangeSet.GREW, r.add(200, 300)); // touches both: one range
        assertEquals("[100-400]", r.toString());
        assertEquals(SeqRangeSet.COVERED, r.add(150, 250));
        assertEquals(SeqRangeSet.GREW, r.add(50, 120));
        assertEquals(SeqRangeSet.GREW, r.add(390, 450));
        assertEquals("[50-450]", r.toString());
        r.add(500, 510);
        r.add(520, 530);
        r.add(540, 550);
        assertEquals(SeqRangeSet.GREW, r.add(505, 545)); // spans three
        assertEquals("[50-450, 500-550]", r.toString());
    }

    @Test
    void fullSetRefusesANewRangeButStillMerges() {
        SeqRangeSet r = new SeqRangeSet(2);
        r.add(0, 10);
        r.add(20, 30);
        assertEquals(SeqRangeSet.FULL, r.add(40, 50));
        assertEquals("[0-10, 20-30]", r.toString());
        assertEquals(SeqRangeSet.GREW, r.add(30, 35)); // extends one: no new slot needed
        assertEquals(SeqRangeSet.GREW, r.add(10, 20)); // joins both
        assertEquals("[0-35]", r.toString());
        assertEquals(SeqRangeSet.GREW, r.add(40, 50));
    }

    @Test
    void wrapsAroundTheSequenceSpace() {
        SeqRangeSet r = new SeqRangeSet(8);
        int top = 0xffff_ff00;
        assertEquals(SeqRangeSet.GREW, r.add(top + 0x80, 0x40)); // crosses 2^32
        assertEquals(SeqRangeSet.GREW, r.add(top, top + 0x10)); // below it, modulo 2^32
        assertEquals(SeqRangeSet.GREW, r.add(0x100, 0x200)); // above it
        assertEquals(top, r.start(0));
        assertEquals(top + 0x80, r.start(1));
        assertEquals(0x40, r.end(1));
        assertEquals(0x100, r.start(2));
        assertEquals(SeqRangeSet.GREW, r.add(top + 0x10, top + 0x80)); // joins the first two
        assertEquals(2, r.size());
        assertEquals(top, r.start(0));
        assertEquals(0x40, r.end(0));
        assertEquals(0x40, r.endAt(0x10));
        assertEquals(0x100, r.startAfter(0x40, -1));
        assertEquals(0x140 + 0x100, r.bytesIn(top, 0x200));
        r.removeBelow(0x20);
        assertEquals(0x20, r.start(0));
        assertEquals(0x40, r.end(0));
    }

    @Test
    void queries() {
        SeqRangeSet r = new SeqRangeSet(4);
        r.add(100, 200);
        r.add(300, 400);
        assertEquals(200, r.endAt(150));
        assertEquals(250, r.endAt(250));
        assertEquals(99, r.endAt(99));
        assertEquals(400, r.endAt(399)); // end is exclusive
        assertEquals(300, r.startAfter(100, -1));
        assertEquals(-1, r.startAfter(300, -1));
        assertEquals(50 + 50, r.bytesIn(150, 350));
        assertEquals(0, r.bytesIn(200, 300));
        assertEquals(1, r.indexTouching(400)); // end inclusive
        assertEquals(-1, r.indexTouching(401));
        r.remove(0);
        assertEquals("[300-400]", r.toString());
        r.removeBelow(350);
        assertEquals("[350-400]", r.toString());
        r.removeBelow(400);
        assertTrue(r.isEmpty());
    }
}
