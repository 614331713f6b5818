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
     * real wake-up is; one that runs its course ends {@code timerLate} late). Counts the arrivals
     * that found the loop spinning.
     */
    static final class Sim {
        final IdlePolicy p;
        long timerLate;
        long now;
        long last;
        long lastWork;
        long spunNanos;
        int caughtAwake;

        Sim(IdlePolicy p) {
            this.p = p;
        }

        /** {@code n} arrivals {@code gap} apart after the last one; the time of the last. */
        long arriveEvery(long gap, int n) {
            for (int i = 0; i < n; i++) {
                arriveAt(last + gap);
            }
            return last;
        }

        void arriveAt(long t) {
            last = t;
            boolean awake = false;
            while (now < t) {
                long s = p.sleepNanos(now, lastWork, FOREVER);
                if (s == 0) {
                    now += US;
                    spunNanos += US;
                    awake = true;
                } else {
                    awake = false;
                    long before = now;
                    now = Math.min(now + s + timerLate, t + 50 * US);
                    p.onWake(s, now - before);
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
    void policiesByTheirCommandLineNames() {
        // sleepNanos 0 = spin once more; what each name does 30 µs after work
        long at = 1_000 * MS;
        assertEquals(0, IdlePolicy.named("hybrid", 0).sleepNanos(at + 10 * US, at, FOREVER), "hybrid spins 20 µs after work");
        assertTrue(IdlePolicy.named("hybrid", 0).sleepNanos(at + 30 * US, at, FOREVER) > 0, "and no longer");
        assertEquals(0, IdlePolicy.named("hybrid", 50 * US).sleepNanos(at + 30 * US, at, FOREVER), "--busy-poll 50");
        assertTrue(IdlePolicy.named("sleep", 0).sleepNanos(at, at, FOREVER) > 0, "sleep never spins");
        assertEquals(0, IdlePolicy.named("sleep", 50 * US).sleepNanos(at + 30 * US, at, FOREVER), "sleep --busy-poll 50");
        assertEquals(null, IdlePolicy.named("fast", 0));
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
        long t = s.arriveEvery(5 * MS, 50); // very regular, frequent: the window must not become the whole gap
        double cpu = (double) s.spunNanos / t;
        assertTrue(s.caughtAwake >= 40, "found awake " + s.caughtAwake + " of 50");
        assertTrue(cpu <= 0.03, "spinning " + cpu + " of the time for a 5 ms gap");
    }

    @Test
    void aRhythmTooFastForAUsefulWindowIsNotPredicted() {
        // pings 1 ms apart: a 2 % window would be ±10 µs, narrower than a wake-up is late
        Sim s = new Sim(IdlePolicy.hybrid());
        s.arriveEvery(MS, 200);
        assertEquals(MS, s.p.meanGapNanos(), "the gap is still learned");
        long[] c = s.p.counters();
        assertEquals(0, c[4] + c[5] + c[6], "no arrival was predicted (early, hit, late)");
        // between arrivals only the 20 µs spin after work (the reply's 5 µs included): no window
        assertTrue(s.spunNanos <= 200 * 20 * US, "spun " + s.spunNanos + " ns");
        // 5 ms apart the window is ±50 µs: predicted, and the arrivals find the loop awake
        Sim f = new Sim(IdlePolicy.hybrid());
        f.arriveEvery(5 * MS, 100);
        assertTrue(f.p.counters()[5] >= 90, "window hits " + f.p.counters()[5]);
        assertTrue(f.caughtAwake >= 90, "found awake " + f.caughtAwake);
    }

    @Test
    void sleepOnlyPolicyNeverPredicts() {
        Sim s = new Sim(IdlePolicy.spinOnly(0));
        s.arriveEvery(10 * MS, 50);
        assertEquals(0, s.caughtAwake);
        assertEquals(0, s.spunNanos);
    }

    @Test
    void aNewRhythmIsLearnedWithinAFewArrivals() {
        // ping -i 0.001 for a while, then ping -i 0.2: the 1 ms history must not hide the new gap
        Sim s = new Sim(IdlePolicy.hybrid());
        long t = s.arriveEvery(MS, 500);
        Random r = new Random(3);
        int before = s.caughtAwake;
        for (int i = 0; i < 20; i++) {
            t += 200 * MS + (r.nextInt(41) - 20) * US;
            s.arriveAt(t);
        }
        int caught = s.caughtAwake - before;
        assertTrue(caught >= 15, "arrivals 200 ms apart that found the loop spinning: " + caught + " of 20");
        assertTrue(Math.abs(s.p.meanGapNanos() - 200 * MS) < 100 * US, "learned gap " + s.p.meanGapNanos());
        assertTrue(counter(s.p, "prediction_restarts") >= 1);
    }

    @Test
    void lateTimersAreLearnedAndTheLoopWakesThatMuchEarlier() {
        // a loaded machine or a hypervisor: every timed wake-up 150 µs late; with the lateness
        // allowed for, the loop is still up before a ping 200 ms apart arrives
        Sim s = new Sim(IdlePolicy.hybrid());
        s.timerLate = 150 * US;
        Random r = new Random(4);
        long t = 0;
        for (int i = 0; i < 100; i++) {
            t += 200 * MS + (r.nextInt(41) - 20) * US;
            s.arriveAt(t);
        }
        assertTrue(Math.abs(s.p.wakeLateNanos() - 150 * US) < 10 * US, "learned lateness " + s.p.wakeLateNanos());
        assertTrue(s.caughtAwake >= 90, "arrivals that found the loop spinning: " + s.caughtAwake + " of 100");
        assertTrue(counter(s.p, "arrivals_window_hit") >= 90, "arrivals in the window: " + counter(s.p, "arrivals_window_hit"));
        assertTrue((double) s.spunNanos / t < 0.005, "CPU spent spinning " + (double) s.spunNanos / t);
    }

    @Test
    void theEarlyWakeUpIsAtMostOnePercentOfTheGap() {
        // arrivals exactly 5 ms apart, timers 200 µs late: waking 200 µs early as well as the
        // window would spin 6 % of the time; the lead is bounded by 1 % of the gap (50 µs), the
        // window by 2 % (±50 µs)
        IdlePolicy p = new IdlePolicy(0, 10 * MS);
        long t = 0;
        for (int i = 0; i < 10; i++) {
            t += 5 * MS;
            p.sleepNanos(t - MS, t - 5 * MS, FOREVER);
            p.onWork(t, true);
        }
        for (int i = 0; i < 100; i++) {
            p.onWake(MS, MS + 200 * US);
        }
        assertTrue(p.wakeLateNanos() > 150 * US, "learned lateness " + p.wakeLateNanos());
        long sleep = p.sleepNanos(t + US, t, FOREVER);
        long early = (t + 5 * MS) - (t + US + sleep);
        assertTrue(early > 0 && early <= 100 * US, "wakes " + early / US + " µs before the expected arrival");
    }

    @Test
    void wakeLatenessIsBoundedAndOnlyTimedWakesCount() {
        IdlePolicy p = IdlePolicy.hybrid();
        p.onWake(MS, 400 * US); // woken early by a frame: not a timer's lateness
        assertEquals(IdlePolicy.DEFAULT_WAKE_LATE_NANOS, p.wakeLateNanos());
        assertEquals(0, counter(p, "timed_wakes"));
        for (int i = 0; i < 100; i++) {
            p.onWake(MS, 6 * MS); // 5 ms late (a CPU busy with other threads)
        }
        assertEquals(100, counter(p, "timed_wakes"));
        assertEquals(500 * MS, counter(p, "wake_late_ns"));
        assertTrue(p.wakeLateNanos() <= IdlePolicy.MAX_WAKE_LATE_NANOS, "allowed lateness " + p.wakeLateNanos());
    }

    @Test
    void aSpinThatLostItsCpuBacksOffAndTheBackOffDoublesWhileItGoesOn() {
        IdlePolicy p = IdlePolicy.spinOnly(MS);
        p.onWork(0, true);
        assertEquals(0, p.sleepNanos(US, 0, FOREVER));
        assertEquals(0, p.sleepNanos(2 * US, 0, FOREVER));
        // the next pass comes 400 µs later: another thread had the CPU; sleeping (and being woken
        // by the kernel) beats waiting for the next time slice
        assertEquals(FOREVER, p.sleepNanos(402 * US, 0, FOREVER));
        assertEquals(1, counter(p, "spin_preempted"));
        p.onWork(500 * US, true);
        assertEquals(FOREVER, p.sleepNanos(501 * US, 500 * US, FOREVER), "no spin within the back-off (10 ms)");
        assertEquals(1, counter(p, "arrivals_sleeping"));
        long t = 11 * MS;
        p.onWork(t, true);
        assertEquals(0, p.sleepNanos(t + US, t, FOREVER), "spins again after the back-off");
        assertEquals(FOREVER, p.sleepNanos(t + 500 * US, t, FOREVER), "preempted again");
        t += 15 * MS;
        p.onWork(t, true);
        assertEquals(FOREVER, p.sleepNanos(t + US, t, FOREVER), "the back-off doubled to 20 ms");
        t += 10 * MS;
        p.onWork(t, true);
        for (long x = t + US; x < t + MS; x += US) {
            assertEquals(0, p.sleepNanos(x, t, FOREVER));
        }
        assertEquals(FOREVER, p.sleepNanos(t + MS, t, FOREVER), "a spin that ran its course (1 ms)");
        assertEquals(2, counter(p, "spin_preempted"));
        t += MS;
        p.onWork(t, true);
        assertEquals(0, p.sleepNanos(t + US, t, FOREVER));
        assertEquals(FOREVER, p.sleepNanos(t + 500 * US, t, FOREVER), "preempted: back to a 10 ms back-off");
        t += 11 * MS;
        p.onWork(t, true);
        assertEquals(0, p.sleepNanos(t + US, t, FOREVER), "10 ms, not 40");
    }

    @Test
    void countersTellWhetherArrivalsFoundTheLoopSpinning() {
        Sim s = new Sim(IdlePolicy.hybrid());
        s.arriveEvery(100 * MS, 50);
        assertEquals(50, counter(s.p, "arrivals_spinning") + counter(s.p, "arrivals_sleeping"));
        assertEquals(s.caughtAwake, counter(s.p, "arrivals_spinning"));
        long windows = counter(s.p, "arrivals_window_early") + counter(s.p, "arrivals_window_hit") + counter(s.p, "arrivals_window_late");
        assertTrue(windows >= 45, "arrivals with a window predicted " + windows);
        assertTrue(counter(s.p, "arrivals_window_hit") >= windows - 2, "arrivals in the window " + counter(s.p, "arrivals_window_hit"));
        assertTrue(counter(s.p, "idle_sleeps") >= 50);
    }

    static long counter(IdlePolicy p, String name) {
        long[] c = p.counters();
        for (int i = 0; i < c.length; i++) {
            if (IdlePolicy.COUNTER_NAMES[i].equals(name)) {
                return c[i];
            }
        }
        throw new AssertionError("no counter " + name);
    }
}
