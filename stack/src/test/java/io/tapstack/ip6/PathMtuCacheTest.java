package io.tapstack.ip6;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 8201 §4 path MTU cache: lowered only, never below 1280, aged out, bounded with the soonest-to-expire evicted. */
class PathMtuCacheTest {
    static final long AGING = 600_000_000_000L;
    static final int LINK = 1500;
    static final long HI = 0x2001_0db8_0000_0000L;

    @Test
    void lowersNeverRaisesNeverBelow1280AndAgesOut_rfc8201s4() {
        PathMtuCache c = new PathMtuCache(8, AGING);
        assertEquals(LINK, c.get(HI, 1, LINK, 0));
        assertTrue(c.update(HI, 1, 1400, LINK, 0));
        assertFalse(c.update(HI, 1, 1450, LINK, 1), "a PTB never raises the estimate");
        assertTrue(c.update(HI, 1, 500, LINK, 2));
        assertEquals(1280, c.get(HI, 1, LINK, 3));
        assertEquals(1280, c.get(HI, 1, LINK, 2 + AGING - 1));
        assertEquals(LINK, c.get(HI, 1, LINK, 2 + AGING), "forgotten after the aging time");
        assertEquals(0, c.size());
    }

    @Test
    void whenFullTheEntryClosestToExpiryGivesWay() {
        PathMtuCache c = new PathMtuCache(3, AGING);
        c.update(HI, 1, 1400, LINK, 0);
        c.update(HI, 2, 1400, LINK, 1);
        c.update(HI, 3, 1400, LINK, 2);
        c.update(HI, 1, 1300, LINK, 3); // lowered again: its aging restarts, it is now the last to expire
        c.update(HI, 4, 1400, LINK, 4);
        assertEquals(3, c.size());
        assertEquals(LINK, c.get(HI, 2, LINK, 5), "the soonest to expire was evicted");
        assertEquals(1300, c.get(HI, 1, LINK, 5));
        assertEquals(1400, c.get(HI, 3, LINK, 5));
        assertEquals(1400, c.get(HI, 4, LINK, 5));
        c.update(HI, 5, 1400, LINK, 6);
        assertEquals(LINK, c.get(HI, 3, LINK, 7));
        assertEquals(1300, c.get(HI, 1, LINK, 7));
    }

    /** PTBs for 100,000 new destinations: the bound holds and the newest 1,024 are kept. */
    @Test
    void aStreamOfNewDestinationsKeepsTheBound() {
        PathMtuCache c = new PathMtuCache(1024, AGING);
        for (int i = 0; i < 100_000; i++) {
            assertTrue(c.update(HI, i, 1400, LINK, i));
        }
        assertEquals(1024, c.size());
        for (int i = 100_000 - 1024; i < 100_000; i++) {
            assertEquals(1400, c.get(HI, i, LINK, 100_000));
        }
        assertEquals(LINK, c.get(HI, 100_000 - 1025, LINK, 100_000));
        // the expired ones leave as they are looked up, and their room is reused
        assertEquals(LINK, c.get(HI, 100_000 - 1, LINK, 100_000 + AGING));
        assertEquals(1023, c.size());
    }

    /** The read-only stat: {@code ip6.pmtu_entries} and {@code ip6.pmtu_lowest} follow every addition, lowering, eviction and expiry. */
    @Test
    void gaugesShowTheEntriesAndTheLowestPathMtu() {
        io.tapstack.stats.Counters<Ipv6Counter> g = new io.tapstack.stats.Counters<>("ip6", Ipv6Counter.class);
        PathMtuCache c = new PathMtuCache(3, AGING, g);
        assertEquals(0, g.get(Ipv6Counter.PMTU_ENTRIES));
        assertEquals(0, g.get(Ipv6Counter.PMTU_LOWEST), "no entry: 0");
        c.update(HI, 1, 1400, LINK, 0);
        c.update(HI, 2, 1300, LINK, 1);
        c.update(HI, 3, 1300, LINK, 2);
        assertEquals(3, g.get(Ipv6Counter.PMTU_ENTRIES));
        assertEquals(1300, g.get(Ipv6Counter.PMTU_LOWEST));
        c.update(HI, 1, 100, LINK, 3); // below 1280: 1280
        assertEquals(1280, g.get(Ipv6Counter.PMTU_LOWEST));
        assertEquals(1280, c.lowest());
        c.update(HI, 4, 1450, LINK, 4); // full: HI:2 (1300), the soonest to expire, gives way
        assertEquals(3, g.get(Ipv6Counter.PMTU_ENTRIES));
        assertEquals(1280, g.get(Ipv6Counter.PMTU_LOWEST));
        assertEquals(LINK, c.get(HI, 1, LINK, 3 + AGING), "HI:1 expires");
        assertEquals(2, g.get(Ipv6Counter.PMTU_ENTRIES));
        assertEquals(1300, g.get(Ipv6Counter.PMTU_LOWEST), "the next lowest once the lowest left");
        c.get(HI, 3, LINK, 2 + AGING);
        assertEquals(1450, g.get(Ipv6Counter.PMTU_LOWEST));
        c.get(HI, 4, LINK, 4 + AGING);
        assertEquals(0, g.get(Ipv6Counter.PMTU_ENTRIES));
        assertEquals(0, g.get(Ipv6Counter.PMTU_LOWEST), "empty again: 0");
    }
}
