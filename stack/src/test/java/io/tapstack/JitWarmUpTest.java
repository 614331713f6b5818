package io.tapstack;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

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
    void aHostsWarmUpRunsBehindItOnALowPriorityDaemonAndEndsOnceItsTrafficFlows() throws Exception {
        io.tapstack.link.PairLink[] w = io.tapstack.link.PairLink.create(1500);
        NetStack host = new NetStack(w[0], TwoHosts.config(TwoHosts.IP_A, Frames.MAC_A), io.tapstack.loop.Clock.SYSTEM);
        java.util.concurrent.CompletableFuture<JitWarmUp.Result> quiet = JitWarmUp.startFor(java.util.List.of(host));
        Thread t = Thread.getAllStackTraces().keySet().stream()
                .filter(x -> x.getName().equals("tapstack-warm-up")).findFirst().orElse(null);
        assertTrue(t != null && t.isDaemon() && t.getPriority() == Thread.MIN_PRIORITY, "the warm-up thread: " + t);
        // no traffic on the host: a whole run (as JitWarmUp.run), then it ends by itself
        JitWarmUp.Result r = quiet.get(20, TimeUnit.SECONDS);
        assertTrue(r.echoes() >= 200 && r.connections() >= 4, r.toString());
        // the host has carried more than YIELD_FRAMES: a new warm-up gives way at its first question
        host.linkStats().add(io.tapstack.link.LinkCounter.RX_FRAMES, JitWarmUp.YIELD_FRAMES / 2);
        host.linkStats().add(io.tapstack.link.LinkCounter.TX_FRAMES, JitWarmUp.YIELD_FRAMES / 2 + 1);
        JitWarmUp.Result busy = JitWarmUp.startFor(java.util.List.of(host)).get(20, TimeUnit.SECONDS);
        assertEquals(0, busy.echoes(), busy.toString());
        assertEquals(0, busy.connections(), busy.toString());
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
