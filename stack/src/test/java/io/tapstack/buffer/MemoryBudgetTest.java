package io.tapstack.buffer;

import io.tapstack.stats.StackStats;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget's arithmetic and states (tcp_mem's min/pressure/max), and what it shows in the counters. */
class MemoryBudgetTest {
    private static final long LIMIT = 3 << 20; // 3 MiB: pressure above 2 MiB, normal again below 1.5 MiB

    @Test
    void statesFollowTheMarksWithHysteresis() {
        StackStats stats = new StackStats();
        MemoryBudget m = new MemoryBudget(LIMIT, stats);
        assertEquals(MemoryBudget.State.NORMAL, m.state());
        assertEquals(2L << 20, m.pressureMark());
        assertEquals(LIMIT / 2, m.normalMark());

        m.charge(MemoryBudget.Kind.RINGS, 2L << 20);
        assertEquals(MemoryBudget.State.NORMAL, m.state(), "at the pressure mark, not above it");
        assertTrue(m.mayGrow());
        m.charge(MemoryBudget.Kind.CONNECTIONS, 1);
        assertEquals(MemoryBudget.State.PRESSURE, m.state());
        assertFalse(m.mayGrow());
        // below the pressure mark but above the normal mark: still under pressure (hysteresis)
        m.release(MemoryBudget.Kind.RINGS, 300 << 10);
        assertEquals(MemoryBudget.State.PRESSURE, m.state());
        m.charge(MemoryBudget.Kind.REASSEMBLY, LIMIT - m.used());
        assertEquals(MemoryBudget.State.HARD, m.state());
        m.release(MemoryBudget.Kind.REASSEMBLY, 1);
        assertEquals(MemoryBudget.State.PRESSURE, m.state(), "just below the limit");
        m.release(MemoryBudget.Kind.REASSEMBLY, m.used(MemoryBudget.Kind.REASSEMBLY));
        m.release(MemoryBudget.Kind.RINGS, m.used(MemoryBudget.Kind.RINGS));
        assertEquals(1, m.used());
        assertEquals(MemoryBudget.State.NORMAL, m.state());
        assertTrue(m.mayGrow());
        assertEquals(LIMIT, m.peak());
        var c = m.counters();
        assertEquals(1, c.get(MemCounter.ENTERED_PRESSURE), "from NORMAL once (coming down from HARD is not entering)");
        assertEquals(1, c.get(MemCounter.ENTERED_HARD));
    }

    @Test
    void tryChargeRefusesBeyondTheLimitAndCountsTheReason() {
        MemoryBudget m = new MemoryBudget(LIMIT, new StackStats());
        assertTrue(m.tryCharge(MemoryBudget.Kind.SYN_QUEUE, LIMIT - 100, MemCounter.DROP_SYN));
        assertFalse(m.tryCharge(MemoryBudget.Kind.SYN_QUEUE, 101, MemCounter.DROP_SYN));
        assertEquals(1, m.counters().get(MemCounter.DROP_SYN));
        assertEquals(LIMIT - 100, m.used(), "a refusal charges nothing");
        assertTrue(m.tryCharge(MemoryBudget.Kind.SYN_QUEUE, 100, MemCounter.DROP_SYN));
        assertEquals(MemoryBudget.State.HARD, m.state());
        assertFalse(m.tryCharge(MemoryBudget.Kind.REASSEMBLY, 1, MemCounter.DROP_REASSEMBLY));
        assertEquals(1, m.counters().get(MemCounter.DROP_REASSEMBLY));
    }

    @Test
    void countersCarryTheGauges() {
        StackStats stats = new StackStats();
        MemoryBudget m = new MemoryBudget(LIMIT, stats);
        m.charge(MemoryBudget.Kind.SYN_QUEUE, 3000);
        m.move(MemoryBudget.Kind.SYN_QUEUE, MemoryBudget.Kind.CONNECTIONS, 3000);
        m.charge(MemoryBudget.Kind.TIME_WAIT, 256);
        m.charge(MemoryBudget.Kind.RINGS, LIMIT);
        assertEquals(LIMIT, stats.get("mem.limit"));
        assertEquals(LIMIT + 3256, stats.get("mem.used"));
        assertEquals(0, stats.get("mem.used_syn_queue"));
        assertEquals(3000, stats.get("mem.used_connections"));
        assertEquals(256, stats.get("mem.used_time_wait"));
        assertEquals(1, stats.get("mem.state_hard"));
        assertEquals(0, stats.get("mem.state_pressure"));
        m.release(MemoryBudget.Kind.RINGS, LIMIT);
        assertEquals(3256, stats.get("mem.used"));
        assertEquals(LIMIT + 3256, stats.get("mem.peak"));
        assertEquals(0, stats.get("mem.state_hard"));
        assertEquals(0, stats.get("mem.state_pressure"));
    }

    @Test
    void defaultIsHalfTheHeapAndTinyLimitsAreRejected() {
        assertEquals(48L << 20, MemoryBudget.defaultLimit(96L << 20));
        assertThrows(IllegalArgumentException.class, () -> new MemoryBudget(1000, new StackStats()));
    }
}
