package io.tapstack.tcp;

import io.tapstack.socket.ConnectionAborted;
import io.tapstack.socket.ConnectionClosed;
import io.tapstack.socket.ConnectionRefused;
import io.tapstack.socket.TcpException;
import io.tapstack.socket.Unreachable;
import io.tapstack.tcp.cc.CongestionControl;
import io.tapstack.tcp.cc.CongestionControls;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;

import static io.tapstack.wire.SeqNum.gt;

/**
 * One TCP connection: the transmission control block of RFC 9293 §3.3.1 and the application's
 * handle on it. Non-blocking and loop-only: {@link #read}/{@link #write} return counts,
 * readiness is reported to a {@link TcpHandler}, failures as typed {@link TcpException}s.
 *
 * <p>The protocol is split by role into parts, each allocated once per connection (none per
 * segment) — with it, or on first use for those most connections never need (the loss recovery
 * once SACK is settled, the spurious-timeout detectors at a first timeout, a private copy of the
 * options at a first setter):
 * <ul>
 * <li>{@link TcpInput} — the RFC 9293 §3.10.7 input state machine that drives the others (one
 *     per stack: it holds no state, the connection is passed in);</li>
 * <li>{@link TcpSender} — SND.*, the send ring and the send policy; {@link SegmentWriter} builds
 *     the segments (one per stack, as {@link TcpInput});</li>
 * <li>{@link TcpReceiver} — RCV.*, the receive ring, reassembly, ACK policy, SACK blocks to send;</li>
 * <li>{@link SackScoreboard} — what the peer SACKed (RFC 2018, RFC 6675), on a {@link SeqRangeSet};</li>
 * <li>{@link LossRecovery} ({@link RackTlpRecovery}, {@link NewRenoSackRecovery}) — RFC 8985 / 6582 / 6675 loss recovery;</li>
 * <li>{@link RttEstimator} — RFC 6298 RTT and RTO;</li>
 * <li>{@link TcpTimers} — retransmission/persist/FIN-WAIT-2/TIME-WAIT, delayed ACK, keepalive, loss;</li>
 * <li>{@code cc} — the congestion control ({@link CongestionControl}).</li>
 * </ul>
 * This class keeps the opening (RFC 9293 §3.10.1, option negotiation), teardown, ICMP
 * handling, readiness events and the application API.
 */
public final class TcpConnection {
    static final int EV_CONNECTED = 1;
    static final int EV_READABLE = 2;
    static final int EV_WRITABLE = 4;
    static final int EV_CLOSED = 8;

    /** Smallest send MSS accepted from a peer (Linux tcp_min_snd_mss; CVE-2019-11479). */
    private static final int MIN_SND_MSS = 48;

    final Tcp tcp;
    final long localHi;
    final long localLo;
    final char localPort; // ports are 16-bit (RFC 9293 §3.1): char keeps this object 8 bytes smaller
    final long remoteHi;
    final long remoteLo;
    final char remotePort;
    /**
     * The options in force. Shared, read-only, while they are the stack's defaults or the
     * listener's copy; a setter copies them first ({@link #ownOptions}): most connections never do.
     */
    TcpSocketOptions opts;
    private boolean optsOwned;

    TcpState state = TcpState.CLOSED;
    boolean inTable;
    boolean passive;
    /** The listener while this connection sits in its SYN queue or accept queue. */
    TcpListener parent;
    boolean accepted;

    // options (RFC 7323, RFC 2018)
    boolean offerTs;
    boolean offerWs;
    boolean offerSack;
    boolean tsOk;
    boolean sackOk;
    byte sndWscale; // 0..14 (RFC 7323 §2.3): a byte keeps the connection object 8 bytes smaller
    // RFC 3168 §6.1.1: ECN asked for on our SYN; in use (both SYNs said so)
    boolean offerEcn;
    boolean ecnOk;
    private final int tsOffset;
    short synRetransmits; // a short keeps this object 8 bytes smaller (TcpConfig's SYN retries are a few)

    // the parts
    final CongestionControl cc;
    final RttEstimator rtt;
    /** {@link SackScoreboard#EMPTY} (shared, read-only) until the first SACK block ({@link #ownScoreboard}). */
    SackScoreboard scoreboard = SackScoreboard.EMPTY;
    final TcpTimers timers;
    final TcpSender snd;
    final TcpReceiver rcv;
    final SegmentLog log; // per-segment transmit times and states (RTT samples, RACK)
    /** RFC 3522 spurious-timeout detection, made at the first retransmission timeout (null before). */
    EifelDetector eifel;
    /** RFC 5682, the same without timestamps, made at the first timeout that uses it (null before). */
    FrtoDetector frto;
    /**
     * The loss recovery, made once on first use ({@link #recovery()}): RACK-TLP when the handshake
     * negotiated SACK, else NewReno/RFC 6675 (also during a handshake that needs one, e.g. a SYN
     * timeout, until RACK-TLP replaces it).
     */
    private LossRecovery recovery;
    /** The per-connection trace (issue 10), null unless this connection is traced. */
    TcpTrace trace;

    // application side
    TcpHandler handler;
    private TcpException error;
    byte softErrorKind;
    boolean appClosed;
    boolean writeBlocked;
    private boolean closedNotified;
    /** Non-zero once TIME-WAIT is held by a {@link TimeWaitTable} record: this object is detached. */
    private int timeWaitRecord;
    private boolean everEstablished;
    private byte events; // EV_* bits
    TcpConnection nextNotify;
    boolean notifyQueued;

    /**
     * {@code o} is copied when {@code copy} (the application's object, which it may change later);
     * else shared until a setter changes an option (the stack's defaults, a listener's own copy).
     */
    TcpConnection(Tcp tcp, long lHi, long lLo, int lport, long rHi, long rLo, int rport, TcpSocketOptions o, boolean copy) {
        this.tcp = tcp;
        TcpConfig cfg = tcp.config;
        this.localHi = lHi;
        this.localLo = lLo;
        this.localPort = (char) lport;
        this.remoteHi = rHi;
        this.remoteLo = rLo;
        this.remotePort = (char) rport;
        this.opts = o == null ? Tcp.NO_OPTIONS : copy ? o.clone() : o;
        this.optsOwned = o != null && copy;
        int sendBufSize = opts.sendBufferSize > 0 ? opts.sendBufferSize : cfg.sendBufferSize;
        int recvBufSize = opts.receiveBufferSize > 0 ? opts.receiveBufferSize : cfg.receiveBufferSize;
        // a size set per socket is fixed (as SO_RCVBUF locks Linux's auto-tuning), else it may grow
        int recvBufMax = opts.receiveBufferSize > 0 ? recvBufSize : Math.max(recvBufSize, cfg.receiveBufferMax);
        this.tsOffset = tcp.tsOffset(lHi, lLo, rHi, rLo);
        this.rtt = new RttEstimator(cfg.initialRtoNanos, tcp.rtoBounds());
        this.cc = CongestionControls.create(opts.congestionControl != null ? opts.congestionControl : cfg.congestionControl);
        this.timers = new TcpTimers(this);
        int pmtu = tcp.pathMtu(rHi, rLo);
        int advMss = Math.max(MIN_SND_MSS, Math.min(65535, pmtu - tcp.ipHeaderLength(rHi, rLo) - TcpHeader.MIN_LENGTH));
        this.snd = new TcpSender(this, sendBufSize, pmtu);
        this.rcv = new TcpReceiver(this, recvBufSize, recvBufMax, advMss);
        this.log = new SegmentLog(SegmentLog.capacityFor(sendBufSize), tcp.logPool);
    }

    // ======================================================================= opening

    /** Active open: SYN-SENT, send <SEQ=ISS><CTL=SYN> (RFC 9293 §3.10.1). */
    void openActive() {
        offerTs = tcp.config.timestamps;
        offerWs = tcp.config.windowScaling;
        offerSack = tcp.config.sack;
        offerEcn = tcp.config.ecn == TcpConfig.EcnMode.ON;
        int iss = tcp.isn(localHi, localLo, localPort, remoteHi, remoteLo, remotePort);
        snd.init(iss); // RFC 6582 §3.2 step 1 (recover = ISS) happens when the recovery is made
        state = TcpState.SYN_SENT;
        rtt.startHandshake(tcp.now());
        tcp.segmentWriter.sendSyn(this, false);
        timers.armRetransmit(rtt.rto());
    }

    /** Passive open from a SYN in LISTEN (RFC 9293 §3.10.7.2): SYN-RECEIVED, send SYN-ACK. */
    void openPassive(Segment s) {
        rcv.synReceived(s.seq);
        negotiate(s, tcp.config.timestamps, tcp.config.windowScaling, tcp.config.sack);
        // RFC 3168 §6.1.1: an ECN-setup SYN has ECE and CWR; we answer it with ECE alone
        ecnOk = tcp.config.ecn != TcpConfig.EcnMode.OFF && s.ece() && s.cwr();
        int iss = tcp.isn(localHi, localLo, localPort, remoteHi, remoteLo, remotePort);
        snd.init(iss);
        // RFC 7323 §2.2: the window in a SYN is never scaled
        snd.windowFrom(s.window, s.seq, iss);
        snd.maxWnd = snd.wnd;
        state = TcpState.SYN_RECEIVED;
        rtt.startHandshake(tcp.now());
        tcp.segmentWriter.sendSyn(this, true);
        timers.armRetransmit(rtt.rto());
    }

    /** A connection rebuilt from a valid SYN-cookie ACK (RFC 4987 §3.6): no WS/TS/SACK. */
    void openFromCookie(Segment s, int cookieIss, int cookieIrs, int mss) {
        snd.iss = cookieIss;
        rcv.synReceived(cookieIrs);
        snd.una = s.ack;
        snd.nxt = s.ack;
        snd.max = s.ack;
        recovery = new NewRenoSackRecovery(this); // a cookie carries no SACK (RFC 4987 §3.6): no RACK
        recovery.reset(cookieIss, s.ack);
        snd.peerMss = mss;
        rcv.wscale = 0;
        sndWscale = 0;
        snd.windowFrom(s.window, s.seq, s.ack);
        snd.maxWnd = snd.wnd;
        rcv.synWindowOffered();
        rcv.lastAckSent = rcv.nxt;
        established();
    }

    /** Applies the options of a SYN: what both sides offered is in force (RFC 7323 §1.3, RFC 2018 §2). */
    void negotiate(Segment s, boolean ts, boolean ws, boolean sack) {
        TcpOptions o = s.opts;
        snd.peerMss = o.hasMss ? o.mss : Tcp.defaultMss(remoteHi, remoteLo);
        tsOk = ts && o.hasTimestamp;
        offerTs = tsOk;
        if (tsOk) {
            rcv.tsRecent = o.tsVal;
            rcv.tsRecentAge = tcp.now();
            rcv.tsRecentValid = true;
        }
        if (ws && o.hasWscale) {
            sndWscale = (byte) o.wscale; // at most 14 (TcpOptions caps it)
            offerWs = true;
        } else {
            sndWscale = 0;
            rcv.wscale = 0;
            offerWs = false;
        }
        sackOk = sack && o.sackPermitted;
        offerSack = sackOk;
    }

    private void computeMss() {
        int mtuMss = snd.pmtu - tcp.ipHeaderLength(remoteHi, remoteLo) - TcpHeader.MIN_LENGTH;
        int m = Math.min(snd.peerMss, mtuMss);
        if (tsOk) {
            m -= 12;
        }
        snd.mss = Math.max(MIN_SND_MSS, m);
    }

    void established() {
        state = TcpState.ESTABLISHED;
        everEstablished = true;
        tcp.establishedChanged(1);
        tcp.maybeTrace(this);
        computeMss();
        cc.init(snd.mss);
        if (ecnOk) {
            tcp.counters.inc(TcpCounter.ECN_NEGOTIATED);
        }
        if (sackOk && "rack".equalsIgnoreCase(tcp.config.lossRecovery)) {
            recovery = new RackTlpRecovery(this); // RFC 8985 needs SACK; NewReno (RFC 6582) without it
            recovery.reset(snd.iss, snd.una);
        }
        // without SACK the NewReno recovery is made by recovery() on first use
        if (opts.keepAlive) {
            timers.armKeepalive();
        }
        if (!passive) {
            post(EV_CONNECTED | EV_WRITABLE);
        }
    }

    /** RFC 7323 §4.1 / §5.4: our TSval, a millisecond clock with a per-connection offset. */
    int tsNow(long now) {
        return (int) (now / 1_000_000L) + tsOffset;
    }

    // ======================================================================= input and output

    /** RFC 9293 §3.10.7: SEGMENT ARRIVES for this connection (see {@link TcpInput}). */
    void segmentArrives(Segment s) {
        tcp.segmentInput.segmentArrives(this, s);
    }

    /** RFC 6191 §2: may a new SYN reuse this TIME-WAIT connection? */
    boolean acceptsNewSyn(Segment s) {
        if (tsOk && s.opts.hasTimestamp) {
            return gt(s.opts.tsVal, rcv.tsRecent);
        }
        return gt(s.seq, rcv.nxt); // RFC 1122 §4.2.2.13
    }

    /** Sends what the send policy allows now (see {@link TcpSender#output}). */
    void output() {
        snd.output();
    }

    /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> (RFC 9293 §3.10.5 ABORT, RFC 2525 §2.17). */
    void sendRst() {
        sendResetTo(snd.nxt, rcv.nxt, TcpHeader.RST | TcpHeader.ACK_FLAG);
    }

    void sendResetTo(int seq, int ack, int flags) {
        tcp.sendReset(localHi, localLo, localPort, remoteHi, remoteLo, remotePort, seq, ack, flags);
    }

    /** SND.UNA, for checks from outside (RFC 5927 §4.1). */
    int sndUna() {
        return snd.una;
    }

    /** SND.MAX: the highest sequence number sent + 1. */
    int sndMax() {
        return snd.max;
    }

    // ======================================================================= ICMP

    void pathMtuChanged(int mtu) {
        int min = IpAddr.isV4Mapped(remoteHi, remoteLo) ? 552 : 1280;
        int m = Math.max(mtu, min);
        if (mtu <= 0 || m >= snd.pmtu) {
            return;
        }
        tcp.counters.inc(TcpCounter.PMTU_UPDATES);
        snd.pmtu = m;
        computeMss();
        cc.setMss(snd.mss);
        // RFC 1191 §6.5: retransmit what was lost at the old size
        if (state.synchronized_() && snd.max != snd.una) {
            snd.nxt = snd.una;
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
        if (timeWaitRecord != 0 || (state == TcpState.CLOSED && !inTable)) {
            return;
        }
        TcpState was = state;
        if (was == TcpState.TIME_WAIT) {
            tcp.timeWaitLeft();
        } else {
            if (was.synchronized_()) {
                tcp.establishedChanged(-1);
            }
            tcp.connectionGone(was == TcpState.SYN_RECEIVED && passive && parent != null);
        }
        state = TcpState.CLOSED;
        tcp.remove(this);
        timers.cancelAll();
        if (trace != null) {
            tcp.endTrace(this);
        }
        snd.releaseRing();
        rcv.ooo.clear(); // out-of-order data can never be read now: its ring space goes back too
        if (appClosed) {
            rcv.releaseRing(); // nobody will read it
        } else {
            rcv.releaseIfDrained(); // else the application may still read what arrived
        }
        log.release();
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

    /**
     * TIME-WAIT goes on in a record ({@link Tcp#timeWaitToRecord}): out of the table, every timer
     * off, rings and logs back to the pools. The application's handle stays valid: it reads end of
     * stream and reports TIME-WAIT until the record expires or is reused, then CLOSED.
     */
    void becameTimeWaitRecord(int serial) {
        tcp.remove(this);
        timers.cancelAll();
        if (trace != null) {
            tcp.endTrace(this);
        }
        snd.releaseRing();
        rcv.releaseRing();
        log.release();
        timeWaitRecord = serial;
    }

    void post(int ev) {
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
        if (available() > 0 || rcv.fin || error != null) {
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
        int n = rcv.ring == null ? 0 : rcv.ring.read(dst);
        if (n > 0) {
            rcv.applicationRead(n, tcp.now());
            afterRead();
            return n;
        }
        if (error != null) {
            throw error;
        }
        if (rcv.fin) {
            return -1;
        }
        return 0;
    }

    /** Like {@link #read(ByteBuffer)} into a heap array. */
    public int read(byte[] dst, int off, int len) throws TcpException {
        if (appClosed) {
            throw new ConnectionClosed("connection closed");
        }
        int n = rcv.ring == null ? 0 : rcv.ring.read(dst, off, len);
        if (n > 0) {
            rcv.applicationRead(n, tcp.now());
            afterRead();
            return n;
        }
        if (error != null) {
            throw error;
        }
        return rcv.fin ? -1 : 0;
    }

    private void afterRead() {
        rcv.releaseIfDrained();
        if (state == TcpState.TIME_WAIT) {
            tcp.timeWaitToRecord(this); // the last byte is read: TIME-WAIT needs no more than a record
        }
        if (!state.canReceive()) {
            return;
        }
        // Send a window update when the window grows by 2 segments or half the buffer
        // (RFC 9293 §3.8.6.2.2; Linux's tcp_cleanup_rbuf), so a sender blocked on a closed window resumes.
        if (rcv.windowUpdateDue()) {
            tcp.segmentWriter.sendAck(this);
            tcp.dispatch();
        }
    }

    /**
     * Queues bytes from {@code src} for sending: returns how many fit in the send buffer (0 when
     * full; {@link TcpHandler#onWritable} follows when space frees up).
     */
    public int write(ByteBuffer src) throws TcpException {
        checkWritable();
        int want = src.remaining();
        snd.ensureRoom(want);
        int n = snd.ring.append(src);
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
        snd.ensureRoom(len);
        int n = snd.ring.append(src, off, len);
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
        if (snd.finQueued || appClosed || !state.canSend()) {
            throw new ConnectionClosed("connection closed for sending (" + state + ")");
        }
    }

    /** Bytes that a write could take now. */
    public int writableBytes() {
        if (!state.canSend() || snd.finQueued) {
            return 0;
        }
        return snd.bufSize - snd.ringSize();
    }

    /** Bytes buffered for reading. */
    public int available() {
        return rcv.available();
    }

    /** Bytes written but not yet acknowledged by the peer. */
    public int unacknowledged() {
        return snd.ringSize();
    }

    /** Half-close: send FIN after the queued data (RFC 9293 §3.10.4 CLOSE with reading still allowed). */
    public void shutdownOutput() {
        if (snd.finQueued) {
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
        snd.finQueued = true;
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
            rcv.releaseRing(); // what was left unread goes back to the pool (and the memory budget)
            if (state == TcpState.TIME_WAIT && inTable) {
                tcp.timeWaitToRecord(this); // nobody will read: TIME-WAIT goes on in a record
            }
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
            timers.arm(TcpTimers.Mode.FIN_WAIT_2, tcp.config.finWait2TimeoutNanos);
        }
    }

    /** Aborts with a RST (RFC 9293 §3.10.5 ABORT); pending data is discarded. */
    public void abort() {
        if (state == TcpState.CLOSED) {
            appClosed = true;
            rcv.releaseRing(); // what was left unread goes back to the pool (and the memory budget)
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
        if (timeWaitRecord != 0 && !tcp.timeWaitRecordAlive(this, timeWaitRecord)) {
            timeWaitRecord = 0; // the record expired (2·MSL) or a new SYN reused the pair
            state = TcpState.CLOSED;
        }
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
        return rcv.fin;
    }

    public boolean isOpen() {
        return state() != TcpState.CLOSED;
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
        if (opts.noDelay != on) {
            ownOptions().noDelay = on;
        }
        if (on) {
            output();
            tcp.dispatch();
        }
    }

    public boolean noDelay() {
        return opts.noDelay;
    }

    public void setKeepAlive(boolean on) {
        if (opts.keepAlive != on) {
            ownOptions().keepAlive = on;
        }
        if (on && state.synchronized_()) {
            timers.armKeepalive();
        } else if (!on) {
            timers.cancelKeepalive();
        }
    }

    public void setKeepAlive(long idleNanos, long intervalNanos, int probes) {
        TcpSocketOptions o = ownOptions();
        o.keepAliveIdleNanos = idleNanos;
        o.keepAliveIntervalNanos = intervalNanos;
        o.keepAliveProbes = probes;
        setKeepAlive(true);
    }

    public void setUserTimeout(long nanos) {
        ownOptions().userTimeoutNanos = nanos;
    }

    public int sendBufferSize() {
        return snd.bufSize;
    }

    public int receiveBufferSize() {
        return rcv.bufSize;
    }

    /** The effective send MSS (payload bytes per segment). */
    public int mss() {
        return snd.mss;
    }

    public long srttNanos() {
        return rtt.srtt();
    }

    public long rtoNanos() {
        return rtt.rto();
    }

    public int cwnd() {
        return cc.cwnd();
    }

    public long retransmits() {
        return snd.retransTotal;
    }

    /** In fast recovery (NewReno) or an RFC 6675 loss-recovery phase (for tests). */
    boolean inLossRecovery() {
        return recovery != null && recovery.inRecovery();
    }

    /**
     * The loss recovery, made on first use (one object per connection, not a NewReno replaced by
     * RACK-TLP): NewReno/RFC 6675 with RFC 6582 §3.2 step 1's recover = ISS unless
     * {@link #established} made RACK-TLP (SACK negotiated) or a SYN cookie made NewReno.
     */
    LossRecovery recovery() {
        LossRecovery r = recovery;
        if (r == null) {
            r = new NewRenoSackRecovery(this);
            r.reset(snd.iss, snd.iss);
            recovery = r;
        }
        return r;
    }

    /** The RFC 3522 detector, made at the first retransmission timeout that needs it. */
    EifelDetector eifel() {
        if (eifel == null) {
            eifel = new EifelDetector();
        }
        return eifel;
    }

    /** The RFC 5682 detector, made at the first retransmission timeout that needs it. */
    FrtoDetector frto() {
        if (frto == null) {
            frto = new FrtoDetector();
        }
        return frto;
    }

    /** The scoreboard to update: this connection's own from its first SACK block on. */
    SackScoreboard ownScoreboard() {
        if (scoreboard == SackScoreboard.EMPTY) {
            scoreboard = new SackScoreboard();
        }
        return scoreboard;
    }

    /** The options to change: a private copy from now on if they were shared (copy on write). */
    private TcpSocketOptions ownOptions() {
        if (!optsOwned) {
            opts = opts.clone();
            optsOwned = true;
        }
        return opts;
    }

    /** The congestion-control instance (for tests). */
    CongestionControl congestionControl() {
        return cc;
    }

    public TcpInfo info() {
        return new TcpInfo(state, endpoint(localHi, localLo, localPort), endpoint(remoteHi, remoteLo, remotePort),
                rtt.srtt() / 1000, rtt.rttvar() / 1000, rtt.rto() / 1000, snd.mss, cc.cwnd(), cc.ssthresh(),
                snd.max - snd.una, snd.wnd, rcv.window(), unacknowledged(), available(), snd.retransTotal,
                rtt.backoff(), snd.bytesAcked, rcv.bytesReceived, cc.name(), tsOk, sackOk, sndWscale, rcv.wscale);
    }

    private static String endpoint(long hi, long lo, int port) {
        IpAddr a = IpAddr.of(hi, lo);
        return a.isV4() ? a + ":" + port : "[" + a + "]:" + port;
    }

    String remote() {
        return endpoint(remoteHi, remoteLo, remotePort);
    }

    /** "local remote", as {@code ss} prints them. */
    String endpoints() {
        return endpoint(localHi, localLo, localPort) + " " + remote();
    }

    /**
     * Starts tracing this connection into {@code sink} (see {@link TcpTrace}); loop thread only.
     * Does nothing if it is traced already or has ended.
     */
    public void trace(TcpTraceSink sink) {
        if (trace == null && state != TcpState.CLOSED) {
            tcp.startTrace(this, sink);
        }
    }

    /** Records {@code e} in this connection's trace, if it is traced (one null check if not). */
    void traceEvent(TcpTrace.Event e, int seq, int end) {
        if (trace != null) {
            trace.record(e, seq, end);
        }
    }

    /** True while this connection is traced. */
    public boolean traced() {
        return trace != null;
    }

    @Override
    public String toString() {
        return "tcp " + endpoint(localHi, localLo, localPort) + " -> " + remote() + " " + state;
    }
}
