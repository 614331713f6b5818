package io.tapstack.tcp;

import io.tapstack.NetStack;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.loop.Timer;
import io.tapstack.socket.ConnectionAborted;
import io.tapstack.socket.ConnectionClosed;
import io.tapstack.socket.ConnectionRefused;
import io.tapstack.socket.ConnectionReset;
import io.tapstack.socket.TcpException;
import io.tapstack.socket.TimedOut;
import io.tapstack.socket.Unreachable;
import io.tapstack.tcp.cc.CongestionControl;
import io.tapstack.tcp.cc.CongestionControls;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.inRange;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * One TCP connection: the transmission control block of RFC 9293 §3.3.1 and the
 * application's handle on it. Non-blocking and loop-only: {@link #read}/{@link #write} return
 * counts, readiness is reported to a {@link TcpHandler}, failures as typed
 * {@link TcpException}s.
 *
 * <p>Buffers: a send ring holding every byte from SND.UNA on (unacknowledged, then unsent),
 * from which segments and retransmissions are cut; a receive ring holding in-order bytes for
 * the application, with out-of-order bytes written straight into its free space at their
 * offset from RCV.NXT and tracked as ranges (which become SACK blocks). Both rings are
 * allocated lazily and dropped when the connection ends; no per-segment objects exist.
 *
 * <p>Timers (one reusable {@link Timer} each): retransmission, shared with persist,
 * FIN-WAIT-2 and TIME-WAIT by {@link #timerMode}; delayed ACK; keepalive.
 */
public final class TcpConnection {
    private static final int EV_CONNECTED = 1;
    private static final int EV_READABLE = 2;
    private static final int EV_WRITABLE = 4;
    private static final int EV_CLOSED = 8;

    private static final int TM_NONE = 0;
    private static final int TM_RTX = 1;
    private static final int TM_PERSIST = 2;
    private static final int TM_TIME_WAIT = 3;
    private static final int TM_FIN_WAIT_2 = 4;

    /** Smallest send MSS accepted from a peer (Linux tcp_min_snd_mss; CVE-2019-11479). */
    private static final int MIN_SND_MSS = 48;
    private static final long TS_24_DAYS_NANOS = 24L * 24 * 3600 * 1_000_000_000L;
    private static final int MAX_SACKED = 32;
    /** RFC 6675 §2 DupThresh (RFC 5681's three duplicate ACKs). */
    private static final int DUP_THRESH = 3;

    final Tcp tcp;
    private final NetStack stack;
    private final TcpConfig cfg;
    final long localHi;
    final long localLo;
    final int localPort;
    final long remoteHi;
    final long remoteLo;
    final int remotePort;
    private final TcpSocketOptions opts;

    TcpState state = TcpState.CLOSED;
    boolean inTable;
    boolean passive;
    /** The listener while this connection sits in its SYN queue or accept queue. */
    TcpListener parent;
    boolean accepted;

    // send sequence space (RFC 9293 §3.3.1)
    int iss;
    int sndUna;
    int sndNxt;
    /** Highest sequence number sent + 1 (SND.NXT moves back on retransmission). */
    int sndMax;
    int sndWnd;
    int sndWl1;
    int sndWl2;
    int maxSndWnd;
    private ByteRing sendRing;
    private final int sendBufSize;
    private boolean finQueued;
    private boolean finSent;
    private int sndMss;
    private int peerMss;
    private int pmtu;

    // receive sequence space
    int irs;
    int rcvNxt;
    /** Right edge of the window we advertised (never moved left, RFC 9293 §3.8.6.2.2). */
    private int rcvAdv;
    private ByteRing recvRing;
    private final int recvBufSize;
    private int advMss;
    private int rcvMssEst;
    private boolean rcvFin;
    private boolean oooFinValid;
    private int oooFinSeq;
    private final int[] oooStart;
    private final int[] oooEnd;
    private int oooCount;
    private int lastOooSeq;

    // options (RFC 7323, RFC 2018)
    private boolean offerTs;
    private boolean offerWs;
    private boolean offerSack;
    boolean tsOk;
    boolean sackOk;
    private int sndWscale;
    private int rcvWscale;
    int tsRecent;
    private long tsRecentAge;
    private boolean tsRecentValid;
    private final int tsOffset;
    private int lastAckSent;

    // sender SACK scoreboard (RFC 2018 §5 / §8): ranges above SND.UNA the peer holds
    private final int[] sackedStart = new int[MAX_SACKED];
    private final int[] sackedEnd = new int[MAX_SACKED];
    private int sackedCount;

    // ACK generation
    private boolean ackNow;
    private int pendingAckBytes;

    // RTT and retransmission (RFC 6298)
    private long srtt;
    private long rttvar;
    private long rto;
    private int backoff;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStart;
    private int synRetransmits;
    private long firstRtxTime;
    private int persistBackoff;
    private long lastSendTime;

    // loss recovery (RFC 5681, RFC 6582; with SACK, RFC 6675: "recover" is its RecoveryPoint)
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
     * {@link #reoCandidate} is the highest SACKed octet when {@link #lossTimer} was armed.
     */
    private int timedLostEdge;
    private int reoCandidate;
    private final Timer lossTimer;

    // timers
    private final Timer rtxTimer;
    private int timerMode;
    private final Timer delackTimer;
    private final Timer kaTimer;
    private long lastRecvTime;
    private int kaProbes;

    // statistics
    private long retransTotal;
    private long bytesAcked;
    private long bytesReceived;

    // application side
    TcpHandler handler;
    private TcpException error;
    private int softErrorKind;
    private boolean appClosed;
    private boolean writeBlocked;
    private boolean closedNotified;
    private boolean everEstablished;
    private int events;
    TcpConnection nextNotify;
    boolean notifyQueued;

    TcpConnection(Tcp tcp, long lHi, long lLo, int lport, long rHi, long rLo, int rport, TcpSocketOptions o) {
        this.tcp = tcp;
        this.stack = tcp.stack;
        this.cfg = tcp.config;
        this.localHi = lHi;
        this.localLo = lLo;
        this.localPort = lport;
        this.remoteHi = rHi;
        this.remoteLo = rLo;
        this.remotePort = rport;
        this.opts = o == null ? new TcpSocketOptions() : o.clone();
        this.sendBufSize = opts.sendBufferSize > 0 ? opts.sendBufferSize : cfg.sendBufferSize;
        this.recvBufSize = opts.receiveBufferSize > 0 ? opts.receiveBufferSize : cfg.receiveBufferSize;
        this.oooStart = new int[Math.max(1, cfg.maxOutOfOrderRanges)];
        this.oooEnd = new int[oooStart.length];
        this.tsOffset = tcp.tsOffset(lHi, lLo, rHi, rLo);
        this.rto = cfg.initialRtoNanos;
        this.cc = CongestionControls.create(opts.congestionControl != null ? opts.congestionControl : cfg.congestionControl);
        this.rtxTimer = new Timer(this::onRtxTimer);
        this.delackTimer = new Timer(this::onDelackTimer);
        this.kaTimer = new Timer(this::onKeepaliveTimer);
        this.lossTimer = new Timer(this::onLossTimer);
        this.pmtu = stack.pathMtu(rHi, rLo);
        this.advMss = Math.max(MIN_SND_MSS,
                Math.min(65535, pmtu - stack.ipHeaderLength(rHi, rLo) - TcpHeader.MIN_LENGTH));
        this.rcvMssEst = Math.min(advMss, 536);
        // RFC 7323 §2.3: the smallest shift that lets the window cover the receive buffer
        int ws = 0;
        while (ws < TcpOptions.MAX_WSCALE && (recvBufSize >> ws) > 65535) {
            ws++;
        }
        this.rcvWscale = ws;
        this.lastRecvTime = stack.now();
    }

    // ======================================================================= opening

    /** Active open: SYN-SENT, send <SEQ=ISS><CTL=SYN> (RFC 9293 §3.10.1). */
    void openActive() {
        offerTs = cfg.timestamps;
        offerWs = cfg.windowScaling;
        offerSack = cfg.sack;
        iss = tcp.isn(localHi, localLo, localPort, remoteHi, remoteLo, remotePort);
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        recover = iss; // RFC 6582 §3.2 step 1
        highRxt = iss;
        timedLostEdge = iss;
        state = TcpState.SYN_SENT;
        rttStart = stack.now();
        sendSyn(false);
        armRtx(rto);
    }

    /** Passive open from a SYN in LISTEN (RFC 9293 §3.10.7.2): SYN-RECEIVED, send SYN-ACK. */
    void openPassive(Segment s) {
        irs = s.seq;
        rcvNxt = s.seq + 1;
        negotiate(s, cfg.timestamps, cfg.windowScaling, cfg.sack);
        iss = tcp.isn(localHi, localLo, localPort, remoteHi, remoteLo, remotePort);
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        recover = iss;
        highRxt = iss;
        timedLostEdge = iss;
        // RFC 7323 §2.2: the window in a SYN is never scaled
        sndWnd = s.window;
        sndWl1 = s.seq;
        sndWl2 = iss;
        maxSndWnd = sndWnd;
        state = TcpState.SYN_RECEIVED;
        rttStart = stack.now();
        sendSyn(true);
        armRtx(rto);
    }

    /** A connection rebuilt from a valid SYN-cookie ACK (RFC 4987 §3.6): no WS/TS/SACK. */
    void openFromCookie(Segment s, int cookieIss, int cookieIrs, int mss) {
        iss = cookieIss;
        irs = cookieIrs;
        rcvNxt = cookieIrs + 1;
        sndUna = s.ack;
        sndNxt = s.ack;
        sndMax = s.ack;
        recover = cookieIss;
        highRxt = s.ack;
        timedLostEdge = s.ack;
        peerMss = mss;
        rcvWscale = 0;
        sndWscale = 0;
        sndWnd = s.window;
        sndWl1 = s.seq;
        sndWl2 = s.ack;
        maxSndWnd = sndWnd;
        rcvAdv = rcvNxt + Math.min(recvBufSize, 65535);
        lastAckSent = rcvNxt;
        established();
    }

    /** Applies the options of a SYN: what both sides offered is in force (RFC 7323 §1.3, RFC 2018 §2). */
    private void negotiate(Segment s, boolean ts, boolean ws, boolean sack) {
        TcpOptions o = s.opts;
        peerMss = o.hasMss ? o.mss : Tcp.defaultMss(remoteHi, remoteLo);
        tsOk = ts && o.hasTimestamp;
        offerTs = tsOk;
        if (tsOk) {
            tsRecent = o.tsVal;
            tsRecentAge = stack.now();
            tsRecentValid = true;
        }
        if (ws && o.hasWscale) {
            sndWscale = o.wscale;
            offerWs = true;
        } else {
            sndWscale = 0;
            rcvWscale = 0;
            offerWs = false;
        }
        sackOk = sack && o.sackPermitted;
        offerSack = sackOk;
    }

    private void computeMss() {
        int mtuMss = pmtu - stack.ipHeaderLength(remoteHi, remoteLo) - TcpHeader.MIN_LENGTH;
        int m = Math.min(peerMss, mtuMss);
        if (tsOk) {
            m -= 12;
        }
        sndMss = Math.max(MIN_SND_MSS, m);
    }

    private void established() {
        state = TcpState.ESTABLISHED;
        everEstablished = true;
        tcp.establishedChanged(1);
        computeMss();
        cc.init(sndMss);
        if (opts.keepAlive) {
            armKeepalive();
        }
        if (!passive) {
            post(EV_CONNECTED | EV_WRITABLE);
        }
    }

    // ======================================================================= input

    /** RFC 9293 §3.10.7: SEGMENT ARRIVES for this connection. */
    void segmentArrives(Segment s) {
        long now = stack.now();
        lastRecvTime = now;
        kaProbes = 0;
        switch (state) {
            case SYN_SENT -> synSentInput(s, now);
            case CLOSED, LISTEN -> { }
            default -> synchronizedInput(s, now);
        }
        if (state != TcpState.CLOSED) {
            output();
        }
    }

    /** RFC 9293 §3.10.7.3. */
    private void synSentInput(Segment s, long now) {
        if (s.hasAck() && (le(s.ack, iss) || gt(s.ack, sndMax))) {
            // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)"
            tcp.counters.inc(TcpCounter.DROP_BAD_SYN_ACK);
            if (!s.rst()) {
                tcp.sendReset(localHi, localLo, localPort, remoteHi, remoteLo, remotePort, s.ack, 0, TcpHeader.RST);
            }
            return;
        }
        if (s.rst()) {
            // RFC 5961 §3.2 / RFC 9293: a RST is acceptable in SYN-SENT only if it acks our SYN
            if (s.hasAck()) {
                tcp.counters.inc(TcpCounter.RSTS_RECEIVED);
                tcp.counters.inc(TcpCounter.FAILED_ATTEMPTS);
                terminate(new ConnectionRefused("connection refused by " + remote()), false);
            } else {
                tcp.counters.inc(TcpCounter.DROP_RST_OUT_OF_WINDOW);
            }
            return;
        }
        if (!s.syn()) {
            tcp.counters.inc(TcpCounter.DROP_NO_ACK);
            return;
        }
        irs = s.seq;
        rcvNxt = s.seq + 1;
        negotiate(s, offerTs, offerWs, offerSack);
        lastAckSent = rcvNxt;
        rcvAdv = rcvNxt + Math.min(recvBufSize, 65535); // what our SYN offered
        if (s.hasAck()) {
            sndUna = s.ack;
            if (synRetransmits == 0) {
                rttSample(now - rttStart);
            } else {
                rto = Math.max(rto, 3_000_000_000L); // RFC 6298 §5.7
            }
            backoff = 0;
            cancelRtx();
            // RFC 7323 §2.2: the window of a SYN-ACK is not scaled
            sndWnd = s.window;
            sndWl1 = s.seq;
            sndWl2 = s.ack;
            maxSndWnd = sndWnd;
            established();
            ackNow = true;
        } else {
            // Simultaneous open (RFC 9293 §3.5, Figure 8): SYN-RECEIVED, send SYN,ACK
            state = TcpState.SYN_RECEIVED;
            sndWnd = s.window;
            sndWl1 = s.seq;
            sndWl2 = iss;
            maxSndWnd = sndWnd;
            sendSyn(true);
            armRtx(rto);
        }
    }

    /** RFC 9293 §3.10.7.4: every state from SYN-RECEIVED on. */
    private void synchronizedInput(Segment s, long now) {
        int segLen = s.segLen();
        if (state == TcpState.SYN_RECEIVED && s.syn() && !s.hasAck() && !s.rst() && s.seq == irs) {
            // the peer did not get our SYN,ACK: send it again
            sendSyn(true);
            return;
        }
        if (state == TcpState.SYN_RECEIVED && s.syn() && s.hasAck() && !s.rst() && s.seq == irs
                && inRange(s.ack, sndUna + 1, sndMax + 1)) {
            // simultaneous open (RFC 9293 Figure 8): the peer's SYN,ACK repeats its SYN and
            // acknowledges ours; take it as the ACK that completes the handshake
            s.seq = irs + 1;
            s.flags &= ~TcpHeader.SYN;
            segLen = s.segLen();
        }
        // RFC 7323 §5.3 PAWS: reject segments with an old timestamp (never a RST)
        if (tsOk && s.opts.hasTimestamp && !s.rst() && tsRecentValid && lt(s.opts.tsVal, tsRecent)) {
            if (now - tsRecentAge > TS_24_DAYS_NANOS) {
                tsRecentValid = false; // RFC 7323 §5.5: an idle connection's TS.Recent expires
            } else {
                tcp.counters.inc(TcpCounter.PAWS_REJECTED);
                tcp.counters.inc(TcpCounter.DROP_PAWS);
                sendAck();
                return;
            }
        }
        // first: check the sequence number (RFC 9293 §3.10.7.4, the four cases)
        int rcvWnd = Math.max(0, rcvAdv - rcvNxt);
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
                } else {
                    tcp.counters.inc(TcpCounter.DROP_OUT_OF_WINDOW);
                }
                if (state == TcpState.TIME_WAIT && s.fin()) {
                    // RFC 9293 §3.10.7.4 eighth, TIME-WAIT: ack the retransmitted FIN, restart 2 MSL
                    armTimer(TM_TIME_WAIT, cfg.timeWaitNanos());
                }
                if (s.syn()) {
                    challengeAck();
                } else {
                    sendAck();
                }
                return;
            }
        }
        // second: RST (RFC 5961 §3.2: exact match resets, in-window gets a challenge ACK)
        if (s.rst()) {
            if (state == TcpState.TIME_WAIT) {
                // RFC 1337 §3 (TIME-WAIT assassination): ignore RSTs in TIME-WAIT
                return;
            }
            if (s.seq == rcvNxt) {
                tcp.counters.inc(TcpCounter.RSTS_RECEIVED);
                resetReceived();
            } else {
                challengeAck();
            }
            return;
        }
        // fourth: SYN in a synchronized state (RFC 5961 §4.2, RFC 9293 §3.10.7.4)
        if (s.syn()) {
            challengeAck();
            return;
        }
        // fifth: ACK
        if (!s.hasAck()) {
            tcp.counters.inc(TcpCounter.DROP_NO_ACK);
            return;
        }
        if (state == TcpState.SYN_RECEIVED) {
            if (inRange(s.ack, sndUna + 1, sndMax + 1)) {
                if (!completePassiveOpen(s, now)) {
                    return;
                }
            } else {
                tcp.sendReset(localHi, localLo, localPort, remoteHi, remoteLo, remotePort, s.ack, 0, TcpHeader.RST);
                return;
            }
        }
        // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA − MAX.SND.WND, SND.NXT]
        if (gt(s.ack, sndMax)) {
            tcp.counters.inc(TcpCounter.DROP_ACK_UNSENT);
            sendAck();
            return;
        }
        if (lt(s.ack, sndUna - Math.max(maxSndWnd, 1))) {
            tcp.counters.inc(TcpCounter.DROP_ACK_TOO_OLD);
            sendAck();
            return;
        }
        // RFC 7323 §4.3: remember the timestamp to echo
        if (tsOk && s.opts.hasTimestamp && le(s.seq, lastAckSent)
                && (!tsRecentValid || ge(s.opts.tsVal, tsRecent))) {
            tsRecent = s.opts.tsVal;
            tsRecentAge = now;
            tsRecentValid = true;
        }
        processAck(s, segLen, now);
        if (state == TcpState.CLOSED) {
            return;
        }
        // sixth (URG) is not supported: RFC 6093 §5 recommends against urgent data
        // seventh: segment text
        int dataSeq = s.seq;
        int off = s.dataOff;
        int len = s.dataLen;
        boolean fin = s.fin();
        if (ackOnly) {
            len = 0;
            fin = false;
            ackNow = true;
        }
        if (lt(dataSeq, rcvNxt)) {
            int d = rcvNxt - dataSeq;
            if (d >= len) {
                if (fin && lt(dataSeq + len, rcvNxt)) {
                    fin = false;
                }
                dataSeq += len;
                len = 0;
            } else {
                off += d;
                len -= d;
                dataSeq = rcvNxt;
            }
        }
        int winEnd = rcvNxt + rcvWnd;
        if (gt(dataSeq + len, winEnd)) {
            len = Math.max(0, winEnd - dataSeq);
            fin = false;
        }
        if (len > 0) {
            if (!state.canReceive()) {
                // data after the peer's FIN: ignore (RFC 9293 §3.10.7.4 seventh, CLOSE-WAIT…)
                len = 0;
            } else if (appClosed) {
                // RFC 9293 §3.10.4 / RFC 2525 §2.17: nobody will read this; reset
                tcp.counters.inc(TcpCounter.ABORT_ON_CLOSE);
                sendRst();
                terminate(new ConnectionAborted("data arrived after close"), false);
                return;
            } else {
                int took = receiveData(dataSeq, s.buf, off, len);
                if (took < len) {
                    fin = false;
                }
                len = took;
            }
        }
        if (fin && state.canReceive()) {
            int finSeq = dataSeq + len;
            if (finSeq == rcvNxt) {
                finReceived();
            } else if (gt(finSeq, rcvNxt)) {
                // a FIN beyond a hole: remembered until the hole fills
                oooFinValid = true;
                oooFinSeq = finSeq;
                ackNow = true;
            }
        }
        if (oooFinValid && oooFinSeq == rcvNxt && !rcvFin && state.canReceive()) {
            finReceived();
        }
    }

    /** SYN-RECEIVED + acceptable ACK → ESTABLISHED; false when the accept queue is full. */
    private boolean completePassiveOpen(Segment s, long now) {
        TcpListener l = parent;
        if (passive && l != null) {
            if (l.closed) {
                sendRst();
                terminate(null, false);
                return false;
            }
            if (l.acceptQueue.size() >= l.backlog) {
                // Linux: leave the handshake unfinished; our SYN,ACK will be retransmitted
                tcp.counters.inc(TcpCounter.LISTEN_OVERFLOWS);
                tcp.counters.inc(TcpCounter.DROP_ACCEPT_QUEUE_FULL);
                return false;
            }
            l.synQueued--;
        }
        if (synRetransmits == 0) {
            rttSample(now - rttStart);
        }
        backoff = 0;
        sndUna = sndUna + 1; // our SYN is acknowledged
        sndWnd = s.window << sndWscale;
        sndWl1 = s.seq;
        sndWl2 = s.ack;
        maxSndWnd = Math.max(maxSndWnd, sndWnd);
        cancelRtx();
        established();
        if (passive && l != null) {
            l.acceptQueue.add(this);
            tcp.queueNotify(l);
        }
        return true;
    }

    /** ACK processing (RFC 9293 §3.10.7.4 fifth; RFC 5681; RFC 6582; RFC 6298). */
    private void processAck(Segment s, int segLen, long now) {
        int acked = s.ack - sndUna;
        int flightBefore = sndMax - sndUna;
        int oldWnd = sndWnd;
        // window update (RFC 9293 §3.10.7.4: SND.WL1/SND.WL2 guard against old segments)
        if (lt(sndWl1, s.seq) || (sndWl1 == s.seq && le(sndWl2, s.ack))) {
            sndWnd = s.window << sndWscale;
            sndWl1 = s.seq;
            sndWl2 = s.ack;
            if (sndWnd > maxSndWnd) {
                maxSndWnd = sndWnd;
            }
            if (sndWnd > 0 && timerMode == TM_PERSIST) {
                // the window opened: leave persist; a probe byte still unacked goes again now
                cancelRtx();
                persistBackoff = 0;
                if (lt(sndUna, sndNxt) && le(s.ack, sndUna)) {
                    sndNxt = sndUna;
                }
            }
        }
        boolean newSack = false;
        if (sackOk && s.opts.sackCount > 0) {
            newSack = updateScoreboard(s);
        }
        if (acked > 0) {
            int ringSize = sendRing == null ? 0 : sendRing.size();
            int dataAcked = acked;
            boolean finAcked = false;
            if (finSent && s.ack == sndUna + ringSize + 1) {
                finAcked = true;
                dataAcked = ringSize;
            }
            dataAcked = Math.min(dataAcked, ringSize);
            if (dataAcked > 0) {
                sendRing.skip(dataAcked);
            }
            bytesAcked += dataAcked;
            sndUna = s.ack;
            if (lt(sndNxt, sndUna)) {
                sndNxt = sndUna;
            }
            pruneScoreboard();
            if (!lt(sndUna, highRxt)) {
                highRxt = sndUna;
            }
            if (!lt(sndUna, timedLostEdge)) {
                timedLostEdge = sndUna; // kept near SND.UNA so that sequence wrap never revives it
            }
            // RTT sample: RFC 7323 §4.1 (timestamps), else one timed segment with Karn's rule
            long sample = -1;
            if (tsOk && s.opts.hasTimestamp && s.opts.tsEcr != 0) {
                int ms = tsNow(now) - s.opts.tsEcr;
                if (ms >= 0 && ms < 600_000) {
                    sample = ms * 1_000_000L;
                }
            } else if (rttTiming && gt(s.ack, rttSeq)) {
                sample = now - rttStart;
                rttTiming = false;
            }
            if (sample >= 0) {
                rttSample(sample);
            }
            backoff = 0;
            firstRtxTime = 0;
            // the new first hole, if already resent, was resent no later than now
            headRxtTime = lt(sndUna, highRxt) ? now : 0;
            if (inRecovery) {
                if (ge(s.ack, recover)) {
                    // RFC 6582 §3.2 step 3 / RFC 6675 §5 (A): full acknowledgment ends recovery;
                    // the scoreboard above SND.UNA is kept
                    inRecovery = false;
                    sackRecovery = false;
                    dupAcks = 0;
                    cc.onExitRecovery(sndMax - sndUna);
                } else if (sackRecovery) {
                    // RFC 6675 §5 (B): a partial ACK; output() runs SetPipe and (C) afterwards
                    tcp.counters.inc(TcpCounter.PARTIAL_ACKS);
                } else {
                    // RFC 6582 §3.2 step 3: partial acknowledgment: resend the next hole
                    tcp.counters.inc(TcpCounter.PARTIAL_ACKS);
                    cc.onPartialAck(dataAcked);
                    retransmitFirst();
                }
            } else {
                dupAcks = 0;
                cc.onAck(dataAcked, flightBefore, sample, now);
            }
            // RFC 6298 §5.2/§5.3: stop the timer when all is acked, else restart it
            if (sndUna == sndMax) {
                if (timerMode == TM_RTX) {
                    cancelRtx();
                }
            } else if (timerMode != TM_PERSIST) {
                armRtx(rto);
            }
            if (finAcked) {
                finAcked();
                if (state == TcpState.CLOSED) {
                    return;
                }
            }
            if (dataAcked > 0 && writeBlocked && sendRing.free() >= Math.min(sendBufSize / 2, Math.max(sndMss, 1) * 4)) {
                writeBlocked = false;
                post(EV_WRITABLE);
            }
        } else if (acked == 0 && segLen == 0 && sndMax != sndUna
                && ((sndWnd == oldWnd && sndWnd != 0) || newSack)) {
            // RFC 5681 §2: a duplicate ACK; with SACK, an ACK that SACKs new data counts too
            // ("if the ACK contains previously unknown SACK information"), whatever its window:
            // Linux's advertised window moves by a few units while out-of-order data is queued,
            // and the strict definition then misses most duplicates and waits for the RTO.
            dupAcks++;
            tcp.counters.inc(TcpCounter.DUP_ACKS);
            if (inRecovery) {
                if (!sackRecovery) {
                    cc.onDupAckInRecovery(); // RFC 5681 §3.2 step 4
                }
            } else if (!sackOk && dupAcks == DUP_THRESH && gt(s.ack, recover)) {
                // RFC 5681 §3.2 steps 2–3, entered only when the ACK covers more than
                // "recover" (RFC 6582 §3.2 step 2)
                inRecovery = true;
                recover = sndMax;
                tcp.counters.inc(TcpCounter.FAST_RETRANSMITS);
                tcp.counters.inc(TcpCounter.RECOVERY_EPISODES);
                cc.onEnterRecovery(sndMax - sndUna);
                rttTiming = false;
                retransmitFirst();
                armRtx(rto);
            }
        }
        if (sackOk && sackedCount > 0 && !lossTimer.isScheduled()) {
            int high = sackedEnd[sackedCount - 1];
            if (gt(high, timedLostEdge) || !lt(sndUna, timedLostEdge)) {
                reoCandidate = high;
                stack.timers().schedule(lossTimer, now + reorderWindow());
            }
        }
        if (sackOk && sndMax != sndUna) {
            if (acked == 0 && newSack && headRetransmissionLost(now)) {
                tcp.counters.inc(TcpCounter.LOST_RETRANSMITS);
                retransmitAt(sndUna, sackedStartAfter(sndUna), now);
            }
            // RFC 6675 §5: enter recovery on DupThresh duplicates (step 1) or IsLost(HighACK+1)
            // (step 2) — checked on every ACK, as the scoreboard may show loss above a partial
            // advance — unless a previous recovery (or timeout, §5.1) has not yet passed RecoveryPoint
            if (!inRecovery && sndNxt == sndMax && ge(sndUna, recover)
                    && (dupAcks >= DUP_THRESH || lt(sndUna, lostEdge()))) {
                enterSackRecovery(now);
            }
        }
    }

    /** RFC 6675 §5 step (4): fast retransmit and loss recovery with the pipe estimate. */
    private void enterSackRecovery(long now) {
        inRecovery = true;
        sackRecovery = true;
        recover = sndMax; // (4.1) RecoveryPoint = HighData
        tcp.counters.inc(TcpCounter.FAST_RETRANSMITS);
        tcp.counters.inc(TcpCounter.RECOVERY_EPISODES);
        tcp.counters.inc(TcpCounter.SACK_RECOVERY_EPISODES);
        cc.onEnterSackRecovery(sndMax - sndUna); // (4.2)
        rttTiming = false;
        // (4.3) resend HighACK+1; HighRxt and RescueRxt to its end
        highRxt = sndUna;
        int n = retransmitAt(sndUna, sackedStartAfter(sndUna), now);
        highRxt = sndUna + n;
        rescueRxt = highRxt;
        rescueValid = true;
        tcp.counters.inc(TcpCounter.SACK_HOLES_RETRANSMITTED);
        armRtx(rto);
        // (4.4)–(4.5): output() runs SetPipe and step (C) after this ACK
    }

    /**
     * The retransmission of the segment at SND.UNA is presumed lost: the ACK SACKs new data
     * and arrives more than an RTT (+ a quarter, at least 1 ms, for reordering) after that
     * retransmission, so it acknowledges data sent after it (the time-based idea of RFC 8985
     * §6.2, applied to the first hole only). Without this, a lost retransmission waits for the RTO.
     */
    private boolean headRetransmissionLost(long now) {
        if (headRxtTime == 0 || !lt(sndUna, highRxt) || srtt == 0) {
            return false;
        }
        return now - headRxtTime > srtt + Math.max(srtt >> 2, 1_000_000L);
    }

    private void finAcked() {
        switch (state) {
            case FIN_WAIT_1 -> {
                state = TcpState.FIN_WAIT_2;
                if (appClosed) {
                    armTimer(TM_FIN_WAIT_2, cfg.finWait2TimeoutNanos);
                }
            }
            case CLOSING -> enterTimeWait();
            case LAST_ACK -> terminate(null, false);
            default -> { }
        }
    }

    /** In-order data goes to the ring; out-of-order data to its place in the free space. */
    private int receiveData(int seq, ByteBuffer b, int off, int len) {
        if (recvRing == null) {
            recvRing = new ByteRing(recvBufSize);
        }
        int room = recvRing.free();
        int at = seq - rcvNxt;
        if (at + len > room) {
            len = room - at;
            if (len <= 0) {
                tcp.counters.inc(TcpCounter.DROP_OUT_OF_WINDOW);
                ackNow = true;
                return 0;
            }
        }
        if (len > rcvMssEst) {
            rcvMssEst = Math.min(len, advMss);
        }
        if (at == 0) {
            recvRing.writeAt(0, b, off, len);
            recvRing.commit(len);
            rcvNxt += len;
            bytesReceived += len;
            // pull in out-of-order data that is now contiguous
            boolean filled = false;
            while (oooCount > 0 && le(oooStart[0], rcvNxt)) {
                int end = oooEnd[0];
                if (gt(end, rcvNxt)) {
                    int n = end - rcvNxt;
                    recvRing.commit(n);
                    bytesReceived += n;
                    rcvNxt = end;
                }
                removeOoo(0);
                filled = true;
            }
            post(EV_READABLE);
            pendingAckBytes += len;
            if (filled || oooCount > 0) {
                ackNow = true; // RFC 5681 §4.2: ACK at once when a hole is filled
            } else if (pendingAckBytes >= 2 * rcvMssEst) {
                ackNow = true; // RFC 9293 §3.8.6.3 / RFC 5681 §4.2: every second full segment
            } else if (!delackTimer.isScheduled()) {
                stack.timers().schedule(delackTimer, stack.now() + cfg.delayedAckNanos);
            }
        } else {
            // RFC 9293 §3.10.7.4 seventh: keep it; RFC 5681 §4.2: immediate (duplicate) ACK
            tcp.counters.inc(TcpCounter.OUT_OF_ORDER_SEGMENTS);
            ackNow = true;
            if (!addOoo(seq, seq + len)) {
                tcp.counters.inc(TcpCounter.DROP_OOO_QUEUE_FULL);
                return 0;
            }
            recvRing.writeAt(at, b, off, len);
            lastOooSeq = seq;
        }
        return len;
    }

    /** Inserts [start, end) into the sorted, disjoint out-of-order ranges; false when full. */
    private boolean addOoo(int start, int end) {
        int i = 0;
        while (i < oooCount && lt(oooEnd[i], start)) {
            i++;
        }
        // ranges i.. that touch or overlap [start, end) merge into one
        int j = i;
        while (j < oooCount && le(oooStart[j], end)) {
            if (lt(oooStart[j], start)) {
                start = oooStart[j];
            }
            if (gt(oooEnd[j], end)) {
                end = oooEnd[j];
            }
            j++;
        }
        int merged = j - i;
        if (merged == 0) {
            if (oooCount == oooStart.length) {
                return false;
            }
            System.arraycopy(oooStart, i, oooStart, i + 1, oooCount - i);
            System.arraycopy(oooEnd, i, oooEnd, i + 1, oooCount - i);
            oooCount++;
        } else if (merged > 1) {
            System.arraycopy(oooStart, j, oooStart, i + 1, oooCount - j);
            System.arraycopy(oooEnd, j, oooEnd, i + 1, oooCount - j);
            oooCount -= merged - 1;
        }
        oooStart[i] = start;
        oooEnd[i] = end;
        return true;
    }

    private void removeOoo(int i) {
        System.arraycopy(oooStart, i + 1, oooStart, i, oooCount - i - 1);
        System.arraycopy(oooEnd, i + 1, oooEnd, i, oooCount - i - 1);
        oooCount--;
    }

    /** RFC 9293 §3.10.7.4 eighth: the FIN. */
    private void finReceived() {
        rcvNxt += 1;
        rcvFin = true;
        oooFinValid = false;
        ackNow = true;
        post(EV_READABLE);
        switch (state) {
            case SYN_RECEIVED, ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> state = TcpState.CLOSING; // our FIN is not yet acked (else FIN-WAIT-2)
            case FIN_WAIT_2 -> enterTimeWait();
            default -> { }
        }
    }

    private void resetReceived() {
        // RFC 9293 §3.10.7.4 second
        switch (state) {
            case SYN_RECEIVED -> {
                if (passive) {
                    terminate(null, false); // back to LISTEN: just forget it
                } else {
                    terminate(new ConnectionRefused("connection refused by " + remote()), false);
                }
            }
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> {
                tcp.counters.inc(TcpCounter.ESTABLISHED_RESETS);
                if (recvRing != null) {
                    recvRing.clear(); // "all segment queues should be flushed"
                }
                terminate(new ConnectionReset("connection reset by " + remote()), false);
            }
            default -> terminate(null, false); // CLOSING, LAST-ACK
        }
    }

    private void challengeAck() {
        // RFC 5961 §3.2, §4.2 with the rate limit of §7
        if (tcp.challengeAllowed()) {
            sendAck();
        }
    }

    /** TIME-WAIT for 2·MSL (RFC 9293 §3.10.7.4), unless the table of them is full. */
    private void enterTimeWait() {
        state = TcpState.TIME_WAIT;
        tcp.establishedChanged(-1);
        cancelTimer(delackTimer);
        cancelTimer(kaTimer);
        cancelTimer(lossTimer);
        sendRing = null;
        tcp.timeWaitEntered();
        if (tcp.timeWaitFull()) {
            tcp.counters.inc(TcpCounter.TIME_WAIT_RECYCLED);
            tcp.counters.inc(TcpCounter.DROP_TIME_WAIT_LIMIT);
            ackNow = true;
            output();
            terminate(null, false);
            return;
        }
        armTimer(TM_TIME_WAIT, cfg.timeWaitNanos());
        post(EV_CLOSED);
    }

    /** RFC 6191 §2: may a new SYN reuse this TIME-WAIT connection? */
    boolean acceptsNewSyn(Segment s) {
        if (tsOk && s.opts.hasTimestamp) {
            return gt(s.opts.tsVal, tsRecent);
        }
        return gt(s.seq, rcvNxt); // RFC 1122 §4.2.2.13
    }

    // ======================================================================= output

    /** The send side's decision of what to transmit now (RFC 9293 §3.8.6, §3.7.4). */
    void output() {
        switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK, FIN_WAIT_2 -> { }
            case TIME_WAIT -> {
                if (ackNow) {
                    sendAck();
                }
                return;
            }
            default -> {
                return;
            }
        }
        long now = stack.now();
        int ringSize = sendRing == null ? 0 : sendRing.size();
        if (sndUna == sndMax && ringSize > 0 && lastSendTime != 0 && now - lastSendTime > rto) {
            cc.onIdleRestart(); // RFC 5681 §4.1
        }
        // RFC 6675 §5 (B.2) SetPipe and (C) NextSeg rule 1 (lost holes) before rule 2 (new data)
        int pipe = -1;
        if (inRecovery && sackRecovery) {
            pipe = sackRetransmit(setPipe(), true, now);
        }
        int guard = 0;
        while (guard++ < 100_000) {
            if (lt(sndNxt, sndMax) && sackedCount > 0) {
                int e = sackedEndAt(sndNxt);
                if (e != sndNxt) {
                    sndNxt = e; // RFC 2018 §8 / RFC 6675: do not resend what the peer holds
                    continue;
                }
            }
            int off = sndNxt - sndUna;
            int avail = Math.max(0, ringSize - off);
            int flight = sndNxt - sndUna;
            if (lt(sndNxt, sndMax) && sackedCount > 0) {
                // after a timeout (RFC 6675 §5.1): SACKed bytes below SND.NXT are not in flight
                flight -= sackedBytesIn(sndUna, sndNxt);
            }
            int cwnd = cc.cwnd();
            if (!inRecovery && dupAcks > 0 && dupAcks < 3 && sndNxt == sndMax) {
                // RFC 3042 limited transmit: one new segment for each of the first two duplicate
                // ACKs, cwnd unchanged, so a small window still produces the third duplicate
                cwnd += dupAcks * sndMss;
            }
            int wnd = Math.min(sndWnd, cwnd);
            int usable = Math.max(0, wnd - flight);
            if (pipe >= 0) {
                // RFC 6675 §5 (C) rule 2: new data while cwnd − pipe ≥ 1 SMSS, within the peer's window
                usable = cwnd - pipe >= sndMss ? Math.max(0, Math.min(sndWnd - flight, cwnd - pipe)) : 0;
            }
            boolean retransmitting = lt(sndNxt, sndMax);
            int sackRoom = sackBlocksToSend() > 0 ? 4 + 8 * sackBlocksToSend() : 0;
            int tso = sackRoom == 0 && !retransmitting ? stack.maxGsoPayload(remoteHi, remoteLo) : 0;
            int len = Math.min(avail, Math.max(sndMss, tso));
            if (len > sndMss - sackRoom && tso == 0) {
                len = Math.max(1, sndMss - sackRoom);
            }
            if (len > usable) {
                len = usable;
            }
            if (len > sndMss) {
                // A TSO segment is whole MSS-sized pieces, plus the tail only when Nagle would
                // send that tail on its own (RFC 9293 §3.7.4).
                boolean tailOk = off + len == ringSize && (opts.noDelay || sndMax == sndUna || finQueued);
                if (!tailOk) {
                    len -= len % sndMss;
                }
            }
            // The FIN goes once at the end of the queued data; again only when SND.NXT was wound
            // back below it (a retransmission). Once it is sent and SND.NXT has passed it, never a
            // second FIN one sequence number later (RFC 9293 §3.10.4, §3.10.7.4).
            boolean canFin = finQueued && off + len == ringSize && (!finSent || lt(sndNxt + len, sndMax));
            boolean send = false;
            if (len > 0) {
                if (len >= sndMss - sackRoom) {
                    send = true; // a full segment
                } else if (off + len == ringSize && (opts.noDelay || sndMax == sndUna || finQueued)) {
                    send = true; // RFC 9293 §3.7.4 Nagle: everything queued, nothing unacked (or NODELAY)
                } else if (maxSndWnd > 0 && len >= maxSndWnd / 2) {
                    send = true; // RFC 9293 §3.8.6.2.1 (b): at least half the largest window
                } else if (retransmitting) {
                    send = true;
                }
            }
            if (!send && canFin && avail == len) {
                send = true; // the FIN (with the last data, if any)
            }
            if (!send) {
                break;
            }
            int flags = TcpHeader.ACK_FLAG;
            if (canFin) {
                flags |= TcpHeader.FIN;
            }
            if (len > 0 && off + len == ringSize) {
                flags |= TcpHeader.PSH;
            }
            if (retransmitting) {
                tcp.counters.inc(TcpCounter.RETRANSMITTED_SEGMENTS);
                retransTotal++;
                if (sackOk) {
                    tcp.counters.inc(TcpCounter.RTO_RECOVERY_RETRANSMITS);
                }
            }
            if (!sendSegment(sndNxt, flags, off, len)) {
                break;
            }
            if (retransmitting) {
                if (sndNxt == sndUna) {
                    headRxtTime = now;
                }
                if (gt(sndNxt + len, highRxt)) {
                    highRxt = sndNxt + len;
                }
            }
            if (pipe >= 0) {
                pipe += len + (canFin ? 1 : 0);
            }
            if (!retransmitting && !tsOk && !rttTiming && len > 0) {
                rttTiming = true;
                rttSeq = sndNxt;
                rttStart = now;
            }
            sndNxt += len + (canFin ? 1 : 0);
            if (canFin) {
                finSent = true;
            }
            if (gt(sndNxt, sndMax)) {
                sndMax = sndNxt;
            }
            if (timerMode != TM_RTX || !rtxTimer.isScheduled()) {
                armRtx(rto);
            }
            if (canFin) {
                break;
            }
        }
        if (pipe >= 0) {
            sackRetransmit(pipe, false, now); // NextSeg rules 3 and 4 once rule 2 has nothing
        }
        // RFC 9293 §3.8.6.1 persist timer (zero window) and §3.8.6.2.1 SWS override timeout
        int unsent = ringSize - (sndNxt - sndUna);
        if (unsent > 0 && sndMax == sndUna && !rtxTimer.isScheduled()) {
            armTimer(TM_PERSIST, persistInterval());
        }
        if (ackNow) {
            sendAck();
        }
    }

    private long persistInterval() {
        long base = Math.max(rto, cfg.minRtoNanos);
        long t = base << Math.min(persistBackoff, 16);
        return Math.min(Math.max(t, cfg.minRtoNanos), cfg.maxRtoNanos);
    }

    /** Resends the first unacknowledged segment (fast retransmit, partial ACK). */
    private void retransmitFirst() {
        int ringSize = sendRing == null ? 0 : sendRing.size();
        int len = Math.min(ringSize, sndMss);
        int flags = TcpHeader.ACK_FLAG;
        if (finSent && len == ringSize) {
            flags |= TcpHeader.FIN;
        }
        if (len == 0 && (flags & TcpHeader.FIN) == 0) {
            return;
        }
        tcp.counters.inc(TcpCounter.RETRANSMITTED_SEGMENTS);
        retransTotal++;
        sendSegment(sndUna, flags, 0, len);
    }

    private void sendAck() {
        sendSegment(sndNxt, TcpHeader.ACK_FLAG, 0, 0);
    }

    private void sendRst() {
        tcp.sendReset(localHi, localLo, localPort, remoteHi, remoteLo, remotePort, sndNxt, rcvNxt,
                TcpHeader.RST | TcpHeader.ACK_FLAG);
    }

    /** SYN (active) or SYN,ACK (passive/simultaneous) with the options we offer or accept. */
    private void sendSyn(boolean withAck) {
        int flags = TcpHeader.SYN | (withAck ? TcpHeader.ACK_FLAG : 0);
        sendSegment(iss, flags, 0, 0);
    }

    private int sackBlocksToSend() {
        if (!sackOk || oooCount == 0) {
            return 0;
        }
        return Math.min(oooCount, tsOk ? 3 : 4);
    }

    private int tsNow(long now) {
        return (int) (now / 1_000_000L) + tsOffset;
    }

    /** The window to advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance; never shrinks). */
    private int receiveWindow() {
        int free = recvRing == null ? recvBufSize : recvRing.free();
        int cur = Math.max(0, rcvAdv - rcvNxt);
        int win = free;
        if (win > cur && win - cur < Math.min(recvBufSize / 2, advMss)) {
            win = cur; // do not advance the right edge by less than min(buffer/2, MSS)
        }
        win = Math.max(win, cur);
        return Math.min(win, 65535 << rcvWscale);
    }

    /** Builds and sends one segment; {@code off}/{@code len} select bytes of the send ring. */
    private boolean sendSegment(int seq, int flags, int off, int len) {
        boolean syn = (flags & TcpHeader.SYN) != 0;
        PacketBuf p = stack.allocate(TcpHeader.MAX_LENGTH + len);
        if (p == null) {
            tcp.counters.inc(TcpCounter.DROP_NO_BUFFER);
            return false;
        }
        ByteBuffer b = p.buf();
        long now = stack.now();
        int at = p.start();
        int o = at + TcpHeader.MIN_LENGTH;
        int sackN = 0;
        if (syn) {
            o += TcpOptions.writeMss(b, o, Math.min(advMss, 65535));
            if (offerTs && offerSack) {
                o += TcpOptions.writeSackPermTimestamp(b, o, tsNow(now), (flags & TcpHeader.ACK_FLAG) != 0 ? tsRecent : 0);
            } else if (offerTs) {
                o += TcpOptions.writeTimestamp(b, o, tsNow(now), (flags & TcpHeader.ACK_FLAG) != 0 ? tsRecent : 0);
            } else if (offerSack) {
                o += TcpOptions.writeSackPermitted(b, o);
            }
            if (offerWs) {
                o += TcpOptions.writeNopWscale(b, o, rcvWscale);
            }
        } else {
            if (tsOk) {
                o += TcpOptions.writeTimestamp(b, o, tsNow(now), tsRecent);
            }
            sackN = sackBlocksToSend();
            if (sackN > 0) {
                o += writeSackBlocks(b, o, sackN);
            }
        }
        int hl = o - at;
        int window;
        if (syn) {
            window = Math.min(receiveWindow(), 65535); // RFC 7323 §2.2: unscaled in SYNs
            rcvAdv = rcvNxt + window;
        } else {
            int w = receiveWindow();
            window = w >>> rcvWscale;
            int edge = rcvNxt + (window << rcvWscale);
            if (gt(edge, rcvAdv)) {
                rcvAdv = edge;
            }
            if (window == 0) {
                tcp.counters.inc(TcpCounter.ZERO_WINDOW_ADVERTISED);
            }
        }
        int ack = (flags & TcpHeader.ACK_FLAG) != 0 ? rcvNxt : 0;
        TcpHeader.emit(b, at, localPort, remotePort, seq, ack, hl, flags, window);
        if (len > 0) {
            sendRing.peek(off, b, at + hl, len);
        }
        p.append(hl + len);
        TcpChecksum.fillPartial(p, at, hl + len, localHi, localLo, remoteHi, remoteLo);
        if (len > sndMss) {
            // TSO: one large segment that the device cuts into sndMss-sized ones
            p.gsoType = remoteHi == 0 && (remoteLo >>> 32) == 0xffffL ? io.tapstack.link.VnetHeader.GSO_TCPV4
                    : io.tapstack.link.VnetHeader.GSO_TCPV6;
            p.gsoSize = sndMss;
            tcp.counters.inc(TcpCounter.TX_TSO_SEGMENTS);
        }
        if ((flags & TcpHeader.ACK_FLAG) != 0) {
            lastAckSent = rcvNxt;
            ackNow = false;
            pendingAckBytes = 0;
            cancelTimer(delackTimer);
        }
        if (sackN > 0) {
            tcp.counters.add(TcpCounter.SACK_BLOCKS_SENT, sackN);
        }
        tcp.counters.inc(TcpCounter.TX_SEGMENTS);
        lastSendTime = now;
        if (!stack.ipOutput(p, localHi, localLo, remoteHi, remoteLo, 6, 0, 0, true)) {
            tcp.counters.inc(TcpCounter.DROP_NO_ROUTE);
        }
        return true;
    }

    /** RFC 2018 §4: the first block holds the most recently received segment. */
    private int writeSackBlocks(ByteBuffer b, int o, int n) {
        int first = 0;
        for (int i = 0; i < oooCount; i++) {
            if (inRange(lastOooSeq, oooStart[i], oooEnd[i] + 1)) {
                first = i;
                break;
            }
        }
        b.put(o, (byte) TcpOptions.KIND_NOP);
        b.put(o + 1, (byte) TcpOptions.KIND_NOP);
        b.put(o + 2, (byte) TcpOptions.KIND_SACK);
        b.put(o + 3, (byte) (2 + 8 * n));
        int k = 0;
        b.putInt(o + 4, oooStart[first]);
        b.putInt(o + 8, oooEnd[first]);
        k++;
        for (int i = 0; i < oooCount && k < n; i++) {
            if (i == first) {
                continue;
            }
            b.putInt(o + 4 + 8 * k, oooStart[i]);
            b.putInt(o + 8 + 8 * k, oooEnd[i]);
            k++;
        }
        return 4 + 8 * n;
    }

    // ---- sender's SACK scoreboard

    /** Merges the SACK blocks of {@code s} into the scoreboard; true if they covered bytes not SACKed before. */
    private boolean updateScoreboard(Segment s) {
        boolean news = false;
        for (int k = 0; k < s.opts.sackCount; k++) {
            int l = s.opts.sackLeft[k];
            int r = s.opts.sackRight[k];
            tcp.counters.inc(TcpCounter.SACK_BLOCKS_RECEIVED);
            // RFC 2018 §3/§5: ignore blocks that are empty, below SND.UNA (D-SACK) or above SND.MAX
            if (!lt(l, r) || le(r, sndUna) || gt(r, sndMax) || lt(l, sndUna)) {
                continue;
            }
            int i = 0;
            while (i < sackedCount && lt(sackedEnd[i], l)) {
                i++;
            }
            int j = i;
            while (j < sackedCount && le(sackedStart[j], r)) {
                if (lt(sackedStart[j], l)) {
                    l = sackedStart[j];
                }
                if (gt(sackedEnd[j], r)) {
                    r = sackedEnd[j];
                }
                j++;
            }
            int merged = j - i;
            if (merged == 0) {
                if (sackedCount == MAX_SACKED) {
                    continue;
                }
                System.arraycopy(sackedStart, i, sackedStart, i + 1, sackedCount - i);
                System.arraycopy(sackedEnd, i, sackedEnd, i + 1, sackedCount - i);
                sackedCount++;
                news = true;
            } else if (merged == 1) {
                news |= lt(l, sackedStart[i]) || gt(r, sackedEnd[i]);
            } else {
                news = true; // the block spans the gap between stored ranges
                System.arraycopy(sackedStart, j, sackedStart, i + 1, sackedCount - j);
                System.arraycopy(sackedEnd, j, sackedEnd, i + 1, sackedCount - j);
                sackedCount -= merged - 1;
            }
            sackedStart[i] = l;
            sackedEnd[i] = r;
        }
        return news;
    }

    private void pruneScoreboard() {
        int k = 0;
        for (int i = 0; i < sackedCount; i++) {
            if (le(sackedEnd[i], sndUna)) {
                continue;
            }
            sackedStart[k] = gt(sackedStart[i], sndUna) ? sackedStart[i] : sndUna;
            sackedEnd[k] = sackedEnd[i];
            k++;
        }
        sackedCount = k;
    }

    /** The end of the SACKed range containing {@code seq}, or {@code seq} itself. */
    private int sackedEndAt(int seq) {
        for (int i = 0; i < sackedCount; i++) {
            if (inRange(seq, sackedStart[i], sackedEnd[i])) {
                return sackedEnd[i];
            }
        }
        return seq;
    }

    /** The start of the first SACKed range above {@code seq}, or SND.MAX. */
    private int sackedStartAfter(int seq) {
        for (int i = 0; i < sackedCount; i++) {
            if (gt(sackedStart[i], seq)) {
                return sackedStart[i];
            }
        }
        return sndMax;
    }

    /** Octets SACKed in [a, b). */
    private int sackedBytesIn(int a, int b) {
        int n = 0;
        for (int i = 0; i < sackedCount; i++) {
            int l = gt(sackedStart[i], a) ? sackedStart[i] : a;
            int r = lt(sackedEnd[i], b) ? sackedEnd[i] : b;
            if (lt(l, r)) {
                n += r - l;
            }
        }
        return n;
    }

    /**
     * RFC 6675 §4 IsLost as an edge: an un-SACKed octet is lost iff it lies below the returned
     * sequence number (DupThresh discontiguous SACKed ranges above it, or more than
     * (DupThresh − 1)·SMSS SACKed octets above it). Both counts only fall as the octet rises, so
     * the lost octets are exactly those below the start of the highest range where either holds.
     */
    private int lostEdge() {
        int bytes = 0;
        int limit = (DUP_THRESH - 1) * sndMss;
        int edge = sndUna;
        for (int i = sackedCount - 1; i >= 0; i--) {
            bytes += sackedEnd[i] - sackedStart[i];
            if (sackedCount - i >= DUP_THRESH || bytes > limit) {
                edge = sackedStart[i];
                break;
            }
        }
        // ... or below data SACKed a reordering window ago (see timedLostEdge)
        if (gt(timedLostEdge, edge) && le(timedLostEdge, sndMax)) {
            edge = timedLostEdge;
        }
        return edge;
    }

    /** RFC 8985 §6.2 reo_wnd: a quarter of the smoothed RTT, at least 1 ms (clock granularity). */
    private long reorderWindow() {
        return Math.max(srtt >> 2, 1_000_000L);
    }

    /**
     * The reordering window has passed since {@link #reoCandidate} was SACKed: un-SACKed data
     * below it is lost; enter RFC 6675 recovery (or let it resend the holes) now rather than wait
     * for DupThresh SACKed segments that a small window may never produce.
     */
    private void onLossTimer(long now) {
        if (!sackOk || !state.synchronized_() || state == TcpState.TIME_WAIT || sndUna == sndMax) {
            return;
        }
        if (gt(reoCandidate, timedLostEdge) || !lt(sndUna, timedLostEdge)) {
            timedLostEdge = reoCandidate;
        }
        if (sackedCount > 0 && gt(sackedEnd[sackedCount - 1], timedLostEdge)) {
            reoCandidate = sackedEnd[sackedCount - 1]; // SACKed since: another window
            stack.timers().schedule(lossTimer, now + reorderWindow());
        }
        if (!lt(sndUna, timedLostEdge)) {
            return;
        }
        if (!inRecovery && sndNxt == sndMax && ge(sndUna, recover) && lt(sndUna, lostEdge())) {
            tcp.counters.inc(TcpCounter.REORDER_WINDOW_LOSSES);
            enterSackRecovery(now);
        }
        if (inRecovery && sackRecovery) {
            output();
        }
        tcp.dispatch();
    }

    /**
     * RFC 6675 §4 SetPipe: un-SACKed octets from HighACK to HighData that are not lost, plus
     * those already resent (below HighRxt), which are in flight again.
     */
    private int setPipe() {
        int lost = lostEdge();
        int pipe = (sndMax - lost) - sackedBytesIn(lost, sndMax);
        if (gt(highRxt, sndUna)) {
            pipe += (highRxt - sndUna) - sackedBytesIn(sndUna, highRxt);
        }
        return pipe;
    }

    /**
     * RFC 6675 §5 step (C) with NextSeg (§4): while cwnd − pipe ≥ 1 SMSS, resend the first
     * un-SACKed segment above HighRxt that IsLost (rule 1); with {@code lostOnly} false (rule 2,
     * new data, found nothing) also one that merely lies below the highest SACKed octet (rule 3),
     * then one rescue retransmission per recovery (rule 4). Returns the updated pipe.
     */
    private int sackRetransmit(int pipe, boolean lostOnly, long now) {
        int cwnd = cc.cwnd();
        int limit = lostOnly ? lostEdge() : (sackedCount > 0 ? sackedEnd[sackedCount - 1] : sndUna);
        int guard = 0;
        while (cwnd - pipe >= sndMss && guard++ < 10_000) {
            int s = gt(highRxt, sndUna) ? highRxt : sndUna;
            for (int e = sackedEndAt(s); e != s; e = sackedEndAt(s)) {
                s = e;
            }
            if (lt(s, limit)) {
                // rule 1 (or 3): one segment up to SMSS from S2, stopping at the next SACKed range
                int n = retransmitAt(s, sackedStartAfter(s), now);
                if (n <= 0) {
                    break;
                }
                highRxt = s + n; // (C.2)
                pipe += n; // (C.4)
                tcp.counters.inc(TcpCounter.SACK_HOLES_RETRANSMITTED);
                continue;
            }
            if (!lostOnly && (!rescueValid || gt(sndUna, rescueRxt))) {
                // rule 4: one rescue retransmission per recovery, ending at the highest
                // outstanding un-SACKed octet; HighRxt is not updated
                int top = sndMax;
                if (sackedCount > 0 && sackedEnd[sackedCount - 1] == top) {
                    top = sackedStart[sackedCount - 1];
                }
                if (!gt(top, sndUna)) {
                    break;
                }
                int start = top - Math.min(top - sndUna, Math.max(1, sndMss - sackRoom()));
                for (int i = 0; i < sackedCount; i++) {
                    if (le(sackedEnd[i], top) && gt(sackedEnd[i], start)) {
                        start = sackedEnd[i];
                    }
                }
                rescueRxt = recover;
                rescueValid = true;
                int n = retransmitAt(start, top, now);
                if (n > 0) {
                    pipe += n;
                    tcp.counters.inc(TcpCounter.SACK_RESCUE_RETRANSMITS);
                }
            }
            break;
        }
        return pipe;
    }

    private int sackRoom() {
        int n = sackBlocksToSend();
        return n > 0 ? 4 + 8 * n : 0;
    }

    /**
     * Resends one segment of up to an MSS of the send ring from {@code seq}, not past {@code end}
     * (with the FIN if it lies there); returns the sequence space sent, 0 if nothing was.
     */
    private int retransmitAt(int seq, int end, long now) {
        int ringSize = sendRing == null ? 0 : sendRing.size();
        int off = seq - sndUna;
        if (off < 0 || !lt(seq, end)) {
            return 0;
        }
        int len = Math.min(end - seq, Math.max(1, sndMss - sackRoom()));
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
        if (!sendSegment(seq, flags, off, len)) {
            return 0;
        }
        tcp.counters.inc(TcpCounter.RETRANSMITTED_SEGMENTS);
        retransTotal++;
        if (seq == sndUna) {
            headRxtTime = now;
        }
        if (timerMode != TM_RTX || !rtxTimer.isScheduled()) {
            armRtx(rto);
        }
        return len + (fin ? 1 : 0);
    }

    // ======================================================================= RTT and timers

    /** RFC 6298 §2.2–2.4 (with RFC 7323 Appendix G's per-sample use left to a later issue). */
    private void rttSample(long r) {
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
        long k = Math.max(4 * rttvar, 1_000_000L); // G: 1 ms clock granularity
        rto = Math.min(Math.max(srtt + k, cfg.minRtoNanos), cfg.maxRtoNanos);
    }

    private void armRtx(long delay) {
        timerMode = TM_RTX;
        stack.timers().schedule(rtxTimer, stack.now() + delay);
    }

    private void armTimer(int mode, long delay) {
        timerMode = mode;
        stack.timers().schedule(rtxTimer, stack.now() + delay);
    }

    private void cancelRtx() {
        stack.timers().cancel(rtxTimer);
        timerMode = TM_NONE;
    }

    private void cancelTimer(Timer t) {
        stack.timers().cancel(t);
    }

    private void onRtxTimer(long now) {
        int mode = timerMode;
        timerMode = TM_NONE;
        switch (mode) {
            case TM_RTX -> retransmitTimeout(now);
            case TM_PERSIST -> persistTimeout(now);
            case TM_TIME_WAIT, TM_FIN_WAIT_2 -> terminate(null, false);
            default -> { }
        }
        tcp.dispatch();
    }

    /** RFC 6298 §5.4–5.7 and RFC 5681 §3.1 on a retransmission timeout. */
    private void retransmitTimeout(long now) {
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            int limit = state == TcpState.SYN_SENT ? cfg.synRetries : cfg.synAckRetries;
            if (synRetransmits >= limit) {
                tcp.counters.inc(TcpCounter.CONNECTION_TIMEOUTS);
                if (state == TcpState.SYN_SENT) {
                    tcp.counters.inc(TcpCounter.FAILED_ATTEMPTS);
                }
                terminate(softErrorKind != 0 ? new Unreachable("no route to " + remote() + " (ICMP)")
                        : new TimedOut("connection to " + remote() + " timed out"), false);
                return;
            }
            synRetransmits++;
            tcp.counters.inc(TcpCounter.SYN_RETRANSMITS);
            rto = Math.min(rto * 2, cfg.maxRtoNanos);
            sendSyn(state == TcpState.SYN_RECEIVED);
            armRtx(rto);
            return;
        }
        if (sndUna == sndMax) {
            return;
        }
        if (firstRtxTime == 0) {
            firstRtxTime = now;
        }
        boolean userTimeout = opts.userTimeoutNanos > 0 && now - firstRtxTime >= opts.userTimeoutNanos;
        if (userTimeout || (opts.userTimeoutNanos == 0 && backoff >= cfg.maxRetransmits)) {
            // RFC 9293 §3.8.3 (R2 / user timeout): give up
            tcp.counters.inc(userTimeout ? TcpCounter.USER_TIMEOUTS : TcpCounter.CONNECTION_TIMEOUTS);
            sendRst();
            terminate(softErrorKind != 0 ? new Unreachable("destination " + remote() + " unreachable (ICMP)")
                    : new TimedOut("connection to " + remote() + " timed out"), false);
            return;
        }
        tcp.counters.inc(TcpCounter.RTO_TIMEOUTS);
        cc.onRto(sndMax - sndUna);
        inRecovery = false;
        sackRecovery = false;
        dupAcks = 0;
        // RFC 6582 §4; RFC 6675 §5.1: RecoveryPoint = HighData, no new recovery before it is
        // acknowledged; meanwhile the un-SACKed data is resent in order (HighRxt tracks it)
        recover = sndMax;
        highRxt = sndUna;
        headRxtTime = 0;
        backoff++;
        rto = Math.min(rto * 2, cfg.maxRtoNanos); // RFC 6298 §5.5
        rttTiming = false; // Karn
        if (backoff >= 2) {
            sackedCount = 0; // RFC 2018 §8: the peer may have reneged
        }
        sndNxt = sndUna; // go back N, skipping SACKed ranges
        armRtx(rto);
        output();
    }

    /** RFC 9293 §3.8.6.1: probe a zero window (or override SWS avoidance) with backoff. */
    private void persistTimeout(long now) {
        if (!state.synchronized_() || state == TcpState.TIME_WAIT || sendRing == null) {
            return;
        }
        int unsent = sendRing.size() - (sndNxt - sndUna);
        if (unsent <= 0) {
            return;
        }
        int usable = Math.min(sndWnd, cc.cwnd()) - (sndNxt - sndUna);
        tcp.counters.inc(TcpCounter.PERSIST_PROBES);
        if (usable <= 0 && sndNxt != sndUna) {
            // the previous one-byte probe is still unacknowledged: send it again
            sendSegment(sndUna, TcpHeader.ACK_FLAG | TcpHeader.PSH, 0, 1);
        } else {
            // RFC 9293 §3.8.6.1: one octet of new data (or, with a small window, what fits)
            int len = usable > 0 ? Math.min(Math.min(unsent, usable), sndMss) : 1;
            int seq = sndNxt;
            sendSegment(seq, TcpHeader.ACK_FLAG | TcpHeader.PSH, seq - sndUna, len);
            sndNxt += len;
            if (gt(sndNxt, sndMax)) {
                sndMax = sndNxt;
            }
        }
        if (usable > 0) {
            armRtx(rto);
        } else {
            persistBackoff++;
            armTimer(TM_PERSIST, persistInterval());
        }
    }

    private void onDelackTimer(long now) {
        if (state.synchronized_() && state != TcpState.TIME_WAIT && lastAckSent != rcvNxt) {
            tcp.counters.inc(TcpCounter.DELAYED_ACKS);
            sendAck();
        }
        tcp.dispatch();
    }

    private void armKeepalive() {
        stack.timers().schedule(kaTimer, lastRecvTime + kaIdle());
    }

    private long kaIdle() {
        return opts.keepAliveIdleNanos > 0 ? opts.keepAliveIdleNanos : cfg.keepaliveIdleNanos;
    }

    /** RFC 1122 §4.2.3.6 keepalive: <SEQ=SND.UNA−1> with no data elicits an ACK. */
    private void onKeepaliveTimer(long now) {
        if (!opts.keepAlive || !(state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT
                || state == TcpState.FIN_WAIT_2)) {
            return;
        }
        long interval = opts.keepAliveIntervalNanos > 0 ? opts.keepAliveIntervalNanos : cfg.keepaliveIntervalNanos;
        int probes = opts.keepAliveProbes > 0 ? opts.keepAliveProbes : cfg.keepaliveProbes;
        if (now - lastRecvTime < kaIdle() && kaProbes == 0) {
            armKeepalive();
            return;
        }
        if (sndMax != sndUna) {
            stack.timers().schedule(kaTimer, now + interval); // the retransmission timer is in charge
            return;
        }
        if (kaProbes >= probes) {
            tcp.counters.inc(TcpCounter.KEEPALIVE_TIMEOUTS);
            sendRst();
            terminate(new TimedOut("keepalive: " + remote() + " stopped answering"), false);
            tcp.dispatch();
            return;
        }
        kaProbes++;
        tcp.counters.inc(TcpCounter.KEEPALIVE_PROBES);
        sendSegment(sndUna - 1, TcpHeader.ACK_FLAG, 0, 0);
        stack.timers().schedule(kaTimer, now + interval);
    }

    // ======================================================================= ICMP

    void pathMtuChanged(int mtu) {
        int min = IpAddr.isV4Mapped(remoteHi, remoteLo) ? 552 : 1280;
        int m = Math.max(mtu, min);
        if (mtu <= 0 || m >= pmtu) {
            return;
        }
        tcp.counters.inc(TcpCounter.PMTU_UPDATES);
        pmtu = m;
        computeMss();
        cc.setMss(sndMss);
        // RFC 1191 §6.5: retransmit what was lost at the old size
        if (state.synchronized_() && sndMax != sndUna) {
            sndNxt = sndUna;
            output();
        }
    }

    /** RFC 1122 §4.2.3.9 / RFC 5461: hard errors abort only an opening connection. */
    void icmpError(boolean hard, boolean portUnreachable) {
        if (hard && state == TcpState.SYN_SENT) {
            tcp.counters.inc(TcpCounter.ICMP_HARD_ERRORS);
            tcp.counters.inc(TcpCounter.FAILED_ATTEMPTS);
            terminate(portUnreachable ? new ConnectionRefused("port unreachable at " + remote())
                    : new Unreachable("destination " + remote() + " unreachable"), false);
            return;
        }
        tcp.counters.inc(TcpCounter.ICMP_SOFT_ERRORS);
        softErrorKind = 1;
    }

    // ======================================================================= teardown

    /** Ends the connection: out of the table, timers off, event to the application. */
    void terminate(TcpException err, boolean quiet) {
        if (state == TcpState.CLOSED && !inTable) {
            return;
        }
        TcpState was = state;
        if (was == TcpState.TIME_WAIT) {
            tcp.timeWaitLeft();
        } else if (was.synchronized_()) {
            tcp.establishedChanged(-1);
        }
        state = TcpState.CLOSED;
        tcp.remove(this);
        cancelTimer(rtxTimer);
        cancelTimer(delackTimer);
        cancelTimer(kaTimer);
        cancelTimer(lossTimer);
        timerMode = TM_NONE;
        sendRing = null;
        if (parent != null) {
            if (was == TcpState.SYN_RECEIVED && passive) {
                parent.synQueued--;
            }
            if (!accepted) {
                parent.acceptQueue.remove(this);
            }
        }
        if (error == null) {
            error = err;
        }
        if (!quiet) {
            post(EV_CLOSED);
        }
    }

    private void post(int ev) {
        events |= ev;
        tcp.queueNotify(this);
    }

    void fireEvents() {
        if (!accepted) {
            return; // kept until accept() hands the connection out
        }
        TcpHandler h = handler;
        int ev = events;
        if (h == null) {
            return;
        }
        events = 0;
        if ((ev & EV_CONNECTED) != 0 && state != TcpState.CLOSED) {
            h.onConnected(this);
        }
        if ((ev & EV_READABLE) != 0) {
            h.onReadable(this);
        }
        if ((ev & EV_WRITABLE) != 0 && state.canSend()) {
            h.onWritable(this);
        }
        if ((ev & EV_CLOSED) != 0 && !closedNotified && (state == TcpState.CLOSED || state == TcpState.TIME_WAIT)) {
            closedNotified = true;
            h.onClosed(this, error);
        }
    }

    // ======================================================================= application API

    /** Sets the readiness handler; events that are already due are delivered next. */
    public void setHandler(TcpHandler h) {
        this.handler = h;
        int ev = 0;
        if (available() > 0 || rcvFin || error != null) {
            ev |= EV_READABLE;
        }
        if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
            ev |= EV_CLOSED;
        }
        if (state.canSend() && state.synchronized_()) {
            ev |= EV_WRITABLE;
        }
        if (ev != 0) {
            post(ev);
        }
        if (accepted) {
            tcp.dispatch();
        }
    }

    public TcpHandler handler() {
        return handler;
    }

    /**
     * Reads in-order data into {@code dst}: returns the count, 0 when nothing is buffered, or
     * -1 at end of stream (the peer's FIN and everything before it has been read).
     *
     * @throws TcpException the connection failed (reset, timed out) or was closed locally
     */
    public int read(ByteBuffer dst) throws TcpException {
        if (appClosed) {
            throw new ConnectionClosed("connection closed");
        }
        int n = recvRing == null ? 0 : recvRing.read(dst);
        if (n > 0) {
            windowUpdateAfterRead();
            return n;
        }
        if (error != null) {
            throw error;
        }
        if (rcvFin) {
            return -1;
        }
        return 0;
    }

    /** Like {@link #read(ByteBuffer)} into a heap array. */
    public int read(byte[] dst, int off, int len) throws TcpException {
        if (appClosed) {
            throw new ConnectionClosed("connection closed");
        }
        int n = recvRing == null ? 0 : recvRing.read(dst, off, len);
        if (n > 0) {
            windowUpdateAfterRead();
            return n;
        }
        if (error != null) {
            throw error;
        }
        return rcvFin ? -1 : 0;
    }

    private void windowUpdateAfterRead() {
        if (!state.canReceive()) {
            return;
        }
        // Send a window update when the window grows by 2 segments or half the buffer
        // (RFC 9293 §3.8.6.2.2; Linux's tcp_cleanup_rbuf), so a sender blocked on a closed window resumes.
        int cur = Math.max(0, rcvAdv - rcvNxt);
        int now = Math.min(recvRing.free(), 65535 << rcvWscale);
        if (now - cur >= Math.min(2 * advMss, recvBufSize / 2)) {
            sendAck();
            tcp.dispatch();
        }
    }

    /**
     * Queues bytes from {@code src} for sending: returns how many fit in the send buffer (0 when
     * full; {@link TcpHandler#onWritable} follows when space frees up).
     */
    public int write(ByteBuffer src) throws TcpException {
        checkWritable();
        if (sendRing == null) {
            sendRing = new ByteRing(sendBufSize);
        }
        int want = src.remaining();
        int n = sendRing.append(src);
        if (n < want) {
            writeBlocked = true;
        }
        if (n > 0) {
            output();
            tcp.dispatch();
        }
        return n;
    }

    /** Like {@link #write(ByteBuffer)} from a heap array. */
    public int write(byte[] src, int off, int len) throws TcpException {
        checkWritable();
        if (sendRing == null) {
            sendRing = new ByteRing(sendBufSize);
        }
        int n = sendRing.append(src, off, len);
        if (n < len) {
            writeBlocked = true;
        }
        if (n > 0) {
            output();
            tcp.dispatch();
        }
        return n;
    }

    private void checkWritable() throws TcpException {
        if (error != null) {
            throw error;
        }
        if (finQueued || appClosed || !state.canSend()) {
            throw new ConnectionClosed("connection closed for sending (" + state + ")");
        }
    }

    /** Bytes that a write could take now. */
    public int writableBytes() {
        if (!state.canSend() || finQueued) {
            return 0;
        }
        return sendRing == null ? sendBufSize : sendRing.free();
    }

    /** Bytes buffered for reading. */
    public int available() {
        return recvRing == null ? 0 : recvRing.size();
    }

    /** Bytes written but not yet acknowledged by the peer. */
    public int unacknowledged() {
        return sendRing == null ? 0 : sendRing.size();
    }

    /** Half-close: send FIN after the queued data (RFC 9293 §3.10.4 CLOSE with reading still allowed). */
    public void shutdownOutput() {
        if (finQueued) {
            return;
        }
        switch (state) {
            case SYN_SENT -> {
                terminate(null, false);
                tcp.dispatch();
                return;
            }
            case SYN_RECEIVED, ESTABLISHED -> state = TcpState.FIN_WAIT_1;
            case CLOSE_WAIT -> state = TcpState.LAST_ACK;
            default -> {
                return;
            }
        }
        finQueued = true;
        output();
        tcp.dispatch();
    }

    /**
     * Closes the connection (RFC 9293 §3.10.4 CLOSE): queued data is still sent, then a FIN;
     * with unread received data the connection is reset instead (RFC 2525 §2.17). No more
     * reads; events stop except {@code onClosed}.
     */
    public void close() {
        if (appClosed) {
            return;
        }
        if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
            appClosed = true;
            return;
        }
        if (available() > 0 && state.synchronized_()) {
            tcp.counters.inc(TcpCounter.ABORT_ON_CLOSE);
            appClosed = true;
            sendRst();
            terminate(new ConnectionAborted("closed with unread data"), false);
            tcp.dispatch();
            return;
        }
        shutdownOutput();
        appClosed = true;
        if (state == TcpState.FIN_WAIT_2) {
            armTimer(TM_FIN_WAIT_2, cfg.finWait2TimeoutNanos);
        }
    }

    /** Aborts with a RST (RFC 9293 §3.10.5 ABORT); pending data is discarded. */
    public void abort() {
        if (state == TcpState.CLOSED) {
            return;
        }
        if (state != TcpState.SYN_SENT && state != TcpState.TIME_WAIT) {
            sendRst();
        }
        appClosed = true;
        terminate(new ConnectionAborted("aborted"), false);
        tcp.dispatch();
    }

    public TcpState state() {
        return state;
    }

    /** The error that ended the connection, or null. */
    public TcpException error() {
        return error;
    }

    public boolean isConnected() {
        return state.synchronized_() && state != TcpState.TIME_WAIT;
    }

    /** True once the peer's FIN arrived (reads return -1 after the buffered data). */
    public boolean isInputShutdown() {
        return rcvFin;
    }

    public boolean isOpen() {
        return state != TcpState.CLOSED;
    }

    public IpAddr localAddress() {
        return IpAddr.of(localHi, localLo);
    }

    public int localPort() {
        return localPort;
    }

    public IpAddr remoteAddress() {
        return IpAddr.of(remoteHi, remoteLo);
    }

    public int remotePort() {
        return remotePort;
    }

    public void setNoDelay(boolean on) {
        opts.noDelay = on;
        if (on) {
            output();
            tcp.dispatch();
        }
    }

    public boolean noDelay() {
        return opts.noDelay;
    }

    public void setKeepAlive(boolean on) {
        opts.keepAlive = on;
        if (on && state.synchronized_()) {
            armKeepalive();
        } else if (!on) {
            cancelTimer(kaTimer);
        }
    }

    public void setKeepAlive(long idleNanos, long intervalNanos, int probes) {
        opts.keepAliveIdleNanos = idleNanos;
        opts.keepAliveIntervalNanos = intervalNanos;
        opts.keepAliveProbes = probes;
        setKeepAlive(true);
    }

    public void setUserTimeout(long nanos) {
        opts.userTimeoutNanos = nanos;
    }

    public int sendBufferSize() {
        return sendBufSize;
    }

    public int receiveBufferSize() {
        return recvBufSize;
    }

    /** The effective send MSS (payload bytes per segment). */
    public int mss() {
        return sndMss;
    }

    public long srttNanos() {
        return srtt;
    }

    public long rtoNanos() {
        return rto;
    }

    public int cwnd() {
        return cc.cwnd();
    }

    public long retransmits() {
        return retransTotal;
    }

    /** In fast recovery (NewReno) or an RFC 6675 loss-recovery phase (for tests). */
    boolean inLossRecovery() {
        return inRecovery;
    }

    /** The congestion-control instance (for tests). */
    CongestionControl congestionControl() {
        return cc;
    }

    public TcpInfo info() {
        return new TcpInfo(state, endpoint(localHi, localLo, localPort), endpoint(remoteHi, remoteLo, remotePort),
                srtt / 1000, rttvar / 1000, rto / 1000, sndMss, cc.cwnd(), cc.ssthresh(), sndMax - sndUna,
                sndWnd, Math.max(0, rcvAdv - rcvNxt), unacknowledged(), available(), retransTotal, backoff,
                bytesAcked, bytesReceived, cc.name(), tsOk, sackOk, sndWscale, rcvWscale);
    }

    private static String endpoint(long hi, long lo, int port) {
        IpAddr a = IpAddr.of(hi, lo);
        return a.isV4() ? a + ":" + port : "[" + a + "]:" + port;
    }

    private String remote() {
        return endpoint(remoteHi, remoteLo, remotePort);
    }

    @Override
    public String toString() {
        return "tcp " + endpoint(localHi, localLo, localPort) + " -> " + remote() + " " + state;
    }
}
