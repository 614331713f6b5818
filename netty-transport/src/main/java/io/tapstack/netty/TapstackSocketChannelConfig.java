package io.tapstack.netty;

import io.netty.channel.socket.SocketChannelConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpSocketOptions;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;

/**
 * The options of a {@link TapstackSocketChannel}, mapped onto the stack's connection: SO_RCVBUF
 * and SO_SNDBUF size its receive and send rings (set before connecting; an accepted connection
 * has its listener's), TCP_NODELAY switches Nagle off (on by default, as in Netty's own
 * transports), SO_KEEPALIVE sends RFC 1122 §4.2.3.6 keepalives, SO_LINGER 0 makes close send a
 * RST (RFC 9293 §3.10.5 ABORT). SO_REUSEADDR and IP_TOS are kept and reported but change nothing:
 * the stack has no bind conflicts with TIME-WAIT and sends TOS 0.
 */
public final class TapstackSocketChannelConfig extends TapstackChannelConfig<TapstackSocketChannelConfig>
        implements SocketChannelConfig {
    private final TapstackSocketChannel ch;
    /** Applied when the connection is opened (connect), or read back from it. */
    final TcpSocketOptions opts = new TcpSocketOptions();
    private volatile boolean allowHalfClosure;
    private volatile int soLinger = -1;
    private volatile int trafficClass;

    TapstackSocketChannelConfig(TapstackSocketChannel ch) {
        super(ch);
        this.ch = ch;
        opts.noDelay = true;
        option(SO_RCVBUF, this::getReceiveBufferSize, this::setReceiveBufferSize);
        option(SO_SNDBUF, this::getSendBufferSize, this::setSendBufferSize);
        option(TCP_NODELAY, this::isTcpNoDelay, this::setTcpNoDelay);
        option(SO_KEEPALIVE, this::isKeepAlive, this::setKeepAlive);
        option(SO_LINGER, this::getSoLinger, this::setSoLinger);
        option(IP_TOS, this::getTrafficClass, this::setTrafficClass);
        option(ALLOW_HALF_CLOSURE, this::isAllowHalfClosure, this::setAllowHalfClosure);
    }

    private TcpConnection conn() {
        return ch.connection();
    }

    @Override
    public int getReceiveBufferSize() {
        TcpConnection c = conn();
        if (c != null) {
            return c.receiveBufferSize();
        }
        return opts.receiveBufferSize > 0 ? opts.receiveBufferSize : ch.defaultReceiveBufferSize();
    }

    @Override
    public TapstackSocketChannelConfig setReceiveBufferSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("receiveBufferSize: " + size);
        }
        opts.receiveBufferSize = size;
        return this;
    }

    @Override
    public int getSendBufferSize() {
        TcpConnection c = conn();
        if (c != null) {
            return c.sendBufferSize();
        }
        return opts.sendBufferSize > 0 ? opts.sendBufferSize : ch.defaultSendBufferSize();
    }

    @Override
    public TapstackSocketChannelConfig setSendBufferSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("sendBufferSize: " + size);
        }
        opts.sendBufferSize = size;
        return this;
    }

    @Override
    public boolean isTcpNoDelay() {
        return opts.noDelay;
    }

    @Override
    public TapstackSocketChannelConfig setTcpNoDelay(boolean on) {
        opts.noDelay = on;
        ch.onLoop(c -> c.setNoDelay(on));
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        return opts.keepAlive;
    }

    @Override
    public TapstackSocketChannelConfig setKeepAlive(boolean on) {
        opts.keepAlive = on;
        ch.onLoop(c -> c.setKeepAlive(on));
        return this;
    }

    @Override
    public int getSoLinger() {
        return soLinger;
    }

    @Override
    public TapstackSocketChannelConfig setSoLinger(int soLinger) {
        this.soLinger = soLinger;
        return this;
    }

    @Override
    public int getTrafficClass() {
        return trafficClass;
    }

    @Override
    public TapstackSocketChannelConfig setTrafficClass(int trafficClass) {
        this.trafficClass = trafficClass;
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public TapstackSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    @Override
    protected void autoReadCleared() {
        ch.clearReadPending();
    }
}
