package io.tapstack.context;

import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.loop.TimerWheel;
import io.tapstack.stats.StackStats;

import java.util.Random;

/**
 * What every protocol uses of its stack: the time of the current pass, the timers, packet
 * buffers, random numbers and the counter registry. Loop thread only.
 */
public interface StackContext {
    /**
     * The time of the current pass (loop-clock nanoseconds). Protocol code never reads a clock:
     * the loop reads it once per pass.
     */
    long now();

    /** The stack's timers (deadlines in loop-clock nanoseconds). */
    TimerWheel timers();

    /**
     * A buffer for a packet of {@code size} bytes, with headroom for the headers below, or null
     * when the pool is empty (counted; the caller drops and counts too).
     */
    PacketBuf allocate(int size);

    /** The stack's random numbers (seeded by {@link StackConfig#seed}). */
    Random random();

    /**
     * The stack's memory budget: what a protocol charges for memory a peer makes it hold, and
     * asks before it grows.
     */
    MemoryBudget memory();

    /** The registry in which each protocol registers its counters at construction. */
    StackStats stats();

    /**
     * True while processing a frame that a sibling queue's stack shared (multi-queue TAP): learn
     * from it, do not answer it.
     */
    boolean isMirrored();
}
