package io.tapstack.tcp;

/**
 * The Eifel detection algorithm (RFC 3522) for retransmission timeouts: with timestamps, the
 * first acceptable ACK after a timeout tells whether the original transmission or the
 * retransmission arrived. If it echoes a timestamp older than the retransmission's, the original
 * got through and the timeout was spurious (a delay, not a loss); the response (RFC 4015) is the
 * {@link LossRecovery}'s. Pure: no clock, no allocation.
 */
final class EifelDetector {
    private boolean armed;
    /** RFC 3522 §3.2 RetransmitTS: the TSval of the first retransmission after the timeout. */
    private int retransmitTs;

    /** RFC 3522 §3.2 step (1): the first timeout of an episode retransmits with TSval {@code tsVal}. */
    void onFirstTimeout(int tsVal) {
        armed = true;
        retransmitTs = tsVal;
    }

    /** A later timeout of the same episode (or no timestamps): nothing to detect (the state to restore is gone). */
    void cancel() {
        armed = false;
    }

    boolean armed() {
        return armed;
    }

    /**
     * RFC 3522 §3.2 steps (2)–(3): the first acceptable ACK after the timeout (it advanced
     * SND.UNA) echoes {@code tsEcr} ({@code hasTs} false without a timestamp). True when the
     * timeout was spurious: the echo predates the retransmission. Detection ends either way.
     */
    boolean onAcceptableAck(boolean hasTs, int tsEcr) {
        if (!armed) {
            return false;
        }
        armed = false;
        return hasTs && tsEcr != 0 && tsEcr - retransmitTs < 0; // modulo 2^32 (RFC 7323 §5.2)
    }
}
