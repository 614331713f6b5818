package io.tapstack.tcp;

import io.tapstack.loop.Timer;
import io.tapstack.socket.TimedOut;
import io.tapstack.wire.TcpHeader;

/**
 * The timers of one connection (FreeBSD's tcp_timer.c, gVisor's timer.go), each one reusable
 * {@link Timer}, the connection timer allocated with the connection and the others on first use:
 * <ul>
 * <li>the connection timer, one of {@link Mode}: retransmission (RFC 6298), persist (RFC 9293
 *     §3.8.6.1), FIN-WAIT-2 timeout, TIME-WAIT 2·MSL (RFC 9293 §3.10.7.4) — never two at once;</li>
 * <li>the delayed ACK (RFC 9293 §3.8.6.3, RFC 5681 §4.2);</li>
 * <li>keepalive (RFC 1122 §4.2.3.6);</li>
 * <li>the reordering-window loss timer of {@link LossRecovery}.</li>
 * </ul>
 * Expiry routes to the part in charge and then delivers readiness events. This object is the
 * task of all four ({@link #onTimer(Timer, long)} tells them apart): no lambda per timer.
 */
final class TcpTimers implements Timer.Dispatch {
    /** What the connection timer is running for. */
    enum Mode {
        NONE,
        /** RFC 6298: data (or a SYN) is outstanding. */
        RETRANSMIT,
        /** RFC 9293 §3.8.6.1: a zero window (or SWS avoidance) holds data back. */
        PERSIST,
        /** The application closed and our FIN is acknowledged; the peer's FIN is awaited (Linux tcp_fin_timeout). */
        FIN_WAIT_2,
        /** RFC 9293 §3.10.7.4: 2·MSL in TIME-WAIT. */
        TIME_WAIT
    }

    private final TcpConnection c;
    private final Timer connTimer;
    /**
     * Made on first use: the delayed ACK once quick ACKs are over (a short connection often
     * never delays one), keepalive when it is on, the loss timer on reordering, loss or a tail probe.
     */
    private Timer delackTimer;
    private Timer kaTimer;
    private Timer lossTimer;
    private Mode mode = Mode.NONE;
    /** When the last segment arrived (keepalive idle time). */
    private long lastRecvTime;
    private int kaProbes;

    TcpTimers(TcpConnection c) {
        this.c = c;
        this.connTimer = new Timer(this);
        this.lastRecvTime = c.tcp.now();
    }

    Mode mode() {
        return mode;
    }

    // ---- the connection timer

    /** (Re)starts the retransmission timer (RFC 6298 §5.1, §5.3). */
    void armRetransmit(long delay) {
        arm(Mode.RETRANSMIT, delay);
    }

    /** RFC 6298 §5.1: start the retransmission timer unless it is running already. */
    void ensureRetransmit(long delay) {
        if (mode != Mode.RETRANSMIT || !connTimer.isScheduled()) {
            armRetransmit(delay);
        }
    }

    void arm(Mode m, long delay) {
        mode = m;
        c.tcp.schedule(connTimer, c.tcp.now() + delay);
    }

    void cancel() {
        c.tcp.cancel(connTimer);
        mode = Mode.NONE;
    }

    /** When the retransmission timer fires, or Long.MAX_VALUE if it is not running. */
    long retransmitDeadline() {
        return mode == Mode.RETRANSMIT && connTimer.isScheduled() ? connTimer.deadline() : Long.MAX_VALUE;
    }

    /** When the TIME-WAIT 2·MSL ends (RFC 9293 §3.10.7.4). */
    long timeWaitDeadline() {
        return mode == Mode.TIME_WAIT && connTimer.isScheduled() ? connTimer.deadline()
                : c.tcp.now() + c.tcp.config.timeWaitNanos();
    }

    /** True while the connection timer runs, in whatever mode. */
    boolean connTimerScheduled() {
        return connTimer.isScheduled();
    }

    @Override
    public void onTimer(Timer timer, long now) {
        if (timer == connTimer) {
            onConnTimer(now);
        } else if (timer == delackTimer) {
            onDelackTimer(now);
        } else if (timer == lossTimer) {
            onLossTimer(now);
        } else if (timer == kaTimer) {
            onKeepaliveTimer(now);
        }
    }

    private void onConnTimer(long now) {
        Mode m = mode;
        mode = Mode.NONE;
        switch (m) {
            case RETRANSMIT -> c.snd.retransmitTimeout(now);
            case PERSIST -> c.snd.persistTimeout(now);
            case TIME_WAIT, FIN_WAIT_2 -> c.terminate(null, false);
            default -> { }
        }
        c.tcp.dispatch();
    }

    // ---- delayed ACK

    /** Starts the delayed-ACK timer unless it runs (RFC 5681 §4.2: at most {@code delay}). */
    void delayAck(long delay) {
        if (delackTimer == null) {
            delackTimer = new Timer(this);
        }
        if (!delackTimer.isScheduled()) {
            c.tcp.schedule(delackTimer, c.tcp.now() + delay);
        }
    }

    /** An ACK went out: nothing is delayed any more. */
    void ackSent() {
        if (delackTimer != null) {
            c.tcp.cancel(delackTimer);
        }
    }

    private void onDelackTimer(long now) {
        if (c.state.synchronized_() && c.state != TcpState.TIME_WAIT && c.rcv.ackPending()) {
            c.tcp.counters.inc(TcpCounter.DELAYED_ACKS);
            c.tcp.segmentWriter.sendAck(c);
        }
        c.tcp.dispatch();
    }

    // ---- keepalive (RFC 1122 §4.2.3.6)

    /** A segment arrived: the peer is alive. */
    void segmentReceived(long now) {
        lastRecvTime = now;
        kaProbes = 0;
    }

    void armKeepalive() {
        if (kaTimer == null) {
            kaTimer = new Timer(this);
        }
        c.tcp.schedule(kaTimer, lastRecvTime + kaIdle());
    }

    void cancelKeepalive() {
        if (kaTimer != null) {
            c.tcp.cancel(kaTimer);
        }
    }

    private long kaIdle() {
        TcpSocketOptions opts = c.opts;
        return opts.keepAliveIdleNanos > 0 ? opts.keepAliveIdleNanos : c.tcp.config.keepaliveIdleNanos;
    }

    /** RFC 1122 §4.2.3.6 keepalive: <SEQ=SND.UNA−1> with no data elicits an ACK. */
    private void onKeepaliveTimer(long now) {
        TcpSocketOptions opts = c.opts;
        TcpState state = c.state;
        if (!opts.keepAlive || !(state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT
                || state == TcpState.FIN_WAIT_2)) {
            return;
        }
        long interval = opts.keepAliveIntervalNanos > 0 ? opts.keepAliveIntervalNanos : c.tcp.config.keepaliveIntervalNanos;
        int probes = opts.keepAliveProbes > 0 ? opts.keepAliveProbes : c.tcp.config.keepaliveProbes;
        if (now - lastRecvTime < kaIdle() && kaProbes == 0) {
            armKeepalive();
            return;
        }
        if (c.snd.max != c.snd.una) {
            c.tcp.schedule(kaTimer, now + interval); // the retransmission timer is in charge
            return;
        }
        if (kaProbes >= probes) {
            c.tcp.counters.inc(TcpCounter.KEEPALIVE_TIMEOUTS);
            c.sendRst();
            c.terminate(new TimedOut("keepalive: " + c.remote() + " stopped answering"), false);
            c.tcp.dispatch();
            return;
        }
        kaProbes++;
        c.tcp.counters.inc(TcpCounter.KEEPALIVE_PROBES);
        c.tcp.segmentWriter.sendSegment(c, c.snd.una - 1, TcpHeader.ACK_FLAG, 0, 0);
        c.tcp.schedule(kaTimer, now + interval);
    }

    // ---- loss detection

    boolean lossTimerScheduled() {
        return lossTimer != null && lossTimer.isScheduled();
    }

    void armLossTimer(long deadline) {
        if (lossTimer == null) {
            lossTimer = new Timer(this);
        }
        c.tcp.schedule(lossTimer, deadline);
    }

    private void cancelLossTimer() {
        if (lossTimer != null) {
            c.tcp.cancel(lossTimer);
        }
    }

    private void onLossTimer(long now) {
        if (c.recovery().onLossTimer(now)) {
            c.tcp.dispatch();
        }
    }

    // ---- teardown

    /** TIME-WAIT: only the 2·MSL timer remains. */
    void cancelAllButConnTimer() {
        ackSent();
        cancelKeepalive();
        cancelLossTimer();
    }

    /** The connection ended: every timer off. */
    void cancelAll() {
        c.tcp.cancel(connTimer);
        cancelAllButConnTimer();
        mode = Mode.NONE;
    }
}
