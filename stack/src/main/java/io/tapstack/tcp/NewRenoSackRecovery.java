package io.tapstack.tcp;

import io.tapstack.tcp.cc.CongestionControl;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.lt;

/**
 * Loss recovery as RFC 5681 §3.2 / RFC 6582 (NewReno) describe it without SACK, and as RFC 6675
 * does with SACK, plus two time-based refinements from RFC 8985 §6.2's idea: a reordering-window
 * loss timer (un-SACKed data below data SACKed a reordering window ago is lost) and detection of
 * a lost retransmission of the first hole. "recover" is RFC 6675's RecoveryPoint.
 */
final class NewRenoSackRecovery implements LossRecovery {
    private static final int DUP_THRESH = SackScoreboard.DUP_THRESH;

    private final TcpConnection c;
    private final Tcp tcp;
    private final CongestionControl cc;
    private int dupAcks;
    private boolean inRecovery;
    private int recover;
    /** RFC 6675 loss recovery (SACK negotiated) rather than NewReno's. */
    private boolean sackRecovery;
    /**
     * RFC 6675 HighRxt as an exclusive end: every un-SACKed octet below it was resent in this
     * recovery (or, after a timeout, since it, RFC 6675 §5.1).
     */
    private int highRxt;
    /** RFC 6675 RescueRxt (exclusive end), valid when {@link #rescueValid}. */
    private int rescueRxt;
    private boolean rescueValid;
    /** When the segment at SND.UNA was last resent (0 = not resent); see {@link #headRetransmissionLost}. */
    private long headRxtTime;
    /**
     * Reordering-window loss detection (the time-based idea of RFC 8985 §6.2 for data sent
     * once, where sequence order is send order): un-SACKed octets below {@link #timedLostEdge}
     * count as lost, because data above them was SACKed at least a reordering window ago.
     * {@link #reoCandidate} is the highest SACKed octet when the loss timer was armed.
     */
    private int timedLostEdge;
    private int reoCandidate;

    NewRenoSackRecovery(TcpConnection c) {
        this.c = c;
        this.tcp = c.tcp;
        this.cc = c.cc;
    }

    @Override
    public void reset(int recoverPoint, int sndUna) {
        recover = recoverPoint;
        highRxt = sndUna;
        timedLostEdge = sndUna;
    }

    @Override
    public boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public void onSndUnaAdvanced(int sndUna) {
        if (!lt(sndUna, highRxt)) {
            highRxt = sndUna;
        }
        if (!lt(sndUna, timedLostEdge)) {
            timedLostEdge = sndUna; // kept near SND.UNA so that sequence wrap never revives it
        }
    }

    @Override
    public void onNewAck(int ack, int dataAcked, int flightBefore, long rttSample, long now) {
        TcpSender snd = c.snd;
        // the new first hole, if already resent, was resent no later than now
        headRxtTime = lt(snd.una, highRxt) ? now : 0;
        if (inRecovery) {
            if (ge(ack, recover)) {
                // RFC 6582 §3.2 step 3 / RFC 6675 §5 (A): full acknowledgment ends recovery;
                // the scoreboard above SND.UNA is kept
                inRecovery = false;
                sackRecovery = false;
                dupAcks = 0;
                cc.onExitRecovery(snd.max - snd.una);
                c.traceEvent(TcpTrace.Event.RECOVERY_EXIT, snd.una, recover);
            } else if (sackRecovery) {
                // RFC 6675 §5 (B): a partial ACK; output() runs SetPipe and (C) afterwards
                tcp.counters.inc(TcpCounter.PARTIAL_ACKS);
            } else {
                // RFC 6582 §3.2 step 3: partial acknowledgment: resend the next hole
                tcp.counters.inc(TcpCounter.PARTIAL_ACKS);
                cc.onPartialAck(dataAcked);
                snd.retransmitFirst();
            }
        } else {
            dupAcks = 0;
            cc.onAck(dataAcked, flightBefore, rttSample, now);
        }
    }

    @Override
    public void onDuplicateAck(int ack, long now) {
        TcpSender snd = c.snd;
        dupAcks++;
        tcp.counters.inc(TcpCounter.DUP_ACKS);
        if (inRecovery) {
            if (!sackRecovery) {
                cc.onDupAckInRecovery(); // RFC 5681 §3.2 step 4
            }
        } else if (!c.sackOk && dupAcks == DUP_THRESH && gt(ack, recover)) {
            // RFC 5681 §3.2 steps 2–3, entered only when the ACK covers more than
            // "recover" (RFC 6582 §3.2 step 2)
            inRecovery = true;
            recover = snd.max;
            tcp.counters.inc(TcpCounter.FAST_RETRANSMITS);
            tcp.counters.inc(TcpCounter.RECOVERY_EPISODES);
            cc.onEnterRecovery(snd.max - snd.una);
            c.traceEvent(TcpTrace.Event.RECOVERY_ENTER, snd.una, recover);
            c.rtt.stopTiming();
            snd.retransmitFirst();
            c.timers.armRetransmit(c.rtt.rto());
        }
    }

    @Override
    public void afterAck(int acked, boolean newSack, long now) {
        TcpSender snd = c.snd;
        if (c.sackOk && !c.scoreboard.isEmpty() && !c.timers.lossTimerScheduled()) {
            int high = c.scoreboard.highestSacked();
            if (gt(high, timedLostEdge) || !lt(snd.una, timedLostEdge)) {
                reoCandidate = high;
                c.timers.armLossTimer(now + reorderWindow());
            }
        }
        if (c.sackOk && snd.max != snd.una) {
            if (acked == 0 && newSack && headRetransmissionLost(now)) {
                tcp.counters.inc(TcpCounter.LOST_RETRANSMITS);
                snd.retransmitAt(snd.una, c.scoreboard.sackedStartAfter(snd.una, snd.max), now);
            }
            // RFC 6675 §5: enter recovery on DupThresh duplicates (step 1) or IsLost(HighACK+1)
            // (step 2) — checked on every ACK, as the scoreboard may show loss above a partial
            // advance — unless a previous recovery (or timeout, §5.1) has not yet passed RecoveryPoint
            if (!inRecovery && snd.nxt == snd.max && ge(snd.una, recover)
                    && (dupAcks >= DUP_THRESH || lt(snd.una, lostEdge()))) {
                enterSackRecovery(now);
            }
        }
    }

    /** RFC 6675 §5 step (4): fast retransmit and loss recovery with the pipe estimate. */
    private void enterSackRecovery(long now) {
        TcpSender snd = c.snd;
        inRecovery = true;
        sackRecovery = true;
        recover = snd.max; // (4.1) RecoveryPoint = HighData
        tcp.counters.inc(TcpCounter.FAST_RETRANSMITS);
        tcp.counters.inc(TcpCounter.RECOVERY_EPISODES);
        tcp.counters.inc(TcpCounter.SACK_RECOVERY_EPISODES);
        cc.onEnterSackRecovery(snd.max - snd.una); // (4.2)
        c.traceEvent(TcpTrace.Event.RECOVERY_ENTER, snd.una, recover);
        c.rtt.stopTiming();
        // (4.3) resend HighACK+1; HighRxt and RescueRxt to its end
        highRxt = snd.una;
        int n = snd.retransmitAt(snd.una, c.scoreboard.sackedStartAfter(snd.una, snd.max), now);
        highRxt = snd.una + n;
        rescueRxt = highRxt;
        rescueValid = true;
        tcp.counters.inc(TcpCounter.SACK_HOLES_RETRANSMITTED);
        c.timers.armRetransmit(c.rtt.rto());
        // (4.4)–(4.5): output() runs SetPipe and step (C) after this ACK
    }

    /**
     * The retransmission of the segment at SND.UNA is presumed lost: the ACK SACKs new data
     * and arrives more than an RTT (+ a quarter, at least 1 ms, for reordering) after that
     * retransmission, so it acknowledges data sent after it (the time-based idea of RFC 8985
     * §6.2, applied to the first hole only). Without this, a lost retransmission waits for the RTO.
     */
    private boolean headRetransmissionLost(long now) {
        long srtt = c.rtt.srtt();
        if (headRxtTime == 0 || !lt(c.snd.una, highRxt) || srtt == 0) {
            return false;
        }
        return now - headRxtTime > srtt + Math.max(srtt >> 2, 1_000_000L);
    }

    /** RFC 6675 §4 IsLost as an edge, raised by the reordering-window edge. */
    private int lostEdge() {
        TcpSender snd = c.snd;
        return c.scoreboard.lostEdge(snd.una, snd.max, snd.mss, timedLostEdge);
    }

    /** RFC 8985 §6.2 reo_wnd: a quarter of the smoothed RTT, at least 1 ms (clock granularity). */
    private long reorderWindow() {
        return Math.max(c.rtt.srtt() >> 2, 1_000_000L);
    }

    /**
     * The reordering window has passed since {@link #reoCandidate} was SACKed: un-SACKed data
     * below it is lost; enter RFC 6675 recovery (or let it resend the holes) now rather than wait
     * for DupThresh SACKed segments that a small window may never produce.
     */
    @Override
    public boolean onLossTimer(long now) {
        TcpSender snd = c.snd;
        if (!c.sackOk || !c.state.synchronized_() || c.state == TcpState.TIME_WAIT || snd.una == snd.max) {
            return false;
        }
        if (gt(reoCandidate, timedLostEdge) || !lt(snd.una, timedLostEdge)) {
            timedLostEdge = reoCandidate;
        }
        if (!c.scoreboard.isEmpty() && gt(c.scoreboard.highestSacked(), timedLostEdge)) {
            reoCandidate = c.scoreboard.highestSacked(); // SACKed since: another window
            c.timers.armLossTimer(now + reorderWindow());
        }
        if (!lt(snd.una, timedLostEdge)) {
            return false;
        }
        if (!inRecovery && snd.nxt == snd.max && ge(snd.una, recover) && lt(snd.una, lostEdge())) {
            tcp.counters.inc(TcpCounter.REORDER_WINDOW_LOSSES);
            enterSackRecovery(now);
        }
        if (inRecovery && sackRecovery) {
            snd.output();
        }
        return true;
    }

    @Override
    public void onRetransmitTimeout() {
        TcpSender snd = c.snd;
        cc.onRto(snd.max - snd.una);
        inRecovery = false;
        sackRecovery = false;
        dupAcks = 0;
        // RFC 6582 §4; RFC 6675 §5.1: RecoveryPoint = HighData, no new recovery before it is
        // acknowledged; meanwhile the un-SACKed data is resent in order (HighRxt tracks it)
        recover = snd.max;
        highRxt = snd.una;
        headRxtTime = 0;
    }

    @Override
    public void onSpuriousTimeout() {
        // RFC 4015: undo the timeout's reduction and resume with new data, no go-back-N
        TcpSender snd = c.snd;
        cc.undo();
        recover = snd.una;
        snd.nxt = snd.max;
        c.traceEvent(TcpTrace.Event.UNDO, snd.una, snd.max);
    }

    @Override
    public int beforeSend(long now) {
        // RFC 6675 §5 (B.2) SetPipe and (C) NextSeg rule 1 (lost holes) before rule 2 (new data)
        if (inRecovery && sackRecovery) {
            TcpSender snd = c.snd;
            return sackRetransmit(c.scoreboard.pipe(snd.una, snd.max, lostEdge(), highRxt), true, now);
        }
        return -1;
    }

    @Override
    public void afterSend(int pipe, long now) {
        if (pipe >= 0) {
            sackRetransmit(pipe, false, now); // NextSeg rules 3 and 4 once rule 2 has nothing
        }
    }

    @Override
    public int limitedTransmitSegments() {
        // RFC 3042 limited transmit: one new segment for each of the first two duplicate ACKs
        TcpSender snd = c.snd;
        return !inRecovery && dupAcks > 0 && dupAcks < 3 && snd.nxt == snd.max ? dupAcks : 0;
    }

    @Override
    public void onRetransmit(int seq, long now) {
        if (seq == c.snd.una) {
            headRxtTime = now;
        }
    }

    @Override
    public void onRetransmittedUpTo(int end) {
        if (gt(end, highRxt)) {
            highRxt = end;
        }
    }

    /**
     * RFC 6675 §5 step (C) with NextSeg (§4): while cwnd − pipe ≥ 1 SMSS, resend the first
     * un-SACKed segment above HighRxt that IsLost (rule 1); with {@code lostOnly} false (rule 2,
     * new data, found nothing) also one that merely lies below the highest SACKed octet (rule 3),
     * then one rescue retransmission per recovery (rule 4). Returns the updated pipe.
     */
    private int sackRetransmit(int pipe, boolean lostOnly, long now) {
        TcpSender snd = c.snd;
        int cwnd = cc.cwnd();
        int limit = lostOnly ? lostEdge() : (!c.scoreboard.isEmpty() ? c.scoreboard.highestSacked() : snd.una);
        int guard = 0;
        while (cwnd - pipe >= snd.mss && guard++ < 10_000) {
            int s = c.scoreboard.firstUnsackedFrom(gt(highRxt, snd.una) ? highRxt : snd.una);
            if (lt(s, limit)) {
                // rule 1 (or 3): one segment up to SMSS from S2, stopping at the next SACKed range
                int n = snd.retransmitAt(s, c.scoreboard.sackedStartAfter(s, snd.max), now);
                if (n <= 0) {
                    break;
                }
                highRxt = s + n; // (C.2)
                pipe += n; // (C.4)
                tcp.counters.inc(TcpCounter.SACK_HOLES_RETRANSMITTED);
                continue;
            }
            if (!lostOnly && (!rescueValid || gt(snd.una, rescueRxt))) {
                // rule 4: one rescue retransmission per recovery, ending at the highest
                // outstanding un-SACKed octet; HighRxt is not updated
                int top = c.scoreboard.rescueTop(snd.max);
                if (!gt(top, snd.una)) {
                    break;
                }
                int start = c.scoreboard.rescueStart(top, Math.min(top - snd.una, Math.max(1, snd.mss - c.rcv.sackRoom())));
                rescueRxt = recover;
                rescueValid = true;
                int n = snd.retransmitAt(start, top, now);
                if (n > 0) {
                    pipe += n;
                    tcp.counters.inc(TcpCounter.SACK_RESCUE_RETRANSMITS);
                }
            }
            break;
        }
        return pipe;
    }
}
