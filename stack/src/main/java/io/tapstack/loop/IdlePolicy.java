package io.tapstack.loop;

/**
 * When an idle event loop spins and when it sleeps (Aeron's idle strategies, and the hybrid
 * polling Linux uses for fast block devices): waking a thread that sleeps in the kernel costs
 * tens of microseconds here, spinning costs a CPU. So the loop
 *
 * <ol>
 *   <li>spins for {@code spinAfterWorkNanos} after the last work (a reply's ACK, the next request
 *       of a burst — these follow within microseconds);</li>
 *   <li>learns the gap between <em>arrivals after idleness</em> (a ping every second, a request
 *       every 10 ms) as a moving mean and mean deviation; while that gap is regular, it sleeps until
 *       just before the next arrival is due and spins across the window where it is expected, so
 *       the packet finds the loop awake;</li>
 *   <li>otherwise sleeps until the next timer or a wake-up, so an idle host costs no CPU.</li>
 * </ol>
 *
 * The spin across an expected arrival is bounded: at most {@code maxWindowNanos} and at most
 * 1/{@link #MIN_GAP_PER_SPIN} of the gap, so a host with a ping a second spins well under 0.1 % of a
 * CPU. Pure arithmetic on the times it is given (testable on virtual time); one per loop thread.
 */
public final class IdlePolicy {
    /** The spin around an expected arrival is at most this fraction of the gap (1/50 = 2 %). */
    static final int MIN_GAP_PER_SPIN = 50;
    /** Gaps beyond this are not predicted (nobody notices a wake-up after many seconds of silence). */
    static final long MAX_PREDICTED_GAP_NANOS = 5_000_000_000L;
    /** Arrivals needed before a prediction is trusted. */
    static final int WARM_UP = 3;

    private final long spinAfterWorkNanos;
    private final long maxWindowNanos;
    private final boolean predict;
    // moving mean and mean deviation of the gap between arrivals after idleness (RFC 6298-like gains)
    private long meanGap;
    private long devGap;
    private int samples;
    private long lastArrival = Long.MIN_VALUE;
    private boolean idleSinceWork;
    private long spins;

    /**
     * @param spinAfterWorkNanos spin this long after the last work before sleeping (0: never)
     * @param maxWindowNanos longest spin around a predicted arrival (0: no prediction, only the
     *     spin after work)
     */
    public IdlePolicy(long spinAfterWorkNanos, long maxWindowNanos) {
        this.spinAfterWorkNanos = Math.max(0, spinAfterWorkNanos);
        this.maxWindowNanos = Math.max(0, maxWindowNanos);
        this.predict = maxWindowNanos > 0;
    }

    /** The default: a 20 µs spin after work and predicted windows of up to 1 ms. */
    public static IdlePolicy hybrid() {
        return new IdlePolicy(20_000, 1_000_000);
    }

    /** Spin {@code nanos} after work, never predict (the classic busy-poll window). */
    public static IdlePolicy spinOnly(long nanos) {
        return new IdlePolicy(nanos, 0);
    }

    /**
     * The loop did work at {@code now}; {@code arrival} says whether it came from outside (a frame
     * or a command) rather than a timer. The first arrival after the loop went idle is a sample of
     * the gap to learn.
     */
    public void onWork(long now, boolean arrival) {
        if (arrival && idleSinceWork) {
            if (lastArrival != Long.MIN_VALUE) {
                long gap = now - lastArrival;
                if (gap > 0 && gap <= MAX_PREDICTED_GAP_NANOS) {
                    sample(gap);
                } else {
                    samples = 0; // silence longer than we predict: start again
                }
            }
            lastArrival = now;
        }
        idleSinceWork = false;
    }

    private void sample(long gap) {
        if (samples == 0) {
            meanGap = gap;
            devGap = 0; // the next WARM_UP - 1 samples set it before a window is opened
        } else {
            long err = gap - meanGap;
            meanGap += err >> 3;                         // gain 1/8
            devGap += (Math.abs(err) - devGap) >> 2;     // gain 1/4
        }
        samples++;
    }

    /**
     * The loop is idle at {@code now}, its last work was at {@code lastWork}: how long to sleep
     * (at most {@code untilDeadline}); 0 means spin once more and ask again.
     */
    public long sleepNanos(long now, long lastWork, long untilDeadline) {
        idleSinceWork = true;
        if (now - lastWork < spinAfterWorkNanos) {
            spins++;
            return 0;
        }
        long sleep = Math.max(0, untilDeadline);
        if (predict && samples >= WARM_UP && lastArrival != Long.MIN_VALUE) {
            long half = halfWindow();
            if (half > 0) {
                long expected = lastArrival + meanGap;
                long open = expected - half;
                long close = expected + half;
                if (now >= open && now < close) {
                    spins++;
                    return 0;
                }
                if (now < open) {
                    sleep = Math.min(sleep, open - now);
                }
            }
        }
        return sleep;
    }

    /** Half the spin window around the expected arrival, 0 when the gap is too irregular to bother. */
    private long halfWindow() {
        long half = 2 * devGap + 50_000; // two mean deviations and 50 µs for the wake-up's lateness
        long cap = Math.min(maxWindowNanos, meanGap / MIN_GAP_PER_SPIN) / 2;
        if (half > cap) {
            // too irregular for a window we are willing to spin through: sleep instead
            return devGap * 2 > cap ? 0 : cap;
        }
        return half;
    }

    /** Learned gap between arrivals after idleness (0 before any), for counters and tests. */
    public long meanGapNanos() {
        return samples == 0 ? 0 : meanGap;
    }

    public long meanDeviationNanos() {
        return samples == 0 ? 0 : devGap;
    }

    /** Passes spent spinning (after work or in a window). */
    public long spins() {
        return spins;
    }
}
