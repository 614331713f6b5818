package io.tapstack.tcp;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.lt;

/**
 * F-RTO (RFC 5682): detection of a spurious retransmission timeout on a connection without
 * timestamps (with them, {@link EifelDetector} answers sooner). After the timeout's
 * retransmission of SND.UNA is acknowledged, the sender transmits up to two new segments instead
 * of going back; if the next ACK then acknowledges data that was sent before the timeout and never
 * retransmitted, the original flight was not lost and the timeout was spurious. The response
 * (RFC 4015, via {@link LossRecovery#onSpuriousTimeout}) and the sending are the caller's; this
 * class holds the steps. Pure: no clock, no allocation.
 *
 * <p>With SACK negotiated the test of step 3 is the SACK-enhanced one (§3.1): data below
 * {@code recover} acknowledged cumulatively <em>or</em> SACKed, never-retransmitted, means
 * spurious; an ACK that only SACKs the two new segments means a real loss. Without SACK it is
 * the basic one (§2.1): the second ACK advances SND.UNA.
 */
final class FrtoDetector {
    /** What the caller does with the ACK just seen. */
    static final int NONE = 0;
    /** Step 2 b: send up to two new segments (SND.NXT = SND.MAX); if none can go, call {@link #cancel}. */
    static final int SEND_NEW = 1;
    /** Step 3 b: the timeout was spurious: RFC 4015 response. */
    static final int SPURIOUS = 2;
    /** Step 2 a / 3 a: a real timeout: go on with the conventional RTO recovery (go back to SND.UNA). */
    static final int REVERT = 3;

    private static final int OFF = 0;
    private static final int STEP2 = 1;
    private static final int STEP3 = 2;

    private int step;
    /** RFC 5682 "recover": the highest sequence number sent before the timeout (SND.MAX). */
    private int recover;
    /** End of the data the timeout retransmitted in step 1. */
    private int rtxEnd;

    /**
     * Step 1: the first timeout of an episode resent [SND.UNA, {@code rtxEnd}) with SND.MAX =
     * {@code recover}. A later timeout (RTO recovery already under way) calls {@link #cancel}.
     */
    void onFirstTimeout(int recover, int rtxEnd) {
        this.recover = recover;
        this.rtxEnd = rtxEnd;
        step = STEP2;
    }

    void cancel() {
        step = OFF;
    }

    boolean active() {
        return step != OFF;
    }

    /**
     * Steps 2 and 3 for one acceptable ACK: {@code ack} its cumulative acknowledgment,
     * {@code advanced} whether it moved SND.UNA, {@code duplicate} whether it is a duplicate ACK
     * (no data, SND.UNA unchanged), {@code sackedOriginal} whether it newly SACKed data below
     * {@code recover} that was never retransmitted. An ACK that is neither (a window update, data
     * the other way) changes nothing.
     */
    int onAck(int ack, boolean advanced, boolean duplicate, boolean sackedOriginal) {
        if (step == STEP2) {
            if (!advanced && !duplicate) {
                return NONE;
            }
            // 2 a: a duplicate ACK, an ACK covering recover (all was delivered: nothing to detect),
            // or one that does not cover the retransmission: the conventional recovery goes on
            if (!advanced || ge(ack, recover) || lt(ack, rtxEnd)) {
                step = OFF;
                return REVERT;
            }
            step = STEP3; // 2 b
            return SEND_NEW;
        }
        if (step == STEP3) {
            if (!advanced && !duplicate && !sackedOriginal) {
                return NONE;
            }
            step = OFF;
            // 3 b: data sent before the timeout and never resent got through: spurious;
            // 3 a: a duplicate ACK (with SACK: one for the new segments only): a real loss
            return advanced || sackedOriginal ? SPURIOUS : REVERT;
        }
        return NONE;
    }

    /** RFC 5682 "recover" of the current detection. */
    int recover() {
        return recover;
    }
}
