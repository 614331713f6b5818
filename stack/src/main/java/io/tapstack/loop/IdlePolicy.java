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
 *       every 10 ms) as a moving mean and mean deviation, starting again when a gap is off by more
 *       than a factor of two (a new rhythm); while that gap is regular, it sleeps until
 *       just before the next arrival is due and spins across the window where it is expected, so
 *       the packet finds the loop awake;</li>
 *   <li>otherwise sleeps until the next timer or a wake-up, so an idle host costs no CPU.</li>
 * </ol>
 *
 * The spin across an expected arrival is bounded: at most {@code maxWindowNanos} and at most
 * 1/{@link #MIN_GAP_PER_SPIN} of the gap, so a host with a ping a second spins well under 0.1 % of a
 * CPU. The sleep before a window ends early by the wake-up lateness the loop has measured
 * ({@link #onWake}: timer slack, the hypervisor; at most 200 µs and half that share of the gap),
 * so the loop is up when the window opens.
 *
 * <p>A spin only helps while the spinning thread has its CPU. On a CPU shared with other runnable
 * threads the scheduler takes it away for a whole slice (milliseconds), and a packet that comes
 * then waits for the slice to end, whereas a thread asleep in the kernel is woken, and preferred,
 * at once. So when one spin pass took more than {@link #PREEMPTED_NANOS} (the thread was off its
 * CPU), the policy stops spinning and sleeps instead for a back-off that starts at
 * {@link #MIN_BACKOFF_NANOS} and doubles while spins keep losing their CPU, up to
 * {@link #MAX_BACKOFF_NANOS} (Aeron's back-off idea); a spin that runs its course resets it
 * ({@code spin_preempted}).
 *
 * <p>Pure arithmetic on the times it is given (testable on virtual time); one per loop thread. Its
 * {@linkplain #counters counters} say how arrivals found the loop (spinning or asleep, inside or
 * outside the predicted window) and how late timed wake-ups were.
 */
public final class IdlePolicy {
    /** The spin around an expected arrival is at most this fraction of the gap (1/50 = 2 %). */
    static final int MIN_GAP_PER_SPIN = 50;
    /**
     * No window narrower than ±this: a timed wake-up lands later than that (50 µs assumed, ~150 µs
     * on average measured on this project's machines), so the loop would wake early, spin a few
     * microseconds and sleep again, paying a wake-up for nothing. With the 2 % cap this means gaps
     * of at least 2.5 ms are predicted (pings 1 ms apart were answered later with such windows than
     * without: docs/performance.md, session 7).
     */
    static final long MIN_HALF_WINDOW_NANOS = 25_000;
    /** Gaps beyond this are not predicted (nobody notices a wake-up after many seconds of silence). */
    static final long MAX_PREDICTED_GAP_NANOS = 5_000_000_000L;
    /** Arrivals needed before a prediction is trusted. */
    static final int WARM_UP = 3;
    /** A spin pass longer than this means the thread lost its CPU: stop spinning for a back-off. */
    static final long PREEMPTED_NANOS = 200_000;
    /** No spinning for this long after a spin lost its CPU, doubled while it goes on happening. */
    static final long MIN_BACKOFF_NANOS = 10_000_000;
    static final long MAX_BACKOFF_NANOS = 1_000_000_000;
    /** Wake-up lateness assumed before any is measured, and the most that is trusted. */
    static final long DEFAULT_WAKE_LATE_NANOS = 50_000;
    static final long MAX_WAKE_LATE_NANOS = 200_000;

    /** Names of {@link #counters}, in order. */
    public static final String[] COUNTER_NAMES = {
        "idle_spins", "idle_sleeps", "arrivals_spinning", "arrivals_sleeping", "arrivals_window_early",
        "arrivals_window_hit", "arrivals_window_late", "prediction_error_ns", "timed_wakes", "wake_late_ns",
        "spin_preempted", "prediction_restarts",
    };

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
    // the last decision was a spin, at this time (to see a pass that lost the CPU)
    private boolean spinning;
    private long lastSpinAt;
    // a spin lost its CPU: no spinning before contendedUntil; the next back-off
    private boolean contended;
    private long contendedUntil;
    private long backoff = MIN_BACKOFF_NANOS;
    // mean lateness of timed wake-ups (gain 1/8)
    private long wakeLate = DEFAULT_WAKE_LATE_NANOS;
    private long sleeps;
    private long arrivalsSpinning;
    private long arrivalsSleeping;
    private long windowEarly;
    private long windowHit;
    private long windowLate;
    private long predictionError;
    private long timedWakes;
    private long wakeLateTotal;
    private long spinPreempted;
    private long restarts;

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
        return new IdlePolicy(20_000, HYBRID_MAX_WINDOW_NANOS);
    }

    private static final long HYBRID_MAX_WINDOW_NANOS = 1_000_000;

    /**
     * A policy by the name the command line gives it ({@code tapstack run --idle}, the benchmarks'
     * Netty servers): {@code hybrid}, spinning {@code spinAfterWorkNanos} after work (0: its default
     * 20 µs), or {@code sleep}, spinning {@code spinAfterWorkNanos} after work (0: never); null for
     * any other name (the caller says what it takes: hybrid or sleep).
     */
    public static IdlePolicy named(String name, long spinAfterWorkNanos) {
        return switch (name) {
            case "hybrid" -> spinAfterWorkNanos > 0 ? new IdlePolicy(spinAfterWorkNanos, HYBRID_MAX_WINDOW_NANOS) : hybrid();
            case "sleep" -> spinOnly(spinAfterWorkNanos);
            default -> null;
        };
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
            if (spinning) {
                arrivalsSpinning++;
            } else {
                arrivalsSleeping++;
            }
            if (predict && lastArrival != Long.MIN_VALUE) {
                long gap = now - lastArrival;
                long half = windowOpen() ? halfWindow() : 0;
                if (half > 0) {
                    // where the arrival fell against the window that was predicted for it
                    long err = gap - meanGap;
                    predictionError += Math.abs(err);
                    if (err < -half) {
                        windowEarly++;
                    } else if (err < half) {
                        windowHit++;
                    } else {
                        windowLate++;
                    }
                }
                if (gap > 0 && gap <= MAX_PREDICTED_GAP_NANOS) {
                    sample(gap);
                } else {
                    samples = 0; // silence longer than we predict: start again
                }
            }
            lastArrival = now;
        }
        idleSinceWork = false;
        spinning = false;
    }

    /**
     * The loop slept (asked for {@code requestedNanos}, was away {@code elapsedNanos}): a sleep that
     * lasted at least what was asked ended by its timer, and how late it was is learned.
     */
    public void onWake(long requestedNanos, long elapsedNanos) {
        if (requestedNanos > 0 && elapsedNanos >= requestedNanos) {
            long late = elapsedNanos - requestedNanos;
            timedWakes++;
            wakeLateTotal += late;
            wakeLate += (Math.min(late, MAX_WAKE_LATE_NANOS) - wakeLate) >> 3;
        }
    }

    private void sample(long gap) {
        if (samples > 0 && (gap > 2 * meanGap || gap < meanGap / 2)) {
            // a new rhythm (pings 200 ms apart after a burst 1 ms apart): a moving mean with gain
            // 1/8 would take ~50 arrivals to forget the old one; start again, trusted after WARM_UP
            samples = 0;
            restarts++;
        }
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
        if (contended && now - contendedUntil >= 0) {
            contended = false;
        }
        if (spinning && now - lastSpinAt > PREEMPTED_NANOS && !contended) {
            // the last spin pass took too long: the thread was off its CPU (another thread ran)
            contended = true;
            contendedUntil = now + backoff;
            backoff = Math.min(2 * backoff, MAX_BACKOFF_NANOS);
            spinPreempted++;
        }
        if (!contended && now - lastWork < spinAfterWorkNanos) {
            return spin(now);
        }
        long sleep = Math.max(0, untilDeadline);
        if (!contended && windowOpen()) {
            long half = halfWindow();
            if (half > 0) {
                long expected = lastArrival + meanGap;
                // wake early by the measured lateness (at most 1 % of the gap), so the loop is up
                // when the window opens; a wake-up that came early spins to the window rather than
                // sleeping again (which would be late again)
                long lead = Math.min(wakeLate, meanGap / MIN_GAP_PER_SPIN / 2);
                long open = expected - half - lead;
                long close = expected + half;
                if (now >= open && now < close) {
                    return spin(now);
                }
                if (now < open) {
                    sleep = Math.min(sleep, open - now);
                }
            }
        }
        if (spinning && !contended) {
            backoff = MIN_BACKOFF_NANOS; // a spin that ran its course: the CPU is ours again
        }
        spinning = false;
        if (sleep > 0) {
            sleeps++;
        }
        return sleep;
    }

    private long spin(long now) {
        spins++;
        spinning = true;
        lastSpinAt = now;
        return 0;
    }

    private boolean windowOpen() {
        return predict && samples >= WARM_UP && lastArrival != Long.MIN_VALUE;
    }

    /** Half the spin window around the expected arrival, 0 when the gap is too irregular to bother. */
    private long halfWindow() {
        long half = 2 * devGap + 50_000; // two mean deviations and 50 µs for the wake-up's lateness
        long cap = Math.min(maxWindowNanos, meanGap / MIN_GAP_PER_SPIN) / 2;
        if (cap < MIN_HALF_WINDOW_NANOS) {
            return 0; // too narrow to be hit: just sleep
        }
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

    /** Mean lateness of timed wake-ups the policy allows for (50 µs until measured). */
    public long wakeLateNanos() {
        return wakeLate;
    }

    /** The counters named by {@link #COUNTER_NAMES}, in that order (read on the loop thread). */
    public long[] counters() {
        return new long[] {
            spins, sleeps, arrivalsSpinning, arrivalsSleeping, windowEarly, windowHit, windowLate,
            predictionError, timedWakes, wakeLateTotal, spinPreempted, restarts,
        };
    }
}
