package io.tapstack.tcp;

/**
 * Loss detection and recovery of one connection's sender: which ACKs mean loss, when recovery
 * starts and ends, and what to retransmit next. The sender ({@link TcpSender}) and the input
 * state machine ({@link TcpInput}) report events in the order below; congestion control
 * ({@code tcp.cc}) is told by the implementation, which owns the recovery state.
 *
 * <p>{@link NewRenoSackRecovery}: NewReno (RFC 5681 §3.2, RFC 6582) without SACK, RFC 6675 with
 * it. {@link RackTlpRecovery} (the default with SACK): RFC 8985 RACK-TLP, whose reordering timer
 * and tail loss probe run on {@link #onLossTimer}, whose time-based marking (from the
 * {@link SegmentLog}) replaces {@link #onDuplicateAck}'s counting, and whose RFC 6937 PRR decides
 * in {@link #beforeSend}/{@link #afterSend} what recovery sends.
 *
 * <p>Called on the loop thread only; implementations allocate nothing per segment.
 */
interface LossRecovery {
    /** A connection (re)starts its send sequence space: RFC 6582 §3.2 step 1's "recover", SND.UNA. */
    void reset(int recoverPoint, int sndUna);

    /** SND.UNA advanced to {@code sndUna} (before the RTT sample of the same ACK is taken). */
    void onSndUnaAdvanced(int sndUna);

    /**
     * An ACK acknowledged new data ({@code dataAcked} octets of it; {@code flightBefore} was in
     * flight before it; {@code rttSample} in ns or -1): RFC 6582 §3.2 step 3 full or partial
     * acknowledgment, RFC 6675 §5 (A)/(B), or plain congestion avoidance.
     */
    void onNewAck(int ack, int dataAcked, int flightBefore, long rttSample, long now);

    /** A duplicate ACK (RFC 5681 §2, or with SACK one that SACKs new data). */
    void onDuplicateAck(int ack, long now);

    /**
     * After every acceptable ACK that left the connection open: {@code acked} is SEG.ACK − old
     * SND.UNA, {@code newSack} whether its SACK blocks covered new octets. Loss detection runs here.
     */
    void afterAck(int acked, boolean newSack, long now);

    /** The retransmission timer expired with data outstanding (RFC 6298 §5.4–5.7, RFC 6582 §4, RFC 6675 §5.1). */
    void onRetransmitTimeout();

    /** The loss timer expired; true if the connection should then deliver its readiness events. */
    boolean onLossTimer(long now);

    /**
     * Before the sender sends new data: retransmissions that take precedence (RFC 6675 §5 (C)
     * NextSeg rule 1). Returns the pipe estimate to send new data against, or -1 when the
     * ordinary window (cwnd − flight) applies.
     */
    int beforeSend(long now);

    /** After the sender sent new data with {@code pipe} from {@link #beforeSend} (grown by what it sent). */
    void afterSend(int pipe, long now);

    /** Extra segments that may be sent beyond cwnd now (RFC 3042 limited transmit). */
    int limitedTransmitSegments();

    /** The segment at {@code seq} was retransmitted now. */
    void onRetransmit(int seq, long now);

    /** The sender's go-back-N loop (after a timeout) resent up to {@code end}. */
    void onRetransmittedUpTo(int end);

    /**
     * The ACK being processed carries a D-SACK block [{@code l}, {@code r}) (RFC 2883 §4): the
     * peer received those octets twice. Called before the scoreboard update and {@link #afterAck}.
     */
    default void onDsack(int l, int r, long now) {
    }

    /**
     * RFC 4015 response to a timeout found spurious ({@link EifelDetector}), on the first ACK
     * after it: undo the timeout's congestion response, forget its loss marks and resume sending
     * new data (SND.NXT = SND.MAX) instead of going back N.
     */
    void onSpuriousTimeout();

    /** In fast recovery (NewReno) or an RFC 6675 loss-recovery phase. */
    boolean inRecovery();
}
