package io.tapstack.tcp;

import static io.tapstack.wire.SeqNum.gt;

/**
 * Round-trip time and retransmission timeout of one connection (RFC 6298): SRTT, RTTVAR and RTO
 * in nanoseconds, clamped to [min, max]; exponential backoff (§5.5); samples from timestamps
 * (RFC 7323 §4.1) or from one timed segment at a time under Karn's rule (RFC 6298 §3). Pure:
 * times are passed in; nothing allocates.
 */
final class RttEstimator {
    /** RFC 6298 §4: G, the clock granularity we assume (1 ms). */
    static final long CLOCK_GRANULARITY = 1_000_000L;
    /** RFC 6298 §5.7: the RTO after a SYN was retransmitted, at least 3 s. */
    static final long SYN_RETRANSMIT_RTO = 3_000_000_000L;

    /** RFC 6298 §2.4 / §2.5: the RTO's lower and upper bounds (one object shared by a stack's connections). */
    record Bounds(long minRto, long maxRto) {
    }

    private final Bounds bounds;
    private long srtt;
    private long rttvar;
    private long rto;
    /** Consecutive retransmission timeouts without progress (RFC 6298 §5.5 backoff count). */
    private short backoff; // at most TcpConfig.maxRetransmits: a short keeps this object 8 bytes smaller
    /** RFC 8985 §6.2 step 1 min_RTT: the minimum of two consecutive windows of samples. */
    static final long MIN_RTT_WINDOW = 10_000_000_000L;
    private long minRtt = Long.MAX_VALUE;
    private long minRttPrev = Long.MAX_VALUE;
    private long minRttStamp = Long.MIN_VALUE;
    // the one timed segment (RFC 6298 §3 with Karn's algorithm)
    private boolean timing;
    private int timedSeq;
    private long timedStart;

    RttEstimator(long initialRto, long minRto, long maxRto) {
        this(initialRto, new Bounds(minRto, maxRto));
    }

    RttEstimator(long initialRto, Bounds bounds) {
        this.rto = initialRto;
        this.bounds = bounds;
    }

    /** SRTT in nanoseconds, 0 before the first sample. */
    long srtt() {
        return srtt;
    }

    long rttvar() {
        return rttvar;
    }

    long rto() {
        return rto;
    }

    int backoff() {
        return backoff;
    }

    /** RFC 6298 §2.2–2.4 (with RFC 7323 Appendix G's per-sample use left to a later issue). */
    void sample(long r) {
        if (r < 0) {
            return;
        }
        if (srtt == 0) {
            srtt = Math.max(r, 1);
            rttvar = r / 2;
        } else {
            long delta = Math.abs(srtt - r);
            rttvar = (3 * rttvar + delta) / 4; // beta = 1/4
            srtt = Math.max(1, (7 * srtt + r) / 8); // alpha = 1/8
        }
        long k = Math.max(4 * rttvar, CLOCK_GRANULARITY); // G: 1 ms clock granularity
        rto = Math.min(Math.max(srtt + k, bounds.minRto()), bounds.maxRto());
    }

    /** A sample {@code r} taken at {@code now} for the windowed minimum (RFC 8985 §6.2 step 1). */
    void minRttSample(long r, long now) {
        if (r < 0) {
            return;
        }
        if (minRttStamp == Long.MIN_VALUE || now - minRttStamp > MIN_RTT_WINDOW) {
            minRttPrev = minRtt;
            minRtt = Long.MAX_VALUE;
            minRttStamp = now;
        }
        if (r < minRtt) {
            minRtt = r;
        }
    }

    /** min_RTT in ns, 0 before the first sample. */
    long minRtt() {
        long m = Math.min(minRtt, minRttPrev);
        return m == Long.MAX_VALUE ? 0 : m;
    }

    /**
     * RFC 7323 §4.1: a sample from the echoed timestamp of an ACK that acknowledged new data, in
     * the connection's TSval units (ms). Returns the sample in nanoseconds, or -1 when the echo
     * is implausible (negative or at least 10 minutes).
     */
    static long timestampSample(int tsNowMs, int tsEcr) {
        int ms = tsNowMs - tsEcr;
        return ms >= 0 && ms < 600_000 ? ms * 1_000_000L : -1;
    }

    /** Starts timing the segment at {@code seq} sent at {@code now}, unless one is timed already. */
    void startTiming(int seq, long now) {
        timing = true;
        timedSeq = seq;
        timedStart = now;
    }

    /** Times the handshake: the SYN (or SYN,ACK) sent at {@code now} (sampled with {@link #handshakeSample}). */
    void startHandshake(long now) {
        timedStart = now;
    }

    /** The handshake's sample, taken only when no SYN was retransmitted (Karn). */
    void handshakeSample(long now) {
        sample(now - timedStart);
    }

    boolean isTiming() {
        return timing;
    }

    /** Karn's rule (RFC 6298 §3): a retransmission makes the timed segment's sample ambiguous. */
    void stopTiming() {
        timing = false;
    }

    /**
     * An ACK of {@code ack} arrived at {@code now}: if it covers the timed segment, returns the
     * sample (and stops timing), else -1.
     */
    long timedSample(int ack, long now) {
        if (timing && gt(ack, timedSeq)) {
            timing = false;
            return now - timedStart;
        }
        return -1;
    }

    /** New data was acknowledged: the backoff ends (RFC 6298 §5.7's last paragraph). */
    void resetBackoff() {
        backoff = 0;
    }

    /** RFC 6298 §5.5: a retransmission timeout doubles the RTO (up to the maximum). */
    void backOff() {
        backoff++;
        rto = Math.min(rto * 2, bounds.maxRto());
    }

    /** A SYN retransmission doubles the RTO without counting as backoff (RFC 6298 §5.5). */
    void backOffSyn() {
        rto = Math.min(rto * 2, bounds.maxRto());
    }

    /** RFC 6298 §5.7: after a retransmitted SYN, the RTO once established is at least 3 s. */
    void synWasRetransmitted() {
        rto = Math.max(rto, SYN_RETRANSMIT_RTO);
    }
}
