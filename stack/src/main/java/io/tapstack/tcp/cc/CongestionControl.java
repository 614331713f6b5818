package io.tapstack.tcp.cc;

/**
 * The congestion-control algorithm of one connection (RFC 5681 §3, RFC 6582). TCP detects the
 * events (new ACKs, duplicate ACKs, partial ACKs, timeouts); the algorithm owns {@code cwnd}
 * and {@code ssthresh} (bytes) and decides how they move. One instance per connection,
 * called on the loop thread only.
 *
 * <p>Loss recovery's bookkeeping ("recover", the duplicate-ACK count, the RFC 6675 pipe and
 * scoreboard, which segment to resend) stays in TCP; {@link NewReno} and {@link Cubic}
 * (RFC 9438) implement this.
 */
public interface CongestionControl {
    String name();

    /** Sets the initial window (RFC 6928 / RFC 5681 §3.1) for a sender MSS. */
    void init(int mss);

    /** The sender MSS changed (path MTU discovery). */
    void setMss(int mss);

    int cwnd();

    int ssthresh();

    /**
     * A cumulative ACK acknowledged {@code acked} new bytes outside recovery;
     * {@code flight} is what was in flight before it, {@code rttNanos} a sample or -1.
     */
    void onAck(int acked, int flight, long rttNanos, long now);

    /** Three duplicate ACKs: fast retransmit begins (RFC 5681 §3.2 steps 2–3). */
    void onEnterRecovery(int flight);

    /**
     * RFC 6675 §5 step (4.2): SACK-based loss recovery begins. ssthresh and cwnd both become
     * the reduced window (no inflation: the pipe estimate replaces it).
     */
    void onEnterSackRecovery(int flight);

    /** A further duplicate ACK during recovery (RFC 5681 §3.2 step 4: inflate). */
    void onDupAckInRecovery();

    /** A partial ACK of {@code acked} bytes during recovery (RFC 6582 §3.2 step 3). */
    void onPartialAck(int acked);

    /** The ACK covering "recover" ends recovery (RFC 6582 §3.2 step 3, full ACK). */
    void onExitRecovery(int flight);

    /**
     * RFC 3168 §6.1.2: the peer echoed congestion (ECE), at most once per window: reduce as for a
     * loss (ssthresh and cwnd to the reduced window, RFC 9438 §4.6's β for CUBIC), but nothing is
     * retransmitted and no recovery phase begins.
     */
    default void onEcnEcho(int flight) {
        onEnterSackRecovery(flight);
    }

    /** Retransmission timeout (RFC 5681 §3.1 eq. 4; cwnd to the loss window). */
    void onRto(int flight);

    /** Restart after an idle period longer than the RTO (RFC 5681 §4.1). */
    void onIdleRestart();

    /**
     * The last reduction (recovery or timeout) was caused by spurious retransmissions only (every
     * one of them reported by D-SACK, RFC 2883 §5 / RFC 3708): restore cwnd and ssthresh to at
     * least what they were before it (the response of RFC 4015 §3.2 and of Linux's undo).
     */
    void undo();
}
