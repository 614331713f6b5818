package io.tapstack.tcp;

import io.tapstack.socket.ConnectionAborted;
import io.tapstack.socket.ConnectionRefused;
import io.tapstack.socket.ConnectionReset;
import io.tapstack.wire.Ecn;
import io.tapstack.wire.TcpHeader;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.inRange;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * The input state machine of one connection: RFC 9293 §3.10.7 SEGMENT ARRIVES (FreeBSD's
 * tcp_input.c, gVisor's rcv.go/snd.go handlers) — the SYN-SENT checks (§3.10.7.3), then for
 * every synchronized state (§3.10.7.4) PAWS, the sequence-number test, RST, SYN, ACK (window,
 * RTT, loss recovery, FIN acknowledged), the text and the FIN — driving {@link TcpSender},
 * {@link TcpReceiver}, {@link LossRecovery}, {@link RttEstimator} and {@link TcpTimers}, and the
 * state transitions of RFC 9293 Figure 5 that segments cause.
 */
final class TcpInput {
    private static final long TS_24_DAYS_NANOS = 24L * 24 * 3600 * 1_000_000_000L;

    private final Tcp tcp;

    /** One per stack: it keeps no state of its own, the connection is passed in. */
    TcpInput(Tcp tcp) {
        this.tcp = tcp;
    }

    /** RFC 9293 §3.10.7: SEGMENT ARRIVES for this connection. */
    void segmentArrives(TcpConnection c, Segment s) {
        long now = tcp.now();
        c.timers.segmentReceived(now);
        switch (c.state) {
            case SYN_SENT -> synSentInput(c, s, now);
            case CLOSED, LISTEN -> { }
            default -> synchronizedInput(c, s, now);
        }
        if (c.state != TcpState.CLOSED) {
            c.snd.output();
        }
    }

    /** RFC 9293 §3.10.7.3. */
    private void synSentInput(TcpConnection c, Segment s, long now) {
        TcpSender snd = c.snd;
        TcpReceiver rcv = c.rcv;
        if (s.hasAck() && (le(s.ack, snd.iss) || gt(s.ack, snd.max))) {
            // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)"
            tcp.counters.inc(TcpCounter.DROP_BAD_SYN_ACK);
            if (!s.rst()) {
                c.sendResetTo(s.ack, 0, TcpHeader.RST);
            }
            return;
        }
        if (s.rst()) {
            // RFC 5961 §3.2 / RFC 9293: a RST is acceptable in SYN-SENT only if it acks our SYN
            if (s.hasAck()) {
                tcp.counters.inc(TcpCounter.RSTS_RECEIVED);
                tcp.counters.inc(TcpCounter.FAILED_ATTEMPTS);
                c.terminate(new ConnectionRefused("connection refused by " + c.remote()), false);
            } else {
                tcp.counters.inc(TcpCounter.DROP_RST_OUT_OF_WINDOW);
            }
            return;
        }
        if (!s.syn()) {
            tcp.counters.inc(TcpCounter.DROP_NO_ACK);
            return;
        }
        rcv.synReceived(s.seq);
        c.negotiate(s, c.offerTs, c.offerWs, c.offerSack);
        // RFC 3168 §6.1.1: an ECN-setup SYN-ACK has ECE without CWR (a simultaneous open's
        // bare SYN does not set ECN up: neither side has answered the other's request)
        c.ecnOk = c.offerEcn && s.hasAck() && s.ece() && !s.cwr();
        if (!s.hasAck()) {
            c.offerEcn = false;
        }
        rcv.lastAckSent = rcv.nxt;
        rcv.synWindowOffered(); // what our SYN offered
        if (s.hasAck()) {
            snd.una = s.ack;
            if (c.synRetransmits == 0) {
                c.rtt.handshakeSample(now);
            } else {
                c.rtt.synWasRetransmitted(); // RFC 6298 §5.7
            }
            c.rtt.resetBackoff();
            c.timers.cancel();
            // RFC 7323 §2.2: the window of a SYN-ACK is not scaled
            snd.windowFrom(s.window, s.seq, s.ack);
            snd.maxWnd = snd.wnd;
            c.established();
            rcv.ackNow = true;
        } else {
            // Simultaneous open (RFC 9293 §3.5, Figure 8): SYN-RECEIVED, send SYN,ACK
            c.state = TcpState.SYN_RECEIVED;
            snd.windowFrom(s.window, s.seq, snd.iss);
            snd.maxWnd = snd.wnd;
            tcp.segmentWriter.sendSyn(c, true);
            c.timers.armRetransmit(c.rtt.rto());
        }
    }

    /** RFC 9293 §3.10.7.4: every state from SYN-RECEIVED on. */
    private void synchronizedInput(TcpConnection c, Segment s, long now) {
        TcpSender snd = c.snd;
        TcpReceiver rcv = c.rcv;
        int segLen = s.segLen();
        if (c.state == TcpState.SYN_RECEIVED && s.syn() && !s.hasAck() && !s.rst() && s.seq == rcv.irs) {
            // the peer did not get our SYN,ACK: send it again
            tcp.segmentWriter.sendSyn(c, true);
            return;
        }
        if (c.state == TcpState.SYN_RECEIVED && s.syn() && s.hasAck() && !s.rst() && s.seq == rcv.irs
                && inRange(s.ack, snd.una + 1, snd.max + 1)) {
            // simultaneous open (RFC 9293 Figure 8): the peer's SYN,ACK repeats its SYN and
            // acknowledges ours; take it as the ACK that completes the handshake
            s.seq = rcv.irs + 1;
            s.flags &= ~TcpHeader.SYN;
            segLen = s.segLen();
        }
        // RFC 7323 §5.3 PAWS: reject segments with an old timestamp (never a RST)
        if (c.tsOk && s.opts.hasTimestamp && !s.rst() && rcv.tsRecentValid && lt(s.opts.tsVal, rcv.tsRecent)) {
            if (now - rcv.tsRecentAge > TS_24_DAYS_NANOS) {
                rcv.tsRecentValid = false; // RFC 7323 §5.5: an idle connection's TS.Recent expires
            } else {
                tcp.counters.inc(TcpCounter.PAWS_REJECTED);
                tcp.counters.inc(TcpCounter.DROP_PAWS);
                tcp.segmentWriter.sendAck(c);
                return;
            }
        }
        // first: check the sequence number (RFC 9293 §3.10.7.4, the four cases)
        int rcvNxt = rcv.nxt;
        int rcvWnd = rcv.window();
        boolean acceptable;
        if (segLen == 0) {
            acceptable = rcvWnd == 0 ? s.seq == rcvNxt : inRange(s.seq, rcvNxt, rcvNxt + rcvWnd);
        } else {
            acceptable = rcvWnd != 0 && (inRange(s.seq, rcvNxt, rcvNxt + rcvWnd)
                    || inRange(s.seq + segLen - 1, rcvNxt, rcvNxt + rcvWnd));
        }
        boolean ackOnly = false;
        if (!acceptable) {
            if (s.rst()) {
                tcp.counters.inc(TcpCounter.DROP_RST_OUT_OF_WINDOW);
                return;
            }
            if (rcvWnd == 0 && s.seq == rcvNxt) {
                // zero window: still process the ACK (RFC 9293 §3.10.7.4 "special allowance")
                ackOnly = true;
            } else {
                if (le(s.seq + segLen, rcvNxt)) {
                    tcp.counters.inc(TcpCounter.DUPLICATE_SEGMENTS);
                    if (s.dataLen > 0) {
                        rcv.duplicateReceived(s.seq, s.seq + s.dataLen); // RFC 2883 §4 case 1
                    }
                } else {
                    tcp.counters.inc(TcpCounter.DROP_OUT_OF_WINDOW);
                }
                if (c.state == TcpState.TIME_WAIT && s.fin()) {
                    // RFC 9293 §3.10.7.4 eighth, TIME-WAIT: ack the retransmitted FIN, restart 2 MSL
                    c.timers.arm(TcpTimers.Mode.TIME_WAIT, c.tcp.config.timeWaitNanos());
                }
                if (s.syn()) {
                    challengeAck(c);
                } else {
                    tcp.segmentWriter.sendAck(c);
                }
                return;
            }
        }
        // second: RST (RFC 5961 §3.2: exact match resets, in-window gets a challenge ACK)
        if (s.rst()) {
            if (c.state == TcpState.TIME_WAIT) {
                // RFC 1337 §3 (TIME-WAIT assassination): ignore RSTs in TIME-WAIT
                tcp.counters.inc(TcpCounter.TIME_WAIT_RST_IGNORED);
                return;
            }
            if (s.seq == rcvNxt) {
                tcp.counters.inc(TcpCounter.RSTS_RECEIVED);
                resetReceived(c);
            } else {
                challengeAck(c);
            }
            return;
        }
        // fourth: SYN in a synchronized state (RFC 5961 §4.2, RFC 9293 §3.10.7.4)
        if (s.syn()) {
            challengeAck(c);
            return;
        }
        // fifth: ACK
        if (!s.hasAck()) {
            tcp.counters.inc(TcpCounter.DROP_NO_ACK);
            return;
        }
        if (c.state == TcpState.SYN_RECEIVED) {
            if (inRange(s.ack, snd.una + 1, snd.max + 1)) {
                if (!completePassiveOpen(c, s, now)) {
                    return;
                }
            } else {
                c.sendResetTo(s.ack, 0, TcpHeader.RST);
                return;
            }
        }
        // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA − MAX.SND.WND, SND.NXT]
        if (gt(s.ack, snd.max)) {
            tcp.counters.inc(TcpCounter.DROP_ACK_UNSENT);
            tcp.segmentWriter.sendAck(c);
            return;
        }
        if (lt(s.ack, snd.una - Math.max(snd.maxWnd, 1))) {
            // "MUST be discarded and an ACK sent back", a challenge ACK throttled as §7 says
            tcp.counters.inc(TcpCounter.DROP_ACK_TOO_OLD);
            challengeAck(c);
            return;
        }
        // RFC 7323 §4.3: remember the timestamp to echo
        rcv.updateTsRecent(s.seq, s.opts, now);
        processAck(c, s, segLen, now);
        if (c.state == TcpState.CLOSED) {
            return;
        }
        if (c.ecnOk) {
            ecnReceived(c, s);
        }
        // sixth: URG. RFC 9293 §3.8.5 and RFC 6093 §5: urgent data is delivered inline (as with
        // SO_OOBINLINE), the stream never altered; the pointer is not used, so it cannot make us
        // read past the segment or the window (RFC 6093 §4: an application that needs it reads
        // the stream). Counted only.
        if ((s.flags & TcpHeader.URG) != 0) {
            tcp.counters.inc(TcpCounter.URGENT_RECEIVED);
        }
        // seventh: segment text
        segmentText(c, s, rcvWnd, ackOnly);
    }

    /**
     * RFC 3168 §6.1.3, the data receiver: a CWR ends the congestion echo, then a CE (in the same
     * segment too) starts it again; from a CE on, every segment we send carries ECE until the
     * peer's CWR. The first CE is acknowledged at once, so the sender hears of it within an RTT.
     */
    private void ecnReceived(TcpConnection c, Segment s) {
        TcpReceiver rcv = c.rcv;
        if (s.cwr()) {
            tcp.counters.inc(TcpCounter.CWR_RECEIVED);
            rcv.eceEcho = false;
        }
        if (s.ecn == Ecn.CE) {
            tcp.counters.inc(TcpCounter.CE_RECEIVED);
            if (!rcv.eceEcho) {
                rcv.eceEcho = true;
                rcv.ackNow = true;
            }
        }
    }

    /**
     * RFC 3168 §6.1.2, the data sender: an ACK with ECE halves the congestion window as a loss
     * would (the congestion control's multiplicative decrease, RFC 9438 §4.6 for CUBIC) but
     * retransmits nothing, at most once per window of data: not again until an ACK covers what
     * was outstanding at the reduction, nor when loss recovery already reduced in this window.
     * The next new data segment carries CWR.
     */
    private void ecnEchoReceived(TcpConnection c, Segment s) {
        TcpSender snd = c.snd;
        tcp.counters.inc(TcpCounter.ECE_RECEIVED);
        if (snd.ecnReacted && le(s.ack, snd.ecnRecover)) {
            return; // this window has been answered
        }
        snd.ecnReacted = true;
        snd.ecnRecover = snd.max;
        snd.cwrPending = true;
        if (!c.recovery().inRecovery()) {
            tcp.counters.inc(TcpCounter.ECN_REDUCTIONS);
            c.cc.onEcnEcho(snd.max - snd.una);
        }
    }

    /** RFC 9293 §3.10.7.4 seventh (text, trimmed to the window) and eighth (FIN). */
    private void segmentText(TcpConnection c, Segment s, int rcvWnd, boolean ackOnly) {
        TcpReceiver rcv = c.rcv;
        int dataSeq = s.seq;
        int off = s.dataOff;
        int len = s.dataLen;
        boolean fin = s.fin();
        if (ackOnly) {
            len = 0;
            fin = false;
            rcv.ackNow = true;
        }
        if (lt(dataSeq, rcv.nxt)) {
            int d = rcv.nxt - dataSeq;
            if (len > 0) {
                rcv.duplicateReceived(dataSeq, dataSeq + Math.min(d, len)); // RFC 2883 §4: the old part
            }
            if (d >= len) {
                if (fin && lt(dataSeq + len, rcv.nxt)) {
                    fin = false;
                }
                dataSeq += len;
                len = 0;
            } else {
                off += d;
                len -= d;
                dataSeq = rcv.nxt;
            }
        }
        // the window as it was when the segment was checked (RCV.NXT has not moved since)
        int winEnd = rcv.nxt + rcvWnd;
        if (gt(dataSeq + len, winEnd)) {
            len = Math.max(0, winEnd - dataSeq);
            fin = false;
        }
        if (len > 0) {
            if (!c.state.canReceive()) {
                // data after the peer's FIN: ignore (RFC 9293 §3.10.7.4 seventh, CLOSE-WAIT…)
                len = 0;
            } else if (c.appClosed) {
                // RFC 9293 §3.10.4 / RFC 2525 §2.17: nobody will read this; reset
                tcp.counters.inc(TcpCounter.ABORT_ON_CLOSE);
                c.sendRst();
                c.terminate(new ConnectionAborted("data arrived after close"), false);
                return;
            } else {
                int took = rcv.receiveData(dataSeq, s.buf, off, len);
                if (took < len) {
                    fin = false;
                }
                len = took;
            }
        }
        if (fin && c.state.canReceive()) {
            int finSeq = dataSeq + len;
            if (finSeq == rcv.nxt) {
                finReceived(c);
            } else if (gt(finSeq, rcv.nxt)) {
                // a FIN beyond a hole: remembered until the hole fills
                rcv.oooFinValid = true;
                rcv.oooFinSeq = finSeq;
                rcv.ackNow = true;
            }
        }
        if (rcv.oooFinValid && rcv.oooFinSeq == rcv.nxt && !rcv.fin && c.state.canReceive()) {
            finReceived(c);
        }
    }

    /** SYN-RECEIVED + acceptable ACK → ESTABLISHED; false when the accept queue is full. */
    private boolean completePassiveOpen(TcpConnection c, Segment s, long now) {
        TcpSender snd = c.snd;
        TcpListener l = c.parent;
        if (c.passive && l != null) {
            if (l.closed) {
                c.sendRst();
                c.terminate(null, false);
                return false;
            }
            if (l.acceptQueue.size() >= l.backlog) {
                // Linux: leave the handshake unfinished; our SYN,ACK will be retransmitted
                tcp.counters.inc(TcpCounter.LISTEN_OVERFLOWS);
                tcp.counters.inc(TcpCounter.DROP_ACCEPT_QUEUE_FULL);
                return false;
            }
            l.synQueued--;
            tcp.halfOpenEstablished();
        }
        if (c.synRetransmits == 0) {
            c.rtt.handshakeSample(now);
        }
        c.rtt.resetBackoff();
        snd.una = snd.una + 1; // our SYN is acknowledged
        snd.windowFrom(s.window << c.sndWscale, s.seq, s.ack);
        snd.maxWnd = Math.max(snd.maxWnd, snd.wnd);
        c.timers.cancel();
        c.established();
        if (c.passive && l != null) {
            l.acceptQueue.add(c);
            tcp.queueNotify(l);
        }
        return true;
    }

    /** ACK processing (RFC 9293 §3.10.7.4 fifth; RFC 5681; RFC 6582; RFC 6298). */
    private void processAck(TcpConnection c, Segment s, int segLen, long now) {
        TcpSender snd = c.snd;
        LossRecovery recovery = c.recovery();
        int acked = s.ack - snd.una;
        int flightBefore = snd.max - snd.una;
        int oldWnd = snd.wnd;
        // window update (RFC 9293 §3.10.7.4: SND.WL1/SND.WL2 guard against old segments)
        snd.windowUpdate(s);
        if (c.ecnOk && s.ece()) {
            ecnEchoReceived(c, s);
        }
        boolean newSack = false;
        // RFC 5682 §3.1 step 3: SACKed octets below "recover" before this ACK (F-RTO only)
        FrtoDetector frto = c.frto; // null until a timeout used it
        int frtoSackedBefore = frto != null && frto.active() && c.sackOk ? c.scoreboard.sackedBytesIn(snd.una, c.frto.recover()) : 0;
        SegmentLog log = c.log;
        log.beginAck(now, c.rtt.minRtt(), echoedNanos(c, s, now));
        if (c.sackOk && s.opts.sackCount > 0) {
            if (SackScoreboard.isDsack(s.opts, s.ack)) {
                // RFC 2883 §4: the peer got [l, r) twice (a spurious retransmission or a network duplicate)
                tcp.counters.inc(TcpCounter.DSACKS_RECEIVED);
                recovery.onDsack(s.opts.sackLeft[0], s.opts.sackRight[0], now);
            }
            newSack = c.ownScoreboard().update(s.opts, snd.una, snd.max, tcp.counters);
            if (newSack) {
                log.markSacked(c.scoreboard);
            }
        }
        if (acked > 0) {
            int ringSize = snd.ringSize();
            int dataAcked = acked;
            boolean finAcked = false;
            if (snd.finSent && s.ack == snd.una + ringSize + 1) {
                finAcked = true;
                dataAcked = ringSize;
            }
            dataAcked = Math.min(dataAcked, ringSize);
            snd.acknowledge(s.ack, dataAcked);
            c.scoreboard.acknowledged(snd.una);
            log.acknowledge(snd.una);
            recovery.onSndUnaAdvanced(snd.una);
            // RTT sample (RFC 6298): the per-segment transmit time (ns) of the most recently sent
            // never-retransmitted segment this ACK delivered (Karn); else RFC 7323 §4.1's echoed
            // timestamp (1 ms, but unambiguous for retransmissions), else the one timed segment
            long timed = c.rtt.timedSample(s.ack, now);
            long sample = log.rttSample;
            if (sample < 0 && c.tsOk && s.opts.hasTimestamp && s.opts.tsEcr != 0) {
                sample = RttEstimator.timestampSample(c.tsNow(now), s.opts.tsEcr);
            }
            if (sample < 0) {
                sample = timed;
            }
            if (sample >= 0) {
                c.rtt.sample(sample);
                c.rtt.minRttSample(sample, now);
            }
            if (c.eifel != null && c.eifel.armed() && c.eifel.onAcceptableAck(c.tsOk && s.opts.hasTimestamp, s.opts.tsEcr)) {
                // RFC 3522: the ACK echoes the original transmission: the timeout was spurious
                // (RFC 4015's re-initialisation of SRTT from this ACK's sample is left out: the
                // timeouts found spurious here follow lost ACKs, not delay spikes, and an SRTT of
                // the ~200 ms sample tripled the next RTO in the trace of a 5 % loss transfer)
                tcp.counters.inc(TcpCounter.SPURIOUS_RTOS);
                tcp.counters.inc(TcpCounter.SPURIOUS_RTOS_EIFEL);
                recovery.onSpuriousTimeout();
                c.traceEvent(TcpTrace.Event.SPURIOUS_RTO, snd.una, snd.max);
            }
            c.rtt.resetBackoff();
            snd.firstRtxTime = 0;
            recovery.onNewAck(s.ack, dataAcked, flightBefore, sample, now);
            // RFC 6298 §5.2/§5.3: stop the timer when all is acked, else restart it
            if (snd.una == snd.max) {
                if (c.timers.mode() == TcpTimers.Mode.RETRANSMIT) {
                    c.timers.cancel();
                }
            } else if (c.timers.mode() != TcpTimers.Mode.PERSIST) {
                c.timers.armRetransmit(c.rtt.rto());
            }
            if (finAcked) {
                finAcked(c);
                if (c.state == TcpState.CLOSED) {
                    return;
                }
            }
            // (no ring once the ACK of our FIN took us to TIME-WAIT: ringSize() is then 0)
            if (dataAcked > 0 && c.writeBlocked
                    && snd.bufSize - snd.ringSize() >= Math.min(snd.bufSize / 2, Math.max(snd.mss, 1) * 4)) {
                c.writeBlocked = false;
                c.post(TcpConnection.EV_WRITABLE);
            }
        } else if (acked == 0 && segLen == 0 && snd.max != snd.una
                && ((snd.wnd == oldWnd && snd.wnd != 0) || newSack)) {
            // RFC 5681 §2: a duplicate ACK; with SACK, an ACK that SACKs new data counts too
            // ("if the ACK contains previously unknown SACK information"), whatever its window:
            // Linux's advertised window moves by a few units while out-of-order data is queued,
            // and the strict definition then misses most duplicates and waits for the RTO.
            recovery.onDuplicateAck(s.ack, now);
        }
        if (acked <= 0 && log.rttSample >= 0) {
            // SACKed data is delivered data: its transmit time is a sample too
            c.rtt.sample(log.rttSample);
            c.rtt.minRttSample(log.rttSample, now);
        }
        recovery.afterAck(acked, newSack, now);
        if (frto != null && frto.active()) {
            frtoAck(c, s, acked, segLen, frtoSackedBefore, now);
        }
        if (c.trace != null) {
            traceAck(c, s);
        }
    }

    /**
     * RFC 5682 steps 2 and 3 for an ACK after a timeout without timestamps (F-RTO): the first ACK
     * of the retransmission releases two new segments; the next one tells whether data sent
     * before the timeout, never resent, got through (spurious: RFC 4015 response as for Eifel) or
     * not (the go-back-N recovery resumes from SND.UNA).
     */
    private void frtoAck(TcpConnection c, Segment s, int acked, int segLen, int sackedBefore, long now) {
        TcpSender snd = c.snd;
        boolean sackedOriginal = c.sackOk
                && c.scoreboard.sackedBytesIn(snd.una, c.frto.recover()) > sackedBefore;
        boolean duplicate = acked == 0 && segLen == 0 && snd.max != snd.una;
        switch (c.frto.onAck(s.ack, acked > 0, duplicate, sackedOriginal)) {
            case FrtoDetector.SEND_NEW -> {
                if (!snd.sendFrtoNewData(now)) {
                    c.frto.cancel(); // §2.1 2 b: nothing new can go: conventional recovery
                }
            }
            case FrtoDetector.SPURIOUS -> {
                tcp.counters.inc(TcpCounter.SPURIOUS_RTOS);
                tcp.counters.inc(TcpCounter.SPURIOUS_RTOS_FRTO);
                c.recovery().onSpuriousTimeout();
                c.traceEvent(TcpTrace.Event.SPURIOUS_RTO, snd.una, snd.max);
            }
            case FrtoDetector.REVERT -> {
                if (lt(snd.nxt, snd.max)) {
                    break; // still going back from the timeout: it simply continues
                }
                snd.nxt = snd.una; // §2.1 3 a: resend what is unacknowledged, in slow start
            }
            default -> { }
        }
    }

    /** The trace's ACK record and one SACK record per block the ACK carries. */
    private void traceAck(TcpConnection c, Segment s) {
        c.trace.record(TcpTrace.Event.ACK, s.ack, s.ack);
        if (c.sackOk) {
            for (int i = 0; i < s.opts.sackCount; i++) {
                c.trace.record(TcpTrace.Event.SACK, s.opts.sackLeft[i], s.opts.sackRight[i]);
            }
        }
    }

    /** The loop time (ms resolution) at which the echoed timestamp was sent, or Long.MIN_VALUE. */
    private long echoedNanos(TcpConnection c, Segment s, long now) {
        if (!c.tsOk || !s.opts.hasTimestamp || s.opts.tsEcr == 0) {
            return Long.MIN_VALUE;
        }
        long ageMs = c.tsNow(now) - s.opts.tsEcr; // int arithmetic modulo 2^32, then widened
        return ageMs < 0 || ageMs > 600_000 ? Long.MIN_VALUE : (now / 1_000_000L - ageMs) * 1_000_000L;
    }

    private void finAcked(TcpConnection c) {
        switch (c.state) {
            case FIN_WAIT_1 -> {
                c.state = TcpState.FIN_WAIT_2;
                if (c.appClosed) {
                    c.timers.arm(TcpTimers.Mode.FIN_WAIT_2, c.tcp.config.finWait2TimeoutNanos);
                }
            }
            case CLOSING -> enterTimeWait(c);
            case LAST_ACK -> c.terminate(null, false);
            default -> { }
        }
    }

    /** RFC 9293 §3.10.7.4 eighth: the FIN. */
    private void finReceived(TcpConnection c) {
        c.rcv.finReceived();
        c.post(TcpConnection.EV_READABLE);
        switch (c.state) {
            case SYN_RECEIVED, ESTABLISHED -> c.state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> c.state = TcpState.CLOSING; // our FIN is not yet acked (else FIN-WAIT-2)
            case FIN_WAIT_2 -> enterTimeWait(c);
            default -> { }
        }
    }

    private void resetReceived(TcpConnection c) {
        // RFC 9293 §3.10.7.4 second
        switch (c.state) {
            case SYN_RECEIVED -> {
                if (c.passive) {
                    c.terminate(null, false); // back to LISTEN: just forget it
                } else {
                    c.terminate(new ConnectionRefused("connection refused by " + c.remote()), false);
                }
            }
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> {
                tcp.counters.inc(TcpCounter.ESTABLISHED_RESETS);
                if (c.rcv.ring != null) {
                    c.rcv.ring.clear(); // "all segment queues should be flushed"
                }
                c.terminate(new ConnectionReset("connection reset by " + c.remote()), false);
            }
            default -> c.terminate(null, false); // CLOSING, LAST-ACK
        }
    }

    private void challengeAck(TcpConnection c) {
        // RFC 5961 §3.2, §4.2 with the rate limit of §7
        if (tcp.challengeAllowed()) {
            tcp.segmentWriter.sendAck(c);
        }
    }

    /** TIME-WAIT for 2·MSL (RFC 9293 §3.10.7.4), unless the table of them is full. */
    private void enterTimeWait(TcpConnection c) {
        c.state = TcpState.TIME_WAIT;
        tcp.establishedChanged(-1);
        c.timers.cancelAllButConnTimer();
        c.snd.releaseRing();
        c.rcv.releaseIfDrained(); // a TIME-WAIT connection holds no data memory once read
        c.log.release();
        tcp.timeWaitEntered();
        if (tcp.timeWaitFull()) {
            tcp.counters.inc(TcpCounter.TIME_WAIT_RECYCLED);
            tcp.counters.inc(TcpCounter.DROP_TIME_WAIT_LIMIT);
            c.rcv.ackNow = true;
            c.snd.output();
            c.terminate(null, false);
            return;
        }
        c.timers.arm(TcpTimers.Mode.TIME_WAIT, c.tcp.config.timeWaitNanos());
        c.post(TcpConnection.EV_CLOSED);
    }
}
