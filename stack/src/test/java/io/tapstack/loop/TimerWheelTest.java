package io.tapstack.loop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimerWheelTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 5_000 * MS;

    @Test
    void firesAtTheDeadlineNotBefore() {
        TimerWheel w = new TimerWheel(T0);
        List<Long> fired = new ArrayList<>();
        Timer t = new Timer(fired::add);
        w.schedule(t, T0 + 10 * MS + 500);
        assertTrue(t.isScheduled());
        assertEquals(T0 + 10 * MS + 500, t.deadline());
        assertEquals(0, w.expire(T0 + 10 * MS));
        assertEquals(0, w.expire(T0 + 10 * MS + 499), "same tick, deadline not reached");
        assertTrue(fired.isEmpty());
        assertEquals(1, w.expire(T0 + 10 * MS + 500));
        assertEquals(List.of(T0 + 10 * MS + 500), fired);
        assertFalse(t.isScheduled());
        assertEquals(0, w.expire(T0 + 20 * MS), "fires once");
        assertEquals(0, w.size());
    }

    @Test
    void lateExpireFiresEverythingDueEvenAfterManyRevolutions() {
        TimerWheel w = new TimerWheel(T0, MS, 16);
        int[] n = new int[1];
        for (int i = 0; i < 100; i++) {
            w.schedule(new Timer(now -> n[0]++), T0 + i * 3 * MS);
        }
        assertEquals(100, w.expire(T0 + 1000 * MS));
        assertEquals(100, n[0]);
    }

    @Test
    void cancelAndReschedule() {
        TimerWheel w = new TimerWheel(T0);
        List<String> fired = new ArrayList<>();
        Timer a = new Timer(now -> fired.add("a"));
        Timer b = new Timer(now -> fired.add("b"));
        w.schedule(a, T0 + 5 * MS);
        w.schedule(b, T0 + 5 * MS);
        w.cancel(a);
        w.cancel(a); // idempotent
        assertFalse(a.isScheduled());
        assertEquals(1, w.size());
        w.schedule(b, T0 + 50 * MS); // reschedule moves it
        assertEquals(1, w.size());
        assertEquals(0, w.expire(T0 + 49 * MS));
        assertEquals(1, w.expire(T0 + 50 * MS));
        assertEquals(List.of("b"), fired);
        w.schedule(a, T0 + 60 * MS);
        w.schedule(a, T0 + 55 * MS); // earlier
        assertEquals(1, w.expire(T0 + 55 * MS));
        assertEquals(List.of("b", "a"), fired);
    }

    @Test
    void deadlinesBeyondOneRevolutionWait() {
        // 16 slots of 1 ms: a revolution is 16 ms
        TimerWheel w = new TimerWheel(T0, MS, 16);
        List<Long> fired = new ArrayList<>();
        Timer far = new Timer(fired::add);
        Timer near = new Timer(fired::add);
        w.schedule(far, T0 + 16 * MS * 3 + 2 * MS); // same slot as near, three revolutions later
        w.schedule(near, T0 + 2 * MS);
        for (long t = T0; t <= T0 + 16 * MS * 3 + MS; t += MS) {
            w.expire(t);
        }
        assertEquals(List.of(T0 + 2 * MS), fired, "only the near one has fired");
        assertTrue(far.isScheduled());
        w.expire(T0 + 16 * MS * 3 + 2 * MS);
        assertEquals(2, fired.size());
        assertEquals(T0 + 50 * MS, fired.get(1));
    }

    @Test
    void manyTimersInOneSlot() {
        TimerWheel w = new TimerWheel(T0, MS, 8);
        List<Integer> fired = new ArrayList<>();
        List<Timer> ts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int id = i;
            Timer t = new Timer(now -> fired.add(id));
            ts.add(t);
            // all in the slot of tick 3; deadlines spread inside the tick and over revolutions
            w.schedule(t, T0 + 3 * MS + (i % 10) * 8 * MS + i);
        }
        for (int i = 0; i < 1000; i += 7) {
            w.cancel(ts.get(i));
        }
        int expected = 1000 - (1000 + 6) / 7;
        assertEquals(expected, w.size());
        w.expire(T0 + 3 * MS + 999);
        for (int id : fired) {
            assertTrue(id % 10 == 0 && id % 7 != 0, "only deadlines in the first revolution: " + id);
        }
        w.expire(T0 + 100 * MS);
        assertEquals(expected, fired.size());
        assertEquals(0, w.size());
    }

    @Test
    void aTaskReschedulingItselfForNowDoesNotLoop() {
        TimerWheel w = new TimerWheel(T0);
        int[] runs = new int[1];
        Timer[] self = new Timer[1];
        self[0] = new Timer(now -> {
            runs[0]++;
            w.schedule(self[0], now); // "again, now"
        });
        w.schedule(self[0], T0 + MS);
        assertEquals(1, w.expire(T0 + MS));
        assertEquals(1, runs[0], "ran once in this pass");
        assertTrue(self[0].isScheduled());
        assertTrue(self[0].deadline() > T0 + MS, "pushed to the next pass");
        assertEquals(1, w.expire(T0 + MS + 1));
        assertEquals(2, runs[0]);
    }

    @Test
    void aTaskMayCancelOrScheduleOthers() {
        TimerWheel w = new TimerWheel(T0, MS, 8);
        List<String> fired = new ArrayList<>();
        Timer victim = new Timer(now -> fired.add("victim"));
        Timer child = new Timer(now -> fired.add("child"));
        Timer killer = new Timer(now -> {
            fired.add("killer");
            w.cancel(victim);
            w.schedule(child, now - 5 * MS); // in the past: next pass
        });
        // same tick: the victim must fire after the killer for the test to mean anything, so make
        // its deadline later within the tick
        w.schedule(victim, T0 + MS + 500);
        w.schedule(killer, T0 + MS);
        w.expire(T0 + MS);
        assertEquals(List.of("killer"), fired);
        assertFalse(victim.isScheduled());
        assertTrue(child.isScheduled());
        assertTrue(child.deadline() > T0 + MS, "a deadline in the past while firing waits for the next pass");
        w.expire(T0 + 2 * MS);
        assertEquals(List.of("killer", "child"), fired);
        assertEquals(0, w.size());
    }

    @Test
    void pastDeadlineFiresAtTheNextExpire() {
        TimerWheel w = new TimerWheel(T0);
        w.expire(T0 + 100 * MS);
        int[] n = new int[1];
        w.schedule(new Timer(now -> n[0]++), T0);
        assertTrue(w.nextDeadline() <= T0);
        assertEquals(1, w.expire(T0 + 100 * MS));
        assertEquals(1, n[0]);
    }

    @Test
    void nextDeadlineIsNeverLaterThanTheEarliestTimer() {
        SplittableRandom r = new SplittableRandom(42);
        TimerWheel w = new TimerWheel(T0, MS, 64);
        List<Timer> all = new ArrayList<>();
        long[] lastFired = {0};
        long now = T0;
        for (int i = 0; i < 200; i++) {
            all.add(new Timer(t -> lastFired[0] = t));
        }
        for (int step = 0; step < 50_000; step++) {
            Timer t = all.get(r.nextInt(all.size()));
            switch (r.nextInt(4)) {
                case 0, 1 -> w.schedule(t, now + r.nextLong(200 * MS)); // up to ~3 revolutions
                case 2 -> w.cancel(t);
                default -> {
                    now += r.nextLong(10 * MS);
                    w.expire(now);
                }
            }
            long earliest = Long.MAX_VALUE;
            int n = 0;
            for (Timer x : all) {
                if (x.isScheduled()) {
                    n++;
                    earliest = Math.min(earliest, x.deadline());
                }
            }
            assertEquals(n, w.size());
            assertTrue(w.nextDeadline() <= earliest, "nextDeadline " + w.nextDeadline() + " > earliest " + earliest + " at step " + step);
            if (n == 0) {
                assertEquals(Long.MAX_VALUE, w.nextDeadline());
            }
        }
    }

    @Test
    void neverEarlyAndNeverLost_randomised() {
        SplittableRandom r = new SplittableRandom(7);
        TimerWheel w = new TimerWheel(T0, MS, 32);
        long[] now = {T0};
        int total = 5000;
        long[] firedAt = new long[total];
        long[] deadline = new long[total];
        for (int i = 0; i < total; i++) {
            int id = i;
            deadline[i] = T0 + r.nextLong(500 * MS);
            firedAt[i] = -1;
            Timer t = new Timer(x -> {
                assertEquals(-1, firedAt[id], "fired twice");
                firedAt[id] = x;
            });
            w.schedule(t, deadline[i]);
        }
        while (w.size() > 0) {
            now[0] += r.nextLong(3 * MS) + 1;
            w.expire(now[0]);
            // every timer due by now has fired, none before its deadline
            for (int i = 0; i < total; i++) {
                if (deadline[i] <= now[0]) {
                    assertTrue(firedAt[i] >= deadline[i], "timer " + i + " not fired or early");
                } else {
                    assertEquals(-1, firedAt[i], "timer " + i + " fired early");
                }
            }
        }
    }

    @Test
    void farTimersGoThroughTheCoarseLevelAndTheOverflowNeverEarlyNeverLost() {
        // 8 slots of 1 ms: a revolution is 8 ms, the coarse level spans 64 ms, the rest overflows
        SplittableRandom r = new SplittableRandom(11);
        TimerWheel w = new TimerWheel(T0, MS, 8);
        int total = 3000;
        long[] firedAt = new long[total];
        long[] deadline = new long[total];
        Timer[] timers = new Timer[total];
        long now = T0;
        for (int i = 0; i < total; i++) {
            int id = i;
            deadline[i] = T0 + r.nextLong(2000 * MS);
            firedAt[i] = -1;
            timers[i] = new Timer(x -> {
                assertEquals(-1, firedAt[id], "fired twice");
                firedAt[id] = x;
            });
            w.schedule(timers[i], deadline[i]);
        }
        int steps = 0;
        while (w.size() > 0 && steps++ < 100_000) {
            // sometimes a long sleep (many revolutions), sometimes a reschedule further out
            now += r.nextInt(20) == 0 ? r.nextLong(300 * MS) : r.nextLong(3 * MS) + 1;
            int k = r.nextInt(total);
            if (firedAt[k] == -1 && r.nextInt(4) == 0) {
                deadline[k] = now + r.nextLong(1000 * MS);
                w.schedule(timers[k], deadline[k]);
            }
            assertTrue(w.nextDeadline() <= minPending(deadline, firedAt), "nextDeadline too late");
            w.expire(now);
            for (int i = 0; i < total; i++) {
                if (deadline[i] <= now) {
                    assertTrue(firedAt[i] >= deadline[i], "timer " + i + " not fired or early");
                } else {
                    assertEquals(-1, firedAt[i], "timer " + i + " fired early");
                }
            }
        }
        assertEquals(0, w.size());
    }

    private static long minPending(long[] deadline, long[] firedAt) {
        long m = Long.MAX_VALUE;
        for (int i = 0; i < deadline.length; i++) {
            if (firedAt[i] == -1) {
                m = Math.min(m, deadline[i]);
            }
        }
        return m;
    }

    @Test
    void slotCountMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(0, MS, 100));
    }
}
