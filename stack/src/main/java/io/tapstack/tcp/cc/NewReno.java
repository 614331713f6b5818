package io.tapstack.tcp.cc;

/**
 * Reno congestion control with NewReno's recovery (RFC 5681, RFC 6582): slow start below
 * ssthresh, congestion avoidance above it (byte counting, RFC 3465 with L = 2·SMSS),
 * halving on loss, cwnd = 1 SMSS after a timeout.
 */
public final class NewReno implements CongestionControl {
    private int mss;
    private int cwnd;
    private int ssthresh = Integer.MAX_VALUE;
    /** Bytes acked in congestion avoidance since cwnd last grew (RFC 3465 §2.1). */
    private int bytesAcked;
    /** cwnd and ssthresh before the last reduction, for {@link #undo()}. */
    private int priorCwnd;
    private int priorSsthresh;

    @Override
    public String name() {
        return "newreno";
    }

    /** RFC 6928 §2: IW = min(10·MSS, max(2·MSS, 14600)). */
    public static int initialWindow(int mss) {
        return Math.min(10 * mss, Math.max(2 * mss, 14600));
    }

    @Override
    public void init(int mss) {
        this.mss = mss;
        this.cwnd = initialWindow(mss);
    }

    @Override
    public void setMss(int mss) {
        if (mss > 0 && mss != this.mss) {
            this.mss = mss;
            cwnd = Math.max(cwnd, mss);
        }
    }

    @Override
    public int cwnd() {
        return cwnd;
    }

    @Override
    public int ssthresh() {
        return ssthresh;
    }

    @Override
    public void onAck(int acked, int flight, long rttNanos, long now) {
        if (cwnd < ssthresh) {
            // RFC 5681 §3.1 slow start, with RFC 3465 ABC limit L = 2·SMSS
            cwnd = sat(cwnd + Math.min(acked, 2 * mss));
        } else {
            // RFC 5681 §3.1 congestion avoidance: one SMSS per cwnd of acked bytes
            bytesAcked += acked;
            if (bytesAcked >= cwnd) {
                bytesAcked -= cwnd;
                cwnd = sat(cwnd + mss);
            }
        }
    }

    @Override
    public void onEnterRecovery(int flight) {
        savePrior();
        // RFC 5681 §3.2 step 2 (eq. 4) and step 3
        ssthresh = Math.max(flight / 2, 2 * mss);
        cwnd = ssthresh + 3 * mss;
        bytesAcked = 0;
    }

    @Override
    public void onEnterSackRecovery(int flight) {
        savePrior();
        // RFC 6675 §5 (4.2): ssthresh = cwnd = FlightSize / 2
        ssthresh = Math.max(flight / 2, 2 * mss);
        cwnd = ssthresh;
        bytesAcked = 0;
    }

    @Override
    public void onDupAckInRecovery() {
        cwnd = sat(cwnd + mss);
    }

    @Override
    public void onPartialAck(int acked) {
        // RFC 6582 §3.2 step 3: deflate by the amount acked, add back one SMSS if ≥ SMSS acked
        cwnd = Math.max(mss, cwnd - acked + (acked >= mss ? mss : 0));
    }

    @Override
    public void onExitRecovery(int flight) {
        // RFC 6582 §3.2 step 3, option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS)
        cwnd = Math.min(ssthresh, Math.max(flight, mss) + mss);
    }

    @Override
    public void onRto(int flight) {
        savePrior();
        // RFC 5681 §3.1 eq. 4 and "LW = 1 SMSS"
        ssthresh = Math.max(flight / 2, 2 * mss);
        cwnd = mss;
        bytesAcked = 0;
    }

    @Override
    public void onIdleRestart() {
        cwnd = Math.min(cwnd, initialWindow(mss));
    }

    private void savePrior() {
        priorCwnd = cwnd;
        priorSsthresh = ssthresh;
    }

    @Override
    public void undo() {
        if (priorCwnd > 0) {
            cwnd = Math.max(cwnd, priorCwnd);
            ssthresh = Math.max(ssthresh, priorSsthresh);
            priorCwnd = 0;
        }
    }

    private static int sat(long v) {
        return (int) Math.min(v, 1 << 30);
    }
}
