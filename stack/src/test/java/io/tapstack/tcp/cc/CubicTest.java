package io.tapstack.tcp.cc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9438 CUBIC on virtual time: the window is driven by hand, one RTT of ACKs at a time. */
class CubicTest {
    static final int MSS = 1000;
    static final long MS = 1_000_000L;

    /** A CUBIC grown to {@code segs} segments in slow start (ACKs of one segment each). */
    static Cubic grown(int segs) {
        Cubic c = new Cubic();
        c.init(MSS);
        assertEquals(10 * MSS, c.cwnd());
        while (c.cwnd() < segs * MSS) {
            c.onAck(MSS, c.cwnd(), 100 * MS, 0);
        }
        assertEquals(segs * MSS, c.cwnd());
        return c;
    }

    /** Acknowledges one window per RTT, one segment per ACK spread over the RTT; returns the time. */
    static long runRtts(Cubic c, long now, long rtt, int rtts) {
        for (int r = 0; r < rtts; r++) {
            int n = Math.max(1, c.cwnd() / MSS);
            for (int i = 0; i < n; i++) {
                c.onAck(MSS, c.cwnd(), rtt, now + rtt * i / n);
            }
            now += rtt;
        }
        return now;
    }

    @Test
    void multiplicativeDecreaseIsPointSeven() {
        Cubic c = grown(100);
        c.onEnterSackRecovery(100 * MSS);
        assertEquals(70 * MSS, c.cwnd()); // RFC 9438 §4.6: β_cubic = 0.7
        assertEquals(70 * MSS, c.ssthresh());
        assertEquals(100, c.wMax(), 1e-9);
        Cubic d = grown(100);
        d.onEnterRecovery(100 * MSS); // NewReno recovery: ssthresh + 3 SMSS
        assertEquals(70 * MSS, d.ssthresh());
        assertEquals(73 * MSS, d.cwnd());
        Cubic e = grown(100);
        e.onRto(100 * MSS); // §4.8: ssthresh by β, cwnd 1 SMSS
        assertEquals(70 * MSS, e.ssthresh());
        assertEquals(MSS, e.cwnd());
    }

    @Test
    void fastConvergenceLowersWmaxWhenLossComesBelowIt() {
        Cubic c = grown(100);
        c.onEnterSackRecovery(100 * MSS);
        c.onExitRecovery(70 * MSS);
        // a second loss at 70 < W_max = 100: W_max = 70·(1 + β)/2 (RFC 9438 §4.7)
        c.onEnterSackRecovery(70 * MSS);
        assertEquals(70 * 1.7 / 2, c.wMax(), 1e-9);
        assertEquals(49 * MSS, c.cwnd());
    }

    @Test
    void windowFollowsWcubicOfT() {
        // W_max = 100, cwnd 70 after the loss, RTT 100 ms: K = cbrt(30 / 0.4) ≈ 4.217 s; the
        // Reno-friendly estimate (≈ 0.53 segment per RTT) stays below W_cubic here (§4.4, §4.5)
        Cubic c = grown(100);
        c.onEnterSackRecovery(100 * MSS);
        c.onExitRecovery(70 * MSS);
        long rtt = 100 * MS;
        long t0 = 10_000 * MS;
        long now = t0;
        c.onAck(MSS, c.cwnd(), rtt, now); // the epoch begins
        assertEquals(Math.cbrt(30 / 0.4), c.k(), 1e-9);
        double[] checkAt = {1.0, 2.0, 3.0, 4.2, 5.0};
        for (double at : checkAt) {
            long until = t0 + (long) (at * 1e9);
            while (now < until) {
                now = runRtts(c, now, rtt, 1);
            }
            double t = (now - t0) / 1e9;
            double w = c.cwnd() / (double) MSS;
            double lo = c.wCubic(t) - 1;
            double hi = c.wCubic(t + 0.1) + 1;
            assertTrue(w >= lo && w <= hi, String.format("t=%.1f s: cwnd %.2f, W_cubic(t) %.2f, W_cubic(t+RTT) %.2f",
                    t, w, c.wCubic(t), c.wCubic(t + 0.1)));
        }
        assertTrue(Math.abs(c.wCubic(Math.cbrt(75)) - 100) < 1e-9); // W_cubic(K) = W_max
        // by 7 s the Reno-friendly estimate (0.53/RTT to W_max at ≈ 5.67 s, then 1/RTT) is above
        // W_cubic(t) ≈ 108.6, and cwnd follows it (§4.3)
        while (now < t0 + 7_000 * MS) {
            now = runRtts(c, now, rtt, 1);
        }
        double wEst = 100 + (70 - 30 / Cubic.ALPHA);
        assertEquals(wEst, c.cwnd() / (double) MSS, 1.5);
        assertTrue(c.cwnd() / (double) MSS > c.wCubic(7.0) + 2);
    }

    @Test
    void renoFriendlyRegionWinsOnShortRtts() {
        // RTT 1 ms: W_cubic barely moves in 100 ms, W_est grows α = 3(1−β)/(1+β) per RTT up to
        // W_max and 1 per RTT beyond it (RFC 9438 §4.3)
        Cubic c = grown(100);
        c.onEnterSackRecovery(100 * MSS);
        c.onExitRecovery(70 * MSS);
        long now = runRtts(c, 0, MS, 100);
        double w = c.cwnd() / (double) MSS;
        double rttsToWmax = 30 / Cubic.ALPHA;
        double expected = 100 + (100 - rttsToWmax);
        assertEquals(expected, w, 3.0, "cwnd after 100 RTTs");
        assertTrue(c.wCubic(now / 1e9) < w);
    }

    @Test
    void registryKnowsCubic() {
        assertInstanceOf(Cubic.class, CongestionControls.create("cubic"));
        assertInstanceOf(NewReno.class, CongestionControls.create("newreno"));
        assertTrue(CongestionControls.names().contains("cubic"));
    }
}
