package io.tapstack.tcp;

import io.tapstack.wire.IpAddr;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * A passive open (RFC 9293 §3.10.1 LISTEN) on an address and port; the wildcard address
 * (0.0.0.0 or ::) accepts on every local address of both families. Non-blocking and loop-only:
 * {@link #accept()} returns a completed connection or null.
 *
 * <p>Two bounded queues (RFC 4987 §2.2): half-open connections (SYN-RECEIVED, up to
 * {@code TcpConfig.synQueueSize}; SYN cookies beyond it) and established ones waiting for
 * {@link #accept()} (up to {@code backlog}; further handshakes are left unfinished and the
 * SYN-ACK retransmitted, as Linux does).
 */
public final class TcpListener {
    final Tcp tcp;
    final long addrHi;
    final long addrLo;
    final boolean wildcard;
    final int port;
    final int backlog;
    final TcpSocketOptions options;
    final ArrayDeque<TcpConnection> acceptQueue = new ArrayDeque<>();
    int synQueued;
    /** Next listener on the same port. */
    TcpListener nextOnPort;
    boolean closed;
    boolean notifyPending;
    TcpListener nextNotify;
    private Consumer<TcpListener> onAcceptable;
    private TcpHandler childHandler;

    TcpListener(Tcp tcp, IpAddr addr, int port, int backlog, TcpSocketOptions options) {
        this.tcp = tcp;
        this.addrHi = addr == null ? 0 : addr.hi();
        this.addrLo = addr == null ? 0 : addr.lo();
        this.wildcard = addr == null || addr.isAny();
        this.port = port;
        this.backlog = Math.max(1, backlog);
        this.options = options == null ? new TcpSocketOptions() : options.clone();
    }

    public int port() {
        return port;
    }

    public IpAddr address() {
        return wildcard ? IpAddr.V6_ANY : IpAddr.of(addrHi, addrLo);
    }

    /** Called (on the loop) when {@link #accept()} has a connection to hand out. */
    public void setAcceptHandler(Consumer<TcpListener> h) {
        this.onAcceptable = h;
        if (h != null && !acceptQueue.isEmpty()) {
            tcp.queueNotify(this);
            tcp.dispatch();
        }
    }

    /** Handler installed on each accepted connection before its first event (optional). */
    public void setChildHandler(TcpHandler h) {
        this.childHandler = h;
    }

    TcpHandler childHandler() {
        return childHandler;
    }

    void fireAcceptable() {
        Consumer<TcpListener> h = onAcceptable;
        if (h != null && !acceptQueue.isEmpty()) {
            h.accept(this);
        }
    }

    /** A completed connection, or null when none is waiting. */
    public TcpConnection accept() {
        TcpConnection c = acceptQueue.poll();
        if (c != null) {
            c.accepted = true;
            c.parent = null;
            if (c.handler == null && childHandler != null) {
                c.setHandler(childHandler);
            } else {
                tcp.queueNotify(c);
                tcp.dispatch();
            }
        }
        return c;
    }

    /** Connections waiting in the accept queue. */
    public int pending() {
        return acceptQueue.size();
    }

    /** Half-open connections in the SYN queue. */
    public int synQueued() {
        return synQueued;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops listening; connections not yet accepted are reset (RFC 9293 §3.10.4, LISTEN). */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tcp.unlisten(this);
        TcpConnection c;
        while ((c = acceptQueue.poll()) != null) {
            c.abort();
        }
        tcp.dispatch();
    }

    boolean matches(long hi, long lo) {
        if (wildcard) {
            return true;
        }
        return hi == addrHi && lo == addrLo;
    }

    @Override
    public String toString() {
        return "LISTEN " + (wildcard ? "*" : IpAddr.of(addrHi, addrLo).toString()) + ":" + port;
    }
}
