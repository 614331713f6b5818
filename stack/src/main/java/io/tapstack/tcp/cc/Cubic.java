package io.tapstack.tcp.cc;

/**
 * CUBIC congestion control (RFC 9438): after a loss the window follows
 * {@code W_cubic(t) = C·(t − K)³ + W_max} (§4.2, eq. 1) from the time {@code t} since the
 * congestion-avoidance epoch began, never growing slower than the Reno-friendly estimate
 * {@code W_est} (§4.3), and shrinks by β = 0.7 on loss (§4.6) with fast convergence (§4.7).
 * Slow start is RFC 5681's with RFC 3465 byte counting (L = 2·SMSS). Loss recovery (NewReno's
 * inflation or RFC 6675's pipe) stays in TCP; this class only moves cwnd and ssthresh.
 *
 * <p>Windows are kept in segments as doubles (RFC 9438 works in segments); {@link #cwnd()}
 * converts to bytes. No allocation after construction.
 */
public final class Cubic implements CongestionControl {
    /** RFC 9438 §5.1: C = 0.4. */
    public static final double C = 0.4;
    /** RFC 9438 §4.6: β_cubic = 0.7. */
    public static final double BETA = 0.7;
    /** RFC 9438 §4.3: α_cubic = 3·(1 − β)/(1 + β), so that W_est is Reno-friendly. */
    public static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    private int mss;
    /** cwnd and ssthresh in segments. */
    private double cw;
    private double ssth = Double.MAX_VALUE;
    /** W_max (segments): the window just before the last reduction; 0 = none (after an RTO, §4.8). */
    private double wMax;
    /** cwnd_epoch, K (seconds), the start of the epoch (nanos, -1 = not started), W_est. */
    private double cwndEpoch;
    private double k;
    private long epochStart = -1;
    private double wEst;
    /** Smoothed RTT (nanos) from the samples TCP passes in (RFC 9438 §4.2 uses SRTT). */
    private long srtt;
    private boolean fastConvergence = true;
    /** State before the last reduction, for {@link #undo()} (priorCw 0 = nothing to undo). */
    private double priorCw;
    private double priorSsth;
    private double priorWMax;

    @Override
    public String name() {
        return "cubic";
    }

    /** Disables fast convergence (§4.7), for tests. */
    public Cubic fastConvergence(boolean on) {
        fastConvergence = on;
        return this;
    }

    @Override
    public void init(int mss) {
        this.mss = mss;
        this.cw = (double) NewReno.initialWindow(mss) / mss;
    }

    @Override
    public void setMss(int mss) {
        if (mss > 0 && mss != this.mss) {
            double bytes = cw * this.mss;
            this.mss = mss;
            cw = Math.max(bytes / mss, 1);
        }
    }

    @Override
    public int cwnd() {
        return (int) Math.min(cw * mss, 1 << 30);
    }

    @Override
    public int ssthresh() {
        return ssth >= (1 << 30) ? Integer.MAX_VALUE : (int) Math.min(ssth * mss, Integer.MAX_VALUE);
    }

    /** W_max in segments (for tests and {@code ss}-style output). */
    public double wMax() {
        return wMax;
    }

    /** K in seconds for the current epoch. */
    public double k() {
        return k;
    }

    /** RFC 9438 §4.2 eq. 1, in segments, {@code t} in seconds. */
    public double wCubic(double t) {
        double d = t - k;
        return C * d * d * d + wMax;
    }

    @Override
    public void onAck(int acked, int flight, long rttNanos, long now) {
        if (rttNanos > 0) {
            srtt = srtt == 0 ? rttNanos : (7 * srtt + rttNanos) / 8;
        }
        double segs = (double) acked / mss;
        if (cw < ssth) {
            // RFC 5681 §3.1 slow start with RFC 3465 L = 2·SMSS (RFC 9438 §4.10)
            cw = Math.min(cw + Math.min(segs, 2.0), 1 << 20);
            return;
        }
        if (epochStart < 0) {
            // RFC 9438 §4.2: a new congestion-avoidance stage begins
            epochStart = now;
            cwndEpoch = cw;
            if (wMax <= cw) {
                // §4.8: after a timeout (or when cwnd is already past W_max) K = 0, W_max = cwnd
                wMax = cw;
                k = 0;
            } else {
                k = Math.cbrt((wMax - cwndEpoch) / C); // §4.2 eq. 2
            }
            wEst = cwndEpoch;
        }
        double t = (now - epochStart) / 1e9;
        double rtt = srtt / 1e9;
        // §4.3 Reno-friendly region: W_est grows by α_cubic per window acked (1 once past W_max)
        wEst += (wEst < wMax ? ALPHA : 1.0) * segs / cw;
        double wc = wCubic(t);
        if (wc < wEst) {
            cw = wEst; // §4.3: cwnd = W_est
        } else {
            // §4.4 (concave) / §4.5 (convex): target = W_cubic(t + RTT), clamped to [cwnd, 1.5·cwnd]
            double target = wCubic(t + rtt);
            if (target < cw) {
                target = cw;
            } else if (target > 1.5 * cw) {
                target = 1.5 * cw;
            }
            cw += (target - cw) / cw * segs;
        }
        cw = Math.min(cw, 1 << 20);
    }

    /** RFC 9438 §4.6 multiplicative decrease with §4.7 fast convergence; returns the new ssthresh. */
    private void reduce() {
        savePrior();
        epochStart = -1;
        if (fastConvergence && cw < wMax) {
            wMax = cw * (1 + BETA) / 2;
        } else {
            wMax = cw;
        }
        ssth = Math.max(cw * BETA, 2.0);
    }

    @Override
    public void onEnterRecovery(int flight) {
        // NewReno recovery (no SACK): RFC 5681 §3.2 step 3 inflation on top of §4.6's ssthresh
        reduce();
        cw = ssth + 3;
    }

    @Override
    public void onEnterSackRecovery(int flight) {
        // RFC 6675 §5 (4.2) with RFC 9438 §4.6's β: cwnd = ssthresh, no inflation
        reduce();
        cw = ssth;
    }

    @Override
    public void onDupAckInRecovery() {
        cw = Math.min(cw + 1, 1 << 20);
    }

    @Override
    public void onPartialAck(int acked) {
        double a = (double) acked / mss;
        cw = Math.max(1, cw - a + (acked >= mss ? 1 : 0)); // RFC 6582 §3.2 step 3
    }

    @Override
    public void onExitRecovery(int flight) {
        // RFC 6582 §3.2 step 3 option (1); RFC 9438 §4.6 leaves cwnd at ssthresh
        cw = Math.min(ssth, Math.max((double) flight / mss, 1) + 1);
    }

    @Override
    public void onRto(int flight) {
        savePrior();
        // RFC 9438 §4.8: ssthresh by β like §4.6, cwnd = 1 SMSS (RFC 5681), and the next
        // congestion-avoidance stage starts with K = 0 and W_max = cwnd at its beginning
        epochStart = -1;
        ssth = Math.max(cw * BETA, 2.0);
        wMax = 0;
        cw = 1;
    }

    private void savePrior() {
        priorCw = cw;
        priorSsth = ssth;
        priorWMax = wMax;
    }

    @Override
    public void undo() {
        if (priorCw > 0) {
            // the reduction was spurious: back to the window and W_max before it, new epoch
            cw = Math.max(cw, priorCw);
            ssth = Math.max(ssth, priorSsth);
            wMax = priorWMax;
            epochStart = -1;
            priorCw = 0;
        }
    }

    @Override
    public void onIdleRestart() {
        // RFC 5681 §4.1 restart window; a new epoch begins at the next ACK
        cw = Math.min(cw, (double) NewReno.initialWindow(mss) / mss);
        epochStart = -1;
    }
}
