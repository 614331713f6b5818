package io.tapstack.tcp;

import io.tapstack.wire.IpAddr;

/** Per-connection options for {@link Tcp#connect} and {@link TcpListener} (inherited by accepted connections). */
public final class TcpSocketOptions implements Cloneable {
    /** Disable Nagle's algorithm (TCP_NODELAY; RFC 9293 §3.7.4). */
    public boolean noDelay;
    /** Send keepalive probes when idle (SO_KEEPALIVE; RFC 1122 §4.2.3.6); off by default. */
    public boolean keepAlive;
    /** 0 = the stack's defaults. */
    public long keepAliveIdleNanos;
    public long keepAliveIntervalNanos;
    public int keepAliveProbes;
    /** RFC 9293 §3.8.3 / RFC 5482 user timeout: give up when data stays unacked this long (0 = retry count). */
    public long userTimeoutNanos;
    /** Buffer sizes in bytes (0 = the stack's defaults). */
    public int sendBufferSize;
    public int receiveBufferSize;
    /** Local address to bind a connect to (null = chosen by routing). */
    public IpAddr localAddress;
    /** Local port to bind a connect to (0 = ephemeral, RFC 6056). */
    public int localPort;
    /** Congestion control by name ({@code CongestionControls}: "newreno", "cubic"); null = {@link TcpConfig#congestionControl}. */
    public String congestionControl;

    public TcpSocketOptions noDelay(boolean v) {
        noDelay = v;
        return this;
    }

    public TcpSocketOptions keepAlive(boolean v) {
        keepAlive = v;
        return this;
    }

    public TcpSocketOptions userTimeout(long nanos) {
        userTimeoutNanos = nanos;
        return this;
    }

    public TcpSocketOptions sendBuffer(int bytes) {
        sendBufferSize = bytes;
        return this;
    }

    public TcpSocketOptions receiveBuffer(int bytes) {
        receiveBufferSize = bytes;
        return this;
    }

    public TcpSocketOptions congestionControl(String name) {
        congestionControl = name;
        return this;
    }

    public TcpSocketOptions bind(IpAddr addr, int port) {
        localAddress = addr;
        localPort = port;
        return this;
    }

    @Override
    public TcpSocketOptions clone() {
        try {
            return (TcpSocketOptions) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
