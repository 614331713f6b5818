package io.tapstack.loop;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdlePolicyTest {
    static final long US = 1_000L;
    static final long MS = 1_000_000L;
    static final long FOREVER = 100 * MS;

    /**
     * Plays an idle loop between arrivals on virtual time: the loop asks the policy, spins in
     * 1 µs passes or sleeps as told (a sleep ends early when the arrival comes, 50 µs late as a
     * real wake-up is). Returns the number of arrivals that found the loop spinning.
     */
    static final class Sim {
        final IdlePolicy p;
        long now;
        long lastWork;
        long spunNanos;
        int caughtAwake;

        Sim(IdlePolicy p) {
            this.p = p;
        }

        void arriveAt(long t) {
            boolean awake = false;
            while (now < t) {
                long s = p.sleepNanos(now, lastWork, FOREVER);
                if (s == 0) {
                    now += US;
                    spunNanos += US;
                    awake = true;
                } else {
                    awake = false;
                    now = Math.min(now + s, t + 50 * US);
                }
            }
            if (awake) {
                caughtAwake++;
            }
            now = Math.max(now, t);
            p.onWork(now, true);
            lastWork = now;
            now += 5 * US; // the reply
        }
    }

    @Test
    void spinsBrieflyAfterWorkThenSleeps() {
        IdlePolicy p = new IdlePolicy(20 * US, 0);
        assertEquals(0, p.sleepNanos(1_000 * US, 990 * US, FOREVER), "10 µs after work: spin");
        assertEquals(FOREVER, p.sleepNanos(1_000 * US, 900 * US, FOREVER), "100 µs after work: sleep to the deadline");
        assertEquals(7 * MS, p.sleepNanos(1_000 * US, 900 * US, 7 * MS), "never past the next timer");
    }

    @Test
    void regularArrivalsFindTheLoopAwake() {
        // a ping every 200 ms with ±20 µs of jitter, as ping -i 0.2 sends them
        Sim s = new Sim(IdlePolicy.hybrid());
        Random r = new Random(1);
        long t = 0;
        for (int i = 0; i < 100; i++) {
            t += 200 * MS + (r.nextInt(41) - 20) * US;
            s.arriveAt(t);
        }
        assertTrue(Math.abs(s.p.meanGapNanos() - 200 * MS) < 100 * US, "learned gap " + s.p.meanGapNanos());
        assertTrue(s.caughtAwake >= 90, "arrivals that found the loop spinning: " + s.caughtAwake + " of 100");
        // the price: the spin windows, bounded by 1 ms each
        double cpu = (double) s.spunNanos / t;
        assertTrue(cpu < 0.005, "CPU spent spinning " + cpu);
    }

    @Test
    void irregularArrivalsAreNotChasedAndAnIdleHostSleeps() {
        Sim s = new Sim(IdlePolicy.hybrid());
        Random r = new Random(2);
        long t = 0;
        for (int i = 0; i < 200; i++) {
            t += (1 + r.nextInt(400)) * MS; // 1..400 ms, no pattern
            s.arriveAt(t);
        }
        double cpu = (double) s.spunNanos / t;
        assertTrue(cpu < 0.001, "CPU spent spinning on unpredictable traffic " + cpu);
        // long after the last arrival: sleep until the deadline, no spinning
        long later = t + 10_000 * MS;
        assertEquals(FOREVER, s.p.sleepNanos(later, t, FOREVER));
    }

    @Test
    void theWindowIsAtMostTwoPercentOfTheGap() {
        Sim s = new Sim(new IdlePolicy(0, 10 * MS));
        long t = 0;
        for (int i = 0; i < 50; i++) {
            t += 2 * MS; // very regular, very frequent: the window must not become the whole gap
            s.arriveAt(t);
        }
        double cpu = (double) s.spunNanos / t;
        assertTrue(cpu <= 0.03, "spinning " + cpu + " of the time for a 2 ms gap");
    }

    @Test
    void sleepOnlyPolicyNeverPredicts() {
        Sim s = new Sim(IdlePolicy.spinOnly(0));
        long t = 0;
        for (int i = 0; i < 50; i++) {
            t += 10 * MS;
            s.arriveAt(t);
        }
        assertEquals(0, s.caughtAwake);
        assertEquals(0, s.spunNanos);
    }
}
