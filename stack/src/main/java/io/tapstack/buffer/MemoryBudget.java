package io.tapstack.buffer;

import io.tapstack.stats.Counters;
import io.tapstack.stats.StackStats;

/**
 * One loop's memory budget (issue 11; Linux's {@code tcp_mem} with its three marks): the bytes
 * of everything a peer can make the stack hold — socket rings (send and receive, out-of-order data
 * included, since it waits in the receive ring's free space), IPv4/IPv6 reassembly buffers, half-open
 * connections (the SYN queue), established connections and TIME-WAIT entries — charged when taken
 * and released when given back, against one limit.
 *
 * <p>States, as {@code tcp_mem}'s {@code min}/{@code pressure}/{@code max}:
 * <ul>
 * <li>{@link State#NORMAL} — below the pressure mark: buffers grow as they need.
 * <li>{@link State#PRESSURE} — above {@link #pressureMark()} (2/3 of the limit, Linux's
 *     pressure/max ratio), until usage falls below {@link #normalMark()} (1/2 of the limit,
 *     Linux's min/max): windows stop growing, rings do not double (a new one is a page or one that
 *     was freed), out-of-order data is kept only where it fills the first hole.
 * <li>{@link State#HARD} — at or above the limit: nothing new is charged that a caller may refuse
 *     ({@link #tryCharge}): new connections, out-of-order data and reassembly are refused; data in
 *     order still flows through rings that were freed.
 * </ul>
 * Every refusal is counted by reason in the {@code mem} counter group, which also carries the
 * gauges ({@code limit}, {@code used}, {@code peak}, the bytes of each kind, {@code state_pressure}
 * and {@code state_hard} as 0/1) so that {@code tapstack stat} shows them and a multi-queue host's
 * sum is the host's figure.
 *
 * <p>Loop-owned: no locks, no allocation; every call is a few arithmetic operations.
 */
public final class MemoryBudget {
    /** What a charge is for. */
    public enum Kind {
        RINGS(MemCounter.USED_RINGS),
        REASSEMBLY(MemCounter.USED_REASSEMBLY),
        SYN_QUEUE(MemCounter.USED_SYN_QUEUE),
        CONNECTIONS(MemCounter.USED_CONNECTIONS),
        TIME_WAIT(MemCounter.USED_TIME_WAIT);

        final MemCounter gauge;

        Kind(MemCounter gauge) {
            this.gauge = gauge;
        }
    }

    /** The pressure state ({@code tcp_memory_pressure}). */
    public enum State { NORMAL, PRESSURE, HARD }

    /**
     * What one connection is charged while it exists (half-open or established): its objects
     * without data rings, measured at 2.1–3.2 KB per idle connection (docs/performance.md,
     * bench-conns), rounded up.
     */
    public static final int CONNECTION_BYTES = 3 * 1024;
    /** What one TIME-WAIT entry is charged (a small record and its table slot, the aim of issue 11). */
    public static final int TIME_WAIT_BYTES = 256;
    /** The smallest limit accepted (a few connections' worth). */
    public static final long MIN_LIMIT = 64 * 1024;

    private final long limit;
    private final long pressureMark;
    private final long normalMark;
    private final Counters<MemCounter> counters;
    private final long[] used = new long[Kind.values().length];
    private long total;
    private long peak;
    private State state = State.NORMAL;

    /** A budget of {@code limit} bytes whose counters go into {@code stats} as group {@code mem}. */
    public MemoryBudget(long limit, StackStats stats) {
        if (limit < MIN_LIMIT) {
            throw new IllegalArgumentException("memory limit " + limit + " below " + MIN_LIMIT + " bytes");
        }
        this.limit = limit;
        this.pressureMark = limit / 3 * 2;
        this.normalMark = limit / 2;
        this.counters = stats.register("mem", MemCounter.class);
        counters.add(MemCounter.LIMIT, limit);
    }

    /**
     * The default limit for a JVM whose maximum heap is {@code maxHeap}: half of it. Socket rings
     * and reassembly buffers are heap arrays; the other half is the collector's headroom (a
     * copying collector needs free regions to evacuate into) and what the budget does not charge
     * (listeners, the pools' idle rings and packet buffers, the application's own objects).
     */
    public static long defaultLimit(long maxHeap) {
        return Math.max(MIN_LIMIT, maxHeap / 2);
    }

    /** The default limit for this JVM ({@link #defaultLimit(long)} of {@code Runtime.maxMemory()}). */
    public static long defaultLimit() {
        return defaultLimit(Runtime.getRuntime().maxMemory());
    }

    public long limit() {
        return limit;
    }

    public long pressureMark() {
        return pressureMark;
    }

    public long normalMark() {
        return normalMark;
    }

    /** Bytes charged now. */
    public long used() {
        return total;
    }

    /** Bytes charged now for {@code k}. */
    public long used(Kind k) {
        return used[k.ordinal()];
    }

    /** The most ever charged at once. */
    public long peak() {
        return peak;
    }

    public State state() {
        return state;
    }

    /**
     * May buffers and windows grow beyond what they hold (only in {@link State#NORMAL})? The
     * question receive-window auto-tuning asks before it raises a window.
     */
    public boolean mayGrow() {
        return state == State.NORMAL;
    }

    /**
     * Charges {@code bytes} for {@code k} if that keeps usage within the limit; otherwise charges
     * nothing, counts {@code reason} and returns false (the caller refuses what it was asked to hold).
     */
    public boolean tryCharge(Kind k, long bytes, MemCounter reason) {
        if (total + bytes > limit) {
            counters.inc(reason);
            return false;
        }
        charge(k, bytes);
        return true;
    }

    /** Charges {@code bytes} for {@code k} whatever the state (what is already held or must be). */
    public void charge(Kind k, long bytes) {
        used[k.ordinal()] += bytes;
        counters.add(k.gauge, bytes);
        total += bytes;
        counters.add(MemCounter.USED, bytes);
        if (total > peak) {
            counters.add(MemCounter.PEAK, total - peak);
            peak = total;
        }
        update();
    }

    /** Gives back {@code bytes} charged for {@code k}. */
    public void release(Kind k, long bytes) {
        charge(k, -bytes);
    }

    /** Moves {@code bytes} charged for {@code from} to {@code to} (a connection changes phase). */
    public void move(Kind from, Kind to, long bytes) {
        used[from.ordinal()] -= bytes;
        counters.add(from.gauge, -bytes);
        used[to.ordinal()] += bytes;
        counters.add(to.gauge, bytes);
    }

    /** Counts a refusal decided by the caller (for instance by state, not by size). */
    public void refused(MemCounter reason) {
        counters.inc(reason);
    }

    public Counters<MemCounter> counters() {
        return counters;
    }

    private void update() {
        State s;
        if (total >= limit) {
            s = State.HARD;
        } else if (total > pressureMark || (state != State.NORMAL && total >= normalMark)) {
            s = State.PRESSURE; // hysteresis: pressure ends below the normal mark (tcp_mem[0])
        } else {
            s = State.NORMAL;
        }
        if (s != state) {
            enter(s);
        }
    }

    private void enter(State s) {
        counters.add(MemCounter.STATE_PRESSURE, (s == State.PRESSURE ? 1 : 0) - (state == State.PRESSURE ? 1 : 0));
        counters.add(MemCounter.STATE_HARD, (s == State.HARD ? 1 : 0) - (state == State.HARD ? 1 : 0));
        if (s == State.PRESSURE && state == State.NORMAL) {
            counters.inc(MemCounter.ENTERED_PRESSURE);
        } else if (s == State.HARD) {
            counters.inc(MemCounter.ENTERED_HARD);
        }
        state = s;
    }

    @Override
    public String toString() {
        return "memory " + state + ": " + total + " of " + limit + " bytes (peak " + peak + ")";
    }
}
