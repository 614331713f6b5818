package io.tapstack;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitWarmUpTest {
    @Test
    void exercisesEchoesBothFamiliesAndTcpWithinItsBudget() {
        long t0 = System.nanoTime();
        JitWarmUp.Result r = JitWarmUp.run(300_000_000L);
        long took = System.nanoTime() - t0;
        assertTrue(r.echoes() >= 200, r.toString());
        assertTrue(r.echoes6() >= 200, "ICMPv6 echoes went out: " + r);
        assertTrue(r.connections() >= 4, r.toString());
        assertTrue(r.bytes() >= 4 * 16384, "TCP carried data: " + r);
        // the budget bounds the rounds; the last round and the final drain come on top
        assertTrue(took < 10_000_000_000L, "took " + took / 1_000_000 + " ms: " + r);
    }

    @Test
    void givesWayToRealTrafficWithinTwentyEchoes() {
        int[] asked = {0};
        // traffic from the start: nothing at all
        JitWarmUp.Result none = JitWarmUp.run(10_000_000_000L, () -> true);
        assertEquals(0, none.echoes(), none.toString());
        assertEquals(0, none.connections(), none.toString());
        // traffic from the third question on (asked every 20 echoes): a budget of 10 s ends at 40
        long t0 = System.nanoTime();
        JitWarmUp.Result two = JitWarmUp.run(10_000_000_000L, () -> asked[0]++ >= 2);
        long took = System.nanoTime() - t0;
        assertEquals(40, two.echoes(), two.toString());
        assertEquals(0, two.connections(), two.toString());
        assertTrue(took < 5_000_000_000L, "took " + took / 1_000_000 + " ms: " + two);
    }
}
