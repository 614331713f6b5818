package io.tapstack.loop;

/**
 * A hashed timer wheel (Varghese &amp; Lauck; the shape of Agrona's DeadlineTimerWheel) with
 * intrusive {@link Timer}s: O(1) schedule and cancel, no allocation.
 *
 * <p>Each timer keeps its absolute deadline; a slot holds every timer whose deadline falls on
 * that tick modulo the wheel size, and {@link #expire(long)} fires only those that are due,
 * so timers further away than one revolution simply wait for a later pass.
 */
public final class TimerWheel {
    private final long tickNanos;
    private final Timer[] slots;
    private final int mask;
    private long currentTick;
    private int count;
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
        this.slots = new Timer[slotCount];
        this.mask = slotCount - 1;
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
        long tick = Math.max(deadline / tickNanos, currentTick);
        int s = (int) (tick & mask);
        t.slot = s;
        t.prev = null;
        t.next = slots[s];
        if (t.next != null) {
            t.next.prev = t;
        }
        slots[s] = t;
        count++;
        if (deadline < earliest) {
            earliest = deadline;
        }
    }

    public void cancel(Timer t) {
        if (t.slot < 0) {
            return;
        }
        if (t.prev != null) {
            t.prev.next = t.next;
        } else {
            slots[t.slot] = t.next;
        }
        if (t.next != null) {
            t.next.prev = t.prev;
        }
        t.prev = t.next = null;
        t.slot = -1;
        count--;
        if (count == 0) {
            earliest = Long.MAX_VALUE;
        }
    }

    /** Fires every timer whose deadline is at or before {@code now}; returns how many fired. */
    public int expire(long now) {
        if (count == 0 || now < earliest) {
            currentTick = Math.max(currentTick, now / tickNanos);
            return 0;
        }
        long nowTick = now / tickNanos;
        int fired = 0;
        firing = true;
        firingNow = now;
        try {
        long span = Math.min(nowTick - currentTick, slots.length - 1);
        long startTick = nowTick - span;
        for (long tick = startTick; tick <= nowTick; tick++) {
            int s = (int) (tick & mask);
            Timer t = slots[s];
            while (t != null) {
                Timer nxt = t.next;
                if (t.deadline <= now) {
                    cancel(t);
                    fired++;
                    t.task.onTimer(now);
                    // the task may have cancelled or rescheduled others: restart the slot walk
                    nxt = slots[s];
                }
                t = nxt;
            }
        }
        } finally {
            firing = false;
        }
        currentTick = nowTick;
        recomputeEarliest();
        return fired;
    }

    private void recomputeEarliest() {
        if (count == 0) {
            earliest = Long.MAX_VALUE;
            return;
        }
        long min = Long.MAX_VALUE;
        for (int i = 0; i < slots.length; i++) {
            for (Timer t = slots[(int) ((currentTick + i) & mask)]; t != null; t = t.next) {
                if (t.deadline < min) {
                    min = t.deadline;
                }
            }
            // a due timer within this revolution bounds everything after it
            if (min != Long.MAX_VALUE && min / tickNanos <= currentTick + i) {
                break;
            }
        }
        earliest = min;
    }

    /** The earliest deadline (possibly a little early after cancels), or Long.MAX_VALUE. */
    public long nextDeadline() {
        return count == 0 ? Long.MAX_VALUE : earliest;
    }
}
