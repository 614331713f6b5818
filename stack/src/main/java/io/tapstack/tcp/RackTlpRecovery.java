package io.tapstack.tcp;

import io.tapstack.tcp.cc.CongestionControl;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.lt;

/**
 * RACK-TLP loss detection (RFC 8985) with Proportional Rate Reduction (RFC 6937) and D-SACK undo,
 * for connections with SACK: the default {@link LossRecovery} ({@link TcpConfig#lossRecovery}).
 *
 * <ul>
 * <li>RACK (§6): a segment is lost when a segment sent after it was delivered and
 *     {@code RACK.rtt + RACK.reo_wnd} has passed since it was sent; the per-segment transmit
 *     times are the {@link SegmentLog}'s (loop clock, ns). The reordering window (§6.2 step 4) is
 *     0 until reordering is seen (then in recovery, or with DupThresh segments SACKed, losses are
 *     marked at once, RFC 6675's rule), else min_RTT/4 × a multiplier that D-SACKs raise, capped
 *     at SRTT. Marks that must wait arm the reordering timer.</li>
 * <li>TLP (§7): with data outstanding and not in recovery, a probe timeout of 2·SRTT (+ the
 *     worst-case delayed ACK when one segment is in flight, + 2 ms for the 1 ms timer wheel),
 *     never past the RTO, sends one new segment if the window allows, else resends the last
 *     one, so a lost tail is found by SACK/RACK instead of an RTO. A probe that repaired a loss
 *     (§7.4) reduces cwnd once.</li>
 * <li>Recovery: entered when RACK marks a loss (cc reduction as RFC 6675 (4.2)); each ACK then
 *     sends what PRR allows (RFC 6937 §3, PRR-SSRB below ssthresh), lost segments first, then
 *     new data; it ends when SND.UNA reaches the recovery point. After an RTO, the sender's
 *     go-back-N resends un-SACKed data (RFC 6675 §5.1, as RFC 8985 §6.3 defers to).</li>
 * <li>D-SACK (RFC 2883): a duplicate reported for data sent since the last reduction counts a
 *     spurious retransmission; when all of an episode's retransmissions were spurious, the
 *     reduction is undone ({@link CongestionControl#undo}).</li>
 * </ul>
 * Nothing here allocates after construction.
 */
final class RackTlpRecovery implements LossRecovery {
    /** RFC 8985 §7.2 WCDelAckT: worst-case delayed-ACK time of the peer (200 ms). */
    static final long WC_DEL_ACK = 200_000_000L;
    /** Added to every PTO: two ticks of the 1 ms timer wheel (like Linux's TCP_TIMEOUT_MIN). */
    static final long PTO_SLACK = 2_000_000L;
    /** RFC 8985 §6.2 step 4: reo_wnd_persist. */
    private static final int REO_WND_PERSIST = 16;

    private enum TimerMode { NONE, REORDER, PROBE }

    private final TcpConnection c;

    private boolean inRecovery;
    /** RecoveryPoint: no new reduction before SND.UNA passes it (RFC 6675 §5, RFC 6582). */
    private int recover;
    private int dupAcks;

    // ---- RACK state (RFC 8985 §6.1)
    private boolean rackValid;
    private long rackXmit;
    private int rackEnd;
    private long rackRtt;
    private int reoWndMult = 1;
    private int reoWndPersist = REO_WND_PERSIST;
    private boolean dsackRoundValid;
    private int dsackRound;
    private TimerMode timerMode = TimerMode.NONE;

    // ---- TLP (RFC 8985 §7)
    private boolean tlpValid;
    private int tlpEndSeq;
    private boolean tlpIsRetrans;
    private boolean tlpDsacked;
    private int maxBeforeSend;
    /** Data in flight when the probe was sent (the tail's FlightSize, §7.4's congestion response). */
    private int tlpFlight;

    // ---- PRR (RFC 6937 §3)
    private long prrDelivered;
    private long prrOut;
    private int recoverFs;
    private int lastDelivered;
    private int sackedBefore;
    private boolean forceOne;
    private int prrPipe = -1;

    // ---- undo (D-SACK)
    private boolean undoValid;
    private int undoMarker;
    private int undoEnd;
    private int undoRetrans;

    RackTlpRecovery(TcpConnection c) {
        this.c = c;
    }

    @Override
    public void reset(int recoverPoint, int sndUna) {
        recover = recoverPoint;
    }

    @Override
    public boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public void onSndUnaAdvanced(int sndUna) {
        // RFC 8985 §6.2 step 4: a D-SACK round ends when SND.UNA passes it
        if (dsackRoundValid && ge(sndUna, dsackRound)) {
            dsackRoundValid = false;
        }
    }

    @Override
    public void onNewAck(int ack, int dataAcked, int flightBefore, long rttSample, long now) {
        dupAcks = 0;
        if (inRecovery) {
            if (ge(ack, recover)) {
                exitRecovery();
            } else {
                c.tcp.counters.inc(TcpCounter.PARTIAL_ACKS); // RFC 6675 §5 (B): PRR sends in beforeSend
            }
        } else {
            c.cc.onAck(dataAcked, flightBefore, rttSample, now);
        }
    }

    private void exitRecovery() {
        inRecovery = false;
        // RFC 6937 §3: at the end of recovery cwnd = ssthresh (the algorithms' own rule)
        c.cc.onExitRecovery(c.snd.max - c.snd.una);
        c.traceEvent(TcpTrace.Event.RECOVERY_EXIT, c.snd.una, recover);
        if (--reoWndPersist <= 0) {
            reoWndMult = 1; // RFC 8985 §6.2 step 4
            reoWndPersist = REO_WND_PERSIST;
        }
    }

    @Override
    public void onDuplicateAck(int ack, long now) {
        dupAcks++;
        c.tcp.counters.inc(TcpCounter.DUP_ACKS);
    }

    @Override
    public int limitedTransmitSegments() {
        // RFC 3042 limited transmit (RFC 8985 §4 keeps it): one new segment per early duplicate
        TcpSender snd = c.snd;
        return !inRecovery && dupAcks > 0 && dupAcks < 3 && snd.nxt == snd.max ? dupAcks : 0;
    }

    /** RFC 8985 §6.2 step 4: the reordering window. */
    long reoWnd() {
        if (!c.log.reorderingSeen && (inRecovery || c.log.sackedSegments() >= SackScoreboard.DUP_THRESH)) {
            return 0;
        }
        long srtt = c.rtt.srtt();
        return Math.min(c.rtt.minRtt() / 4 * reoWndMult, srtt);
    }

    /** The ACK's D-SACK block [l, r) (RFC 2883), before {@link #afterAck}. */
    @Override
    public void onDsack(int l, int r, long now) {
        TcpSender snd = c.snd;
        // RFC 8985 §6.2 step 4: grow the reordering window once per round that sees a D-SACK
        if (!dsackRoundValid) {
            dsackRoundValid = true;
            dsackRound = snd.max;
            reoWndMult++;
            reoWndPersist = REO_WND_PERSIST;
        }
        // RFC 8985 §7.4: the probe's retransmission was a duplicate: no loss was repaired
        if (tlpValid && tlpIsRetrans && r == tlpEndSeq) {
            tlpDsacked = true;
        }
        // RFC 3708 §3: a duplicate of data retransmitted since the last reduction (below SND.UNA
        // the record is gone: taken as retransmitted, as Linux does; above it the record says)
        int f = c.log.flagsAt(l);
        boolean retransmitted = lt(l, snd.una) || (f >= 0 && (f & SegmentLog.RETRANS) != 0);
        if (retransmitted && undoValid && ge(l, undoMarker) && lt(l, undoEnd) && undoRetrans > 0) {
            c.tcp.counters.inc(TcpCounter.SPURIOUS_RETRANSMITS);
            if (--undoRetrans == 0) {
                undoValid = false;
                c.tcp.counters.inc(TcpCounter.CWND_UNDOS);
                c.cc.undo();
                c.traceEvent(TcpTrace.Event.UNDO, l, r);
                if (inRecovery) {
                    inRecovery = false; // every retransmission was spurious: nothing was lost
                    recover = snd.una;
                }
            }
        }
    }

    @Override
    public void afterAck(int acked, boolean newSack, long now) {
        TcpSender snd = c.snd;
        // RFC 8985 §6.2 step 2: RACK.xmit_ts/end_seq from the most recently sent segment delivered
        if (c.log.delivered && (!rackValid || SegmentLog.sentAfter(c.log.deliveredXmit, c.log.deliveredEnd, rackXmit, rackEnd))) {
            rackValid = true;
            rackXmit = c.log.deliveredXmit;
            rackEnd = c.log.deliveredEnd;
            rackRtt = Math.max(0, now - c.log.deliveredXmit);
        }
        tlpProcessAck(snd);
        // RFC 6937: DeliveredData = ΔSND.UNA + ΔSACKed
        int sacked = c.scoreboard.isEmpty() ? 0 : c.scoreboard.sackedBytesIn(snd.una, snd.max);
        lastDelivered = Math.max(0, acked + sacked - sackedBefore);
        sackedBefore = sacked;
        if (inRecovery) {
            prrDelivered += lastDelivered;
        }
        if (snd.una == snd.max) {
            return;
        }
        detectLossAndArm(now);
        if (!inRecovery && timerMode != TimerMode.REORDER) {
            armProbe(now);
        }
    }

    /** RFC 8985 §6.2 step 5 and the reordering timer; enters recovery on a new loss. */
    private void detectLossAndArm(long now) {
        if (!rackValid || c.scoreboard.isEmpty()) {
            if (timerMode == TimerMode.REORDER) {
                timerMode = TimerMode.NONE;
            }
            return; // nothing above a hole was delivered: no segment was sent before a delivered one
        }
        long timeout = c.log.detectLoss(now, rackXmit, rackEnd, rackRtt, reoWnd());
        if (c.log.newlyLost > 0) {
            c.tcp.counters.add(TcpCounter.RACK_MARKED_LOST, c.log.newlyLost);
            maybeEnterRecovery();
        }
        if (timeout > 0) {
            timerMode = TimerMode.REORDER;
            c.timers.armLossTimer(now + timeout);
        } else if (timerMode == TimerMode.REORDER) {
            timerMode = TimerMode.NONE;
        }
    }

    /** A loss was detected: fast recovery unless one is running or a timeout's has not ended. */
    private void maybeEnterRecovery() {
        TcpSender snd = c.snd;
        if (inRecovery || !ge(snd.una, recover) || snd.nxt != snd.max) {
            return;
        }
        inRecovery = true;
        recover = snd.max; // RFC 6675 (4.1) RecoveryPoint = HighData
        c.tcp.counters.inc(TcpCounter.FAST_RETRANSMITS);
        c.tcp.counters.inc(TcpCounter.RECOVERY_EPISODES);
        c.tcp.counters.inc(TcpCounter.SACK_RECOVERY_EPISODES);
        int flight = snd.max - snd.una;
        c.cc.onEnterSackRecovery(flight); // RFC 6675 (4.2) with the algorithm's β
        c.rtt.stopTiming();
        // RFC 6937 §3 initialisation; this ACK's delivered data counts
        recoverFs = flight;
        prrDelivered = lastDelivered;
        prrOut = 0;
        forceOne = true; // the fast retransmit itself (RFC 6937 §3: "sndcnt ... at least one")
        startUndo(snd.una, snd.max);
        tlpValid = false;
        c.traceEvent(TcpTrace.Event.RECOVERY_ENTER, snd.una, recover);
    }

    /** Retransmissions of [from, to) from now on are counted; D-SACKs for all of them undo the reduction. */
    private void startUndo(int from, int to) {
        undoValid = true;
        undoMarker = from;
        undoEnd = to;
        undoRetrans = 0;
    }

    /** RFC 8985 §7.4: did the probe repair a loss? */
    private void tlpProcessAck(TcpSender snd) {
        if (!tlpValid || lt(snd.una, tlpEndSeq)) {
            return;
        }
        if (!tlpIsRetrans || tlpDsacked) {
            tlpValid = false; // new data delivered, or the probe was a duplicate: no loss
        } else if (gt(snd.una, tlpEndSeq) || snd.una == snd.max) {
            // the probe alone repaired the tail: one congestion response, no RTO
            tlpValid = false;
            c.tcp.counters.inc(TcpCounter.TLP_RECOVERIES);
            if (!inRecovery) {
                c.cc.onEnterSackRecovery(tlpFlight);
                startUndo(tlpEndSeq - tlpFlight, tlpEndSeq);
                undoRetrans = 1; // the probe
                recover = snd.max;
            }
        }
    }

    /** RFC 8985 §7.2: arm the probe timeout while data is outstanding and no probe is. */
    private void armProbe(long now) {
        TcpSender snd = c.snd;
        if (tlpValid || snd.una == snd.max || !c.state.synchronized_() || c.rtt.backoff() > 0
                || c.timers.mode() != TcpTimers.Mode.RETRANSMIT) {
            return;
        }
        long srtt = c.rtt.srtt();
        long pto;
        if (srtt > 0) {
            pto = 2 * srtt + PTO_SLACK;
            if (snd.max - snd.una <= snd.mss) {
                pto += WC_DEL_ACK;
            }
        } else {
            pto = 1_000_000_000L;
        }
        long rtoAt = c.timers.retransmitDeadline();
        if (now + pto >= rtoAt) {
            return; // the RTO comes first (§7.2: PTO never past the RTO)
        }
        timerMode = TimerMode.PROBE;
        c.timers.armLossTimer(now + pto);
    }

    @Override
    public boolean onLossTimer(long now) {
        TcpSender snd = c.snd;
        TimerMode m = timerMode;
        timerMode = TimerMode.NONE;
        if (!c.state.synchronized_() || c.state == TcpState.TIME_WAIT || snd.una == snd.max) {
            return false;
        }
        if (m == TimerMode.REORDER) {
            c.tcp.counters.inc(TcpCounter.RACK_REORDER_TIMEOUTS);
            detectLossAndArm(now);
            if (inRecovery) {
                snd.output();
            }
            return true;
        }
        if (m == TimerMode.PROBE && !inRecovery && !tlpValid) {
            sendProbe(now);
            return true;
        }
        return false;
    }

    /** RFC 8985 §7.3 TLP_send_probe. */
    private void sendProbe(long now) {
        TcpSender snd = c.snd;
        int n = snd.sendNewSegment(now);
        if (n > 0) {
            tlpIsRetrans = false;
            c.tcp.counters.inc(TcpCounter.TLP_NEW_DATA_PROBES);
        } else {
            int end = snd.max;
            int len = Math.min(Math.max(1, snd.mss - c.rcv.sackRoom()), end - snd.una);
            n = snd.retransmitAt(end - len, end, now);
            tlpIsRetrans = true;
            tlpDsacked = false;
        }
        if (n > 0) {
            c.tcp.counters.inc(TcpCounter.TLP_PROBES);
            c.traceEvent(TcpTrace.Event.TLP, snd.max - n, snd.max);
            tlpValid = true;
            tlpEndSeq = snd.max; // TLP.end_seq = SND.NXT
            tlpFlight = snd.max - snd.una;
            c.timers.armRetransmit(c.rtt.rto()); // §7.3: the RTO is restarted
        }
    }

    @Override
    public void onRetransmitTimeout() {
        TcpSender snd = c.snd;
        long now = c.tcp.now();
        c.cc.onRto(snd.max - snd.una);
        inRecovery = false;
        dupAcks = 0;
        tlpValid = false;
        recover = snd.max; // RFC 6675 §5.1
        c.log.markLostOnRto(now, rackRtt, reoWnd()); // RFC 8985 §6.3
        startUndo(snd.una, snd.max);
    }

    @Override
    public void onSpuriousTimeout() {
        // RFC 4015: restore the congestion state from before the timeout (as the D-SACK undo),
        // drop RFC 8985 §6.3's marks and resume with new data, no go-back-N
        TcpSender snd = c.snd;
        c.cc.undo();
        undoValid = false;
        recover = snd.una; // no RecoveryPoint barrier left: a real loss starts fast recovery
        c.log.clearLost();
        snd.nxt = snd.max;
        c.traceEvent(TcpTrace.Event.UNDO, snd.una, snd.max);
    }

    @Override
    public int beforeSend(long now) {
        maxBeforeSend = c.snd.max;
        if (!inRecovery) {
            prrPipe = -1;
            return -1;
        }
        TcpSender snd = c.snd;
        int mss = snd.mss;
        // pipe: outstanding, less SACKed, less lost (RFC 6675 §4 SetPipe with RACK's marks)
        int sacked = c.scoreboard.isEmpty() ? 0 : c.scoreboard.sackedBytesIn(snd.una, snd.max);
        int pipe = (snd.max - snd.una) - sacked - c.log.lostBytes();
        int ssthresh = c.cc.ssthresh();
        long sndcnt;
        if (pipe > ssthresh) {
            // RFC 6937 §3 proportional part: CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out
            long fs = Math.max(1, recoverFs);
            sndcnt = (prrDelivered * ssthresh + fs - 1) / fs - prrOut;
        } else {
            // PRR-SSRB: back towards ssthresh, at most one MSS beyond what was delivered
            long limit = Math.max(prrDelivered - prrOut, lastDelivered) + mss;
            sndcnt = Math.min((long) ssthresh - pipe, limit);
        }
        if (forceOne && sndcnt < mss) {
            sndcnt = mss;
        }
        forceOne = false;
        long budget = Math.max(0, sndcnt);
        // lost segments first (RFC 6675 NextSeg rule 1 with RACK's marks), then new data
        int guard = 0;
        int from = snd.una;
        while (budget > 0 && guard++ < 10_000) {
            int s = c.log.firstLost(from, snd.max);
            if (!lt(s, snd.max)) {
                break;
            }
            int e = Math.min(c.log.endOf(s) - s, c.scoreboard.sackedStartAfter(s, snd.max) - s) + s;
            int n = snd.retransmitAt(s, e, now);
            if (n <= 0) {
                break;
            }
            c.tcp.counters.inc(TcpCounter.RACK_RETRANSMITS);
            prrOut += n;
            budget -= n;
            from = s + n;
        }
        // new data gets what is left, rounded up to whole segments as Linux's packet-counting PRR
        // does (prr_out keeps the account exact): the sender sends while cwnd − pipe ≥ 1 SMSS
        long forNew = budget <= 0 ? 0 : (budget + mss - 1) / mss * mss;
        prrPipe = Math.max(0, c.cc.cwnd() - (int) Math.min(forNew, Integer.MAX_VALUE / 2));
        return prrPipe;
    }

    @Override
    public void afterSend(int pipe, long now) {
        if (prrPipe >= 0 && pipe >= 0 && inRecovery) {
            prrOut += pipe - prrPipe;
        }
        prrPipe = -1;
        // RFC 8985 §7.2: (re)arm the probe after sending new data
        if (c.snd.max != maxBeforeSend && !inRecovery && timerMode != TimerMode.REORDER) {
            armProbe(now);
        }
    }

    @Override
    public void onRetransmit(int seq, long now) {
        if (undoValid && ge(seq, undoMarker) && lt(seq, undoEnd)) {
            undoRetrans++;
        }
    }

    @Override
    public void onRetransmittedUpTo(int end) {
    }
}
