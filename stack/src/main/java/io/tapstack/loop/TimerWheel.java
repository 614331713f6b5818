package io.tapstack.loop;

/**
 * A hashed, two-level timer wheel (Varghese &amp; Lauck; the shape of Agrona's
 * DeadlineTimerWheel, with the Linux timer wheel's coarser level) with intrusive {@link Timer}s:
 * O(1) schedule and cancel, no allocation.
 *
 * <p>Each timer keeps its absolute deadline. The fine level has one slot per tick and holds the
 * timers due within the current revolution (the span of {@code slotCount} ticks that the current
 * tick is in); the coarse level has one slot per revolution and holds those due in the next
 * {@code slotCount} revolutions (with 1 ms ticks and 1024 slots: ~1 s and ~17 min); anything later
 * waits in an overflow list. When the clock enters a revolution, that revolution's coarse slot is
 * moved to the fine level (each timer moves at most twice in its life), and the overflow list is
 * looked at every half coarse revolution. {@link #expire(long)} walks only the fine slots of the
 * ticks that passed, and the earliest deadline is computed from the fine level alone (or bounded
 * by the start of the first non-empty coarse slot), so 100,000 connections in TIME-WAIT with 60 s
 * timers are not visited on every pass (issue 11).
 */
public final class TimerWheel {
    private final long tickNanos;
    private final int slotCount;
    private final int mask;
    /** Fine slots [0, n), coarse slots [n, 2n), the overflow list at 2n. */
    private final Timer[] lists;
    private final int overflow;
    private long currentTick;
    private int count;
    private int fineCount;
    private int coarseCount;
    /** A lower bound on the earliest deadline (may be stale-early after cancels). */
    private long earliest = Long.MAX_VALUE;
    private boolean firing;
    private long firingNow;

    public TimerWheel(long startNanos) {
        this(startNanos, 1_000_000L, 1024);
    }

    public TimerWheel(long startNanos, long tickNanos, int slotCount) {
        if (Integer.bitCount(slotCount) != 1) {
            throw new IllegalArgumentException("slot count must be a power of two");
        }
        this.tickNanos = tickNanos;
        this.slotCount = slotCount;
        this.mask = slotCount - 1;
        this.lists = new Timer[2 * slotCount + 1];
        this.overflow = 2 * slotCount;
        this.currentTick = startNanos / tickNanos;
    }

    public int size() {
        return count;
    }

    /** Schedules (or reschedules) the timer at an absolute deadline. */
    public void schedule(Timer t, long deadline) {
        if (t.slot >= 0) {
            cancel(t);
        }
        if (firing && deadline <= firingNow) {
            // a task that re-arms itself for "now" fires on the next pass, not in a loop
            deadline = firingNow + 1;
        }
        t.deadline = deadline;
        place(t);
        count++;
        if (deadline < earliest) {
            earliest = deadline;
        }
    }

    /** Links {@code t} into the list its deadline belongs to, given the current tick. */
    private void place(Timer t) {
        long tick = Math.max(t.deadline / tickNanos, currentTick);
        long rev = tick / slotCount;
        long curRev = currentTick / slotCount;
        int s;
        if (rev == curRev) {
            s = (int) (tick & mask);
            fineCount++;
        } else if (rev - curRev < slotCount) {
            s = slotCount + (int) (rev & mask);
            coarseCount++;
        } else {
            s = overflow;
        }
        t.slot = s;
        t.prev = null;
        t.next = lists[s];
        if (t.next != null) {
            t.next.prev = t;
        }
        lists[s] = t;
    }

    public void cancel(Timer t) {
        if (t.slot < 0) {
            return;
        }
        unlink(t);
        count--;
        if (count == 0) {
            earliest = Long.MAX_VALUE;
        }
    }

    private void unlink(Timer t) {
        int s = t.slot;
        if (t.prev != null) {
            t.prev.next = t.next;
        } else {
            lists[s] = t.next;
        }
        if (t.next != null) {
            t.next.prev = t.prev;
        }
        t.prev = t.next = null;
        t.slot = -1;
        if (s < slotCount) {
            fineCount--;
        } else if (s < overflow) {
            coarseCount--;
        }
    }

    /**
     * Moves the wheel to {@code nowTick}'s revolution: the coarse slots of the revolutions entered
     * go down to the fine level (their timers are due in the new revolution, or overdue), and
     * every half coarse revolution the overflow list is re-placed.
     */
    private void advanceRevolution(long nowTick) {
        long oldRev = currentTick / slotCount;
        long newRev = nowTick / slotCount;
        currentTick = Math.max(currentTick, newRev * slotCount);
        long revs = Math.min(newRev - oldRev, slotCount);
        for (long r = newRev - revs + 1; r <= newRev; r++) {
            replaceList(slotCount + (int) (r & mask));
        }
        long half = Math.max(1, slotCount / 2);
        if (lists[overflow] != null && newRev / half != oldRev / half) {
            replaceList(overflow);
        }
    }

    /** Re-places every timer of list {@code s} by the current tick (it may land in the same list). */
    private void replaceList(int s) {
        Timer t = lists[s];
        if (t == null) {
            return;
        }
        lists[s] = null;
        while (t != null) {
            Timer nxt = t.next;
            if (s < overflow) {
                coarseCount--;
            }
            place(t);
            t = nxt;
        }
    }

    /** Fires every timer whose deadline is at or before {@code now}; returns how many fired. */
    public int expire(long now) {
        long nowTick = now / tickNanos;
        if (count == 0) {
            currentTick = Math.max(currentTick, nowTick);
            return 0;
        }
        long fromTick = currentTick;
        boolean crossed = nowTick / slotCount > currentTick / slotCount;
        if (!crossed && now < earliest) {
            currentTick = Math.max(currentTick, nowTick);
            return 0;
        }
        if (crossed) {
            // timers left in the fine level are overdue; the entered revolutions come down
            advanceRevolution(nowTick);
        }
        int fired = 0;
        firing = true;
        firingNow = now;
        try {
            long span = Math.min(nowTick - fromTick, slotCount - 1);
            long startTick = nowTick - span;
            for (long tick = startTick; tick <= nowTick; tick++) {
                int s = (int) (tick & mask);
                Timer t = lists[s];
                while (t != null) {
                    Timer nxt = t.next;
                    if (t.deadline <= now) {
                        cancel(t);
                        fired++;
                        t.task.onTimer(t, now);
                        // the task may have cancelled or rescheduled others: restart the slot walk
                        nxt = lists[s];
                    }
                    t = nxt;
                }
            }
        } finally {
            firing = false;
        }
        currentTick = Math.max(currentTick, nowTick);
        recomputeEarliest();
        return fired;
    }

    /**
     * The earliest deadline from the fine level (timers of the current revolution: exact), else
     * the start of the first non-empty coarse slot, else the next look at the overflow list: a
     * lower bound that never walks the timers of later revolutions.
     */
    private void recomputeEarliest() {
        if (count == 0) {
            earliest = Long.MAX_VALUE;
            return;
        }
        long min = Long.MAX_VALUE;
        if (fineCount > 0) {
            for (int i = 0; i < slotCount; i++) {
                for (Timer t = lists[(int) ((currentTick + i) & mask)]; t != null; t = t.next) {
                    if (t.deadline < min) {
                        min = t.deadline;
                    }
                }
                // a due timer within this revolution bounds everything after it
                if (min != Long.MAX_VALUE && min / tickNanos <= currentTick + i) {
                    break;
                }
            }
        }
        long curRev = currentTick / slotCount;
        if (min == Long.MAX_VALUE && coarseCount > 0) {
            for (long r = curRev + 1; r < curRev + slotCount; r++) {
                if (lists[slotCount + (int) (r & mask)] != null) {
                    min = r * slotCount * tickNanos;
                    break;
                }
            }
        }
        if (lists[overflow] != null) {
            long half = Math.max(1, slotCount / 2);
            long nextLook = (curRev / half + 1) * half * slotCount * tickNanos;
            min = Math.min(min, nextLook);
        }
        earliest = min;
    }

    /** The earliest deadline (possibly a little early after cancels), or Long.MAX_VALUE. */
    public long nextDeadline() {
        return count == 0 ? Long.MAX_VALUE : earliest;
    }
}
