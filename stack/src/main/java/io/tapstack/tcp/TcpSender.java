package io.tapstack.tcp;

import io.tapstack.socket.TimedOut;
import io.tapstack.socket.Unreachable;
import io.tapstack.wire.TcpHeader;

import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * The send side of one connection (gVisor's snd.go, FreeBSD's tcp_output.c): the send sequence
 * space of RFC 9293 §3.3.1, the send ring holding every byte from SND.UNA on (unacknowledged,
 * then unsent) from which segments and retransmissions are cut, and the send policy —
 * congestion and flow control, Nagle (RFC 9293 §3.7.4), sender SWS avoidance (§3.8.6.2.1), TSO
 * sizing, RFC 3042 limited transmit, the persist timer (§3.8.6.1) and the retransmission timeout
 * (RFC 6298 §5). Which holes to resend during recovery is {@link LossRecovery}'s decision;
 * segments are built by {@link SegmentWriter}.
 */
final class TcpSender {
    private final TcpConnection c;

    /** ISS. */
    int iss;
    /** SND.UNA. */
    int una;
    /** SND.NXT (moves back on retransmission). */
    int nxt;
    /** Highest sequence number sent + 1. */
    int max;
    /** SND.WND (scaled). */
    int wnd;
    int wl1;
    int wl2;
    /** Largest window the peer offered (RFC 9293 §3.8.6.2.1, RFC 5961 §5.2 MAX.SND.WND). */
    int maxWnd;
    ByteRing ring;
    /** The ring's capacity when last held: a drained busy connection takes as large a one again. */
    private int lastCapacity;
    final int bufSize;
    /** The application asked for a FIN after the queued data. */
    boolean finQueued;
    /** Our FIN has been sent. */
    boolean finSent;
    /** Effective send MSS (payload bytes per segment). */
    int mss;
    /** The MSS the peer announced (or the RFC 9293 §3.7.1 default). */
    int peerMss;
    /** Path MTU towards the peer (RFC 1191 / RFC 8201). */
    int pmtu;
    int persistBackoff;
    long lastSendTime;
    /** When the first retransmission timeout of the current episode fired (user timeout). */
    long firstRtxTime;
    long retransTotal;
    long bytesAcked;
    // RFC 3168 §6.1.2: the last ECE reaction, SND.MAX then, and a CWR owed to the next new data
    boolean ecnReacted;
    int ecnRecover;
    boolean cwrPending;
    /** RFC 6675 pipe during one {@link #output} pass, or -1 outside recovery. */
    private int pipe = -1;

    TcpSender(TcpConnection c, int bufSize, int pmtu) {
        this.c = c;
        this.bufSize = bufSize;
        this.pmtu = pmtu;
    }

    /** Starts the send sequence space at {@code iss} with the SYN outstanding. */
    void init(int iss) {
        this.iss = iss;
        una = iss;
        nxt = iss + 1;
        max = nxt;
    }

    int ringSize() {
        return ring == null ? 0 : ring.size();
    }

    /** The peer's window from a SYN or from the segment that completed the handshake. */
    void windowFrom(int window, int seq, int ack) {
        wnd = window;
        wl1 = seq;
        wl2 = ack;
    }

    /** RFC 9293 §3.10.7.4 fifth: a window update, unless SND.WL1/SND.WL2 show the segment is old. */
    void windowUpdate(Segment s) {
        if (lt(wl1, s.seq) || (wl1 == s.seq && le(wl2, s.ack))) {
            wnd = s.window << c.sndWscale;
            wl1 = s.seq;
            wl2 = s.ack;
            if (wnd > maxWnd) {
                maxWnd = wnd;
            }
            if (wnd > 0 && c.timers.mode() == TcpTimers.Mode.PERSIST) {
                // the window opened: leave persist; a probe byte still unacked goes again now
                c.timers.cancel();
                persistBackoff = 0;
                if (lt(una, nxt) && le(s.ack, una)) {
                    nxt = una;
                }
            }
        }
    }

    /**
     * Makes room for a write of {@code want} bytes: takes a ring, or grows it (doubling), up to
     * the buffer size; elastic like Linux's tcp_wmem, so a small writer holds a small ring.
     */
    void ensureRoom(int want) {
        int used = ringSize();
        int needed = (int) Math.min(bufSize, (long) used + want);
        if (ring == null) {
            ring = c.tcp.rings.take(RingPool.capacityFor(needed, lastCapacity, bufSize), true);
        } else {
            ring = c.tcp.rings.grow(ring, needed, bufSize);
        }
        lastCapacity = Math.max(lastCapacity, ring.capacity());
    }

    /** Gives the send ring back to the loop's pool (it is empty, or the connection ended). */
    void releaseRing() {
        c.tcp.rings.give(ring);
        ring = null;
    }

    /** SEG.ACK acknowledged new sequence space: drop {@code dataAcked} bytes from the ring, advance SND.UNA. */
    void acknowledge(int ack, int dataAcked) {
        if (dataAcked > 0) {
            ring.skip(dataAcked);
            if (ring.size() == 0) {
                releaseRing(); // all acknowledged: an idle connection holds no send memory
            }
        }
        bytesAcked += dataAcked;
        una = ack;
        if (lt(nxt, una)) {
            nxt = una;
        }
    }

    // ======================================================================= output

    /** The send side's decision of what to transmit now (RFC 9293 §3.8.6, §3.7.4). */
    void output() {
        switch (c.state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK, FIN_WAIT_2 -> { }
            case TIME_WAIT -> {
                if (c.rcv.ackNow) {
                    c.tcp.segmentWriter.sendAck(c);
                }
                return;
            }
            default -> {
                return;
            }
        }
        long now = c.tcp.now();
        int ringSize = ringSize();
        if (una == max && ringSize > 0 && lastSendTime != 0 && now - lastSendTime > c.rtt.rto()) {
            c.cc.onIdleRestart(); // RFC 5681 §4.1
        }
        // saved and restored so that a nested output() (a segment looped back to this very
        // connection) leaves this pass's pipe intact
        int outerPipe = pipe;
        // RFC 6675 §5 (B.2) SetPipe and (C) NextSeg rule 1 (lost holes) before rule 2 (new data)
        pipe = c.recovery().beforeSend(now);
        int guard = 0;
        while (guard++ < 100_000) {
            if (skipSacked()) {
                continue;
            }
            if (!sendNext(ringSize, now)) {
                break;
            }
        }
        c.recovery().afterSend(pipe, now); // NextSeg rules 3 and 4 once rule 2 has nothing
        pipe = outerPipe;
        armPersistIfStalled(ringSize);
        if (c.rcv.ackNow) {
            c.tcp.segmentWriter.sendAck(c);
        }
    }

    /** RFC 2018 §8 / RFC 6675: while going back (SND.NXT below SND.MAX), do not resend what the peer holds. */
    private boolean skipSacked() {
        if (lt(nxt, max) && !c.scoreboard.isEmpty()) {
            int e = c.scoreboard.sackedEndAt(nxt);
            if (e != nxt) {
                nxt = e;
                return true;
            }
        }
        return false;
    }

    /** Sends the next segment from SND.NXT if the policy allows; false when output should stop. */
    private boolean sendNext(int ringSize, long now) {
        int off = nxt - una;
        int avail = Math.max(0, ringSize - off);
        int usable = usableWindow();
        boolean retransmitting = lt(nxt, max);
        int sackRoom = c.rcv.sackRoom();
        int len = segmentLength(off, avail, usable, ringSize, retransmitting, sackRoom);
        // The FIN goes once at the end of the queued data; again only when SND.NXT was wound
        // back below it (a retransmission). Once it is sent and SND.NXT has passed it, never a
        // second FIN one sequence number later (RFC 9293 §3.10.4, §3.10.7.4).
        boolean canFin = finQueued && off + len == ringSize && (!finSent || lt(nxt + len, max));
        if (!worthSending(len, off, avail, ringSize, retransmitting, sackRoom, canFin)) {
            return false;
        }
        if (!transmit(len, off, ringSize, retransmitting, canFin, now)) {
            return false;
        }
        return !canFin;
    }

    /** What congestion and flow control let us send beyond SND.NXT now. */
    private int usableWindow() {
        int flight = nxt - una;
        if (lt(nxt, max) && !c.scoreboard.isEmpty()) {
            // after a timeout (RFC 6675 §5.1): SACKed bytes below SND.NXT are not in flight
            flight -= c.scoreboard.sackedBytesIn(una, nxt);
        }
        // RFC 3042 limited transmit: one new segment for each of the first two duplicate
        // ACKs, cwnd unchanged, so a small window still produces the third duplicate
        int cwnd = c.cc.cwnd() + c.recovery().limitedTransmitSegments() * mss;
        int usable = Math.max(0, Math.min(wnd, cwnd) - flight);
        if (pipe >= 0) {
            // RFC 6675 §5 (C) rule 2: new data while cwnd − pipe ≥ 1 SMSS, within the peer's window
            usable = cwnd - pipe >= mss ? Math.max(0, Math.min(wnd - flight, cwnd - pipe)) : 0;
        }
        return usable;
    }

    /** The segment's payload: up to an MSS (less SACK option room), or a TSO burst of whole MSS pieces. */
    private int segmentLength(int off, int avail, int usable, int ringSize, boolean retransmitting, int sackRoom) {
        int tso = sackRoom == 0 && !retransmitting ? c.tcp.maxGsoPayload(c.remoteHi, c.remoteLo) : 0;
        int len = Math.min(avail, Math.max(mss, tso));
        if (len > mss - sackRoom && tso == 0) {
            len = Math.max(1, mss - sackRoom);
        }
        if (len > usable) {
            len = usable;
        }
        if (len > mss) {
            // A TSO segment is whole MSS-sized pieces, plus the tail only when Nagle would
            // send that tail on its own (RFC 9293 §3.7.4).
            boolean tailOk = off + len == ringSize && nagleAllowsTail();
            if (!tailOk) {
                len -= len % mss;
            }
        }
        return len;
    }

    /** RFC 9293 §3.7.4 Nagle: a short tail goes when nothing is unacknowledged (or NODELAY, or closing). */
    private boolean nagleAllowsTail() {
        return c.opts.noDelay || max == una || finQueued;
    }

    /** Sender SWS avoidance (RFC 9293 §3.8.6.2.1) and Nagle: is this segment worth sending now? */
    private boolean worthSending(int len, int off, int avail, int ringSize, boolean retransmitting, int sackRoom,
            boolean canFin) {
        if (len > 0) {
            if (len >= mss - sackRoom) {
                return true; // a full segment
            } else if (off + len == ringSize && nagleAllowsTail()) {
                return true; // RFC 9293 §3.7.4 Nagle: everything queued, nothing unacked (or NODELAY)
            } else if (maxWnd > 0 && len >= maxWnd / 2) {
                return true; // RFC 9293 §3.8.6.2.1 (b): at least half the largest window
            } else if (retransmitting) {
                return true;
            }
        }
        return canFin && avail == len; // the FIN (with the last data, if any)
    }

    /** Sends {@code len} bytes at SND.NXT (and the FIN) and advances SND.NXT/SND.MAX; false if no buffer. */
    private boolean transmit(int len, int off, int ringSize, boolean retransmitting, boolean canFin, long now) {
        int flags = TcpHeader.ACK_FLAG;
        if (canFin) {
            flags |= TcpHeader.FIN;
        }
        if (len > 0 && off + len == ringSize) {
            flags |= TcpHeader.PSH;
        }
        if (retransmitting) {
            c.tcp.counters.inc(TcpCounter.RETRANSMITTED_SEGMENTS);
            retransTotal++;
            if (c.sackOk) {
                c.tcp.counters.inc(TcpCounter.RTO_RECOVERY_RETRANSMITS);
            }
        }
        if (!c.tcp.segmentWriter.sendSegment(c, nxt, flags, off, len)) {
            return false;
        }
        if (retransmitting) {
            c.recovery().onRetransmit(nxt, now);
            c.recovery().onRetransmittedUpTo(nxt + len);
        }
        if (pipe >= 0) {
            pipe += len + (canFin ? 1 : 0);
        }
        if (!retransmitting && !c.tsOk && !c.rtt.isTiming() && len > 0) {
            c.rtt.startTiming(nxt, now); // RFC 6298 §3: one timed segment, never a retransmission
        }
        nxt += len + (canFin ? 1 : 0);
        if (canFin) {
            finSent = true;
        }
        if (gt(nxt, max)) {
            max = nxt;
        }
        c.timers.ensureRetransmit(c.rtt.rto());
        return true;
    }

    /** RFC 9293 §3.8.6.1 persist timer (zero window) and §3.8.6.2.1 SWS override timeout. */
    private void armPersistIfStalled(int ringSize) {
        int unsent = ringSize - (nxt - una);
        if (unsent > 0 && max == una && !c.timers.connTimerScheduled()) {
            c.timers.arm(TcpTimers.Mode.PERSIST, persistInterval());
        }
    }

    private long persistInterval() {
        TcpConfig cfg = c.tcp.config;
        long base = Math.max(c.rtt.rto(), cfg.minRtoNanos);
        long t = base << Math.min(persistBackoff, 16);
        return Math.min(Math.max(t, cfg.minRtoNanos), cfg.maxRtoNanos);
    }

    /**
     * RFC 8985 §7.3: a tail loss probe of new data — one segment of up to an MSS of unsent data
     * (with the FIN if it ends the stream) if the peer's window allows, whatever cwnd says.
     * Returns the sequence space sent, 0 if none.
     */
    int sendNewSegment(long now) {
        if (nxt != max || ring == null) {
            return 0;
        }
        int ringSize = ringSize();
        int off = nxt - una;
        int unsent = ringSize - off;
        int room = wnd - off;
        if (unsent <= 0 || room <= 0) {
            return 0;
        }
        int len = Math.min(Math.min(unsent, room), segmentRoom());
        boolean fin = finQueued && !finSent && off + len == ringSize;
        if (!transmit(len, off, ringSize, false, fin, now)) {
            return 0;
        }
        return len + (fin ? 1 : 0);
    }

    // ======================================================================= retransmission

    /** One segment's payload outside the TSO path: an MSS less the room our SACK blocks take (at least 1). */
    private int segmentRoom() {
        return Math.max(1, mss - c.rcv.sackRoom());
    }

    /**
     * Resends the first unacknowledged segment (fast retransmit, partial ACK): up to an MSS of
     * what was sent from SND.UNA, never octets queued behind SND.MAX that were never sent (RFC
     * 9293 §3.8.1: the head of the retransmission queue; they may lie beyond the peer's window).
     */
    void retransmitFirst() {
        int ringSize = ringSize();
        int sentData = Math.min(ringSize, max - una - (finSent ? 1 : 0));
        int len = Math.max(0, Math.min(sentData, segmentRoom()));
        int flags = TcpHeader.ACK_FLAG;
        if (finSent && len == ringSize) {
            flags |= TcpHeader.FIN;
        }
        if (len == 0 && (flags & TcpHeader.FIN) == 0) {
            return;
        }
        c.tcp.counters.inc(TcpCounter.RETRANSMITTED_SEGMENTS);
        retransTotal++;
        c.tcp.segmentWriter.sendSegment(c, una, flags, 0, len);
    }

    /**
     * Resends one segment of up to an MSS of the send ring from {@code seq}, not past {@code end}
     * (with the FIN if it lies there); returns the sequence space sent, 0 if nothing was.
     */
    int retransmitAt(int seq, int end, long now) {
        int ringSize = ringSize();
        int off = seq - una;
        if (off < 0 || !lt(seq, end)) {
            return 0;
        }
        int len = Math.min(end - seq, segmentRoom());
        len = Math.max(0, Math.min(len, ringSize - off));
        boolean fin = finSent && off + len == ringSize && gt(end, seq + len);
        if (len == 0 && !fin) {
            return 0;
        }
        int flags = TcpHeader.ACK_FLAG;
        if (fin) {
            flags |= TcpHeader.FIN;
        }
        if (len > 0 && off + len == ringSize) {
            flags |= TcpHeader.PSH;
        }
        if (!c.tcp.segmentWriter.sendSegment(c, seq, flags, off, len)) {
            return 0;
        }
        c.tcp.counters.inc(TcpCounter.RETRANSMITTED_SEGMENTS);
        retransTotal++;
        c.recovery().onRetransmit(seq, now);
        c.timers.ensureRetransmit(c.rtt.rto());
        return len + (fin ? 1 : 0);
    }

    /** RFC 6298 §5.4–5.7 and RFC 5681 §3.1 on a retransmission timeout. */
    void retransmitTimeout(long now) {
        TcpState state = c.state;
        TcpConfig cfg = c.tcp.config;
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            int limit = state == TcpState.SYN_SENT ? cfg.synRetries : cfg.synAckRetries;
            if (c.synRetransmits >= limit) {
                c.tcp.counters.inc(TcpCounter.CONNECTION_TIMEOUTS);
                if (state == TcpState.SYN_SENT) {
                    c.tcp.counters.inc(TcpCounter.FAILED_ATTEMPTS);
                }
                c.terminate(c.softErrorKind != 0 ? new Unreachable("no route to " + c.remote() + " (ICMP)")
                        : new TimedOut("connection to " + c.remote() + " timed out"), false);
                return;
            }
            c.synRetransmits++;
            c.tcp.counters.inc(TcpCounter.SYN_RETRANSMITS);
            if (state == TcpState.SYN_SENT) {
                // RFC 3168 §6.1.1.1: the ECN-setup SYN may have been dropped for its ECN bits; ask no more
                c.offerEcn = false;
            }
            c.rtt.backOffSyn();
            c.tcp.segmentWriter.sendSyn(c, state == TcpState.SYN_RECEIVED);
            c.timers.armRetransmit(c.rtt.rto());
            return;
        }
        if (una == max) {
            return;
        }
        if (firstRtxTime == 0) {
            firstRtxTime = now;
        }
        TcpSocketOptions opts = c.opts;
        boolean userTimeout = opts.userTimeoutNanos > 0 && now - firstRtxTime >= opts.userTimeoutNanos;
        if (userTimeout || (opts.userTimeoutNanos == 0 && c.rtt.backoff() >= cfg.maxRetransmits)) {
            // RFC 9293 §3.8.3 (R2 / user timeout): give up
            c.tcp.counters.inc(userTimeout ? TcpCounter.USER_TIMEOUTS : TcpCounter.CONNECTION_TIMEOUTS);
            c.sendRst();
            c.terminate(c.softErrorKind != 0 ? new Unreachable("destination " + c.remote() + " unreachable (ICMP)")
                    : new TimedOut("connection to " + c.remote() + " timed out"), false);
            return;
        }
        c.tcp.counters.inc(TcpCounter.RTO_TIMEOUTS);
        if (c.tsOk && c.rtt.backoff() == 0) {
            c.eifel().onFirstTimeout(c.tsNow(c.tcp.now())); // RFC 3522 §3.2 (1): the retransmission's TSval
        } else if (c.eifel != null) {
            c.eifel.cancel(); // a second timeout: the state before the first is what an undo needs
        }
        // RFC 5682 §2.1/§3.1 step 1: F-RTO on the first timeout of an episode, without timestamps
        boolean frto = !c.tsOk && cfg.frto && c.rtt.backoff() == 0;
        if (c.frto != null) {
            c.frto.cancel();
        }
        int frtoRecover = max;
        c.recovery().onRetransmitTimeout();
        c.rtt.backOff(); // RFC 6298 §5.5
        c.rtt.stopTiming(); // Karn
        c.traceEvent(TcpTrace.Event.RTO, una, max);
        if (c.rtt.backoff() >= 2) {
            c.scoreboard.clear(); // RFC 2018 §8: the peer may have reneged
        }
        nxt = una; // go back N, skipping SACKed ranges
        c.timers.armRetransmit(c.rtt.rto());
        output();
        if (frto && gt(nxt, una)) {
            c.frto().onFirstTimeout(frtoRecover, nxt); // what this timeout resent: [SND.UNA, SND.NXT)
        }
    }

    /**
     * RFC 5682 step 2 b: instead of going on resending, up to two new segments (SND.NXT =
     * SND.MAX), whatever cwnd; false (and SND.NXT as it was) when none can go (no new data or no
     * room in the peer's window): the conventional recovery continues.
     */
    boolean sendFrtoNewData(long now) {
        int saved = nxt;
        nxt = max;
        int n = sendNewSegment(now);
        if (n == 0) {
            nxt = saved;
            return false;
        }
        sendNewSegment(now);
        return true;
    }

    /** RFC 9293 §3.8.6.1: probe a zero window (or override SWS avoidance) with backoff. */
    void persistTimeout(long now) {
        if (!c.state.synchronized_() || c.state == TcpState.TIME_WAIT || ring == null) {
            return;
        }
        int unsent = ring.size() - (nxt - una);
        if (unsent <= 0) {
            return;
        }
        int usable = Math.min(wnd, c.cc.cwnd()) - (nxt - una);
        c.tcp.counters.inc(TcpCounter.PERSIST_PROBES);
        if (usable <= 0 && nxt != una) {
            // the previous one-byte probe is still unacknowledged: send it again
            c.tcp.segmentWriter.sendSegment(c, una, TcpHeader.ACK_FLAG | TcpHeader.PSH, 0, 1);
        } else {
            // RFC 9293 §3.8.6.1: one octet of new data (or, with a small window, what fits);
            // RFC 3168 §6.1.6: a zero-window probe is not ECN-capable
            int len = usable > 0 ? Math.min(Math.min(unsent, usable), mss) : 1;
            int seq = nxt;
            c.tcp.segmentWriter.sendSegment(c, seq, TcpHeader.ACK_FLAG | TcpHeader.PSH | (usable > 0 ? 0 : SegmentWriter.NOT_ECT),
                    seq - una, len);
            nxt += len;
            if (gt(nxt, max)) {
                max = nxt;
            }
        }
        if (usable > 0) {
            c.timers.armRetransmit(c.rtt.rto());
        } else {
            persistBackoff++;
            c.timers.arm(TcpTimers.Mode.PERSIST, persistInterval());
        }
    }
}
