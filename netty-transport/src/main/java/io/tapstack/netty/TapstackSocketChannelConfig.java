package io.tapstack.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpSocketOptions;

import java.util.Map;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
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
public final class TapstackSocketChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {
    private final TapstackSocketChannel ch;
    /** Applied when the connection is opened (connect), or read back from it. */
    final TcpSocketOptions opts = new TcpSocketOptions();
    private volatile boolean allowHalfClosure;
    private volatile int soLinger = -1;
    private volatile boolean reuseAddress;
    private volatile int trafficClass;

    TapstackSocketChannelConfig(TapstackSocketChannel ch) {
        super(ch);
        this.ch = ch;
        opts.noDelay = true;
    }

    private TcpConnection conn() {
        return ch.connection();
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR, SO_LINGER,
                IP_TOS, ALLOW_HALF_CLOSURE);
    }

    @SuppressWarnings({"unchecked", "deprecation"})
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == TCP_NODELAY) {
            return (T) Boolean.valueOf(isTcpNoDelay());
        }
        if (option == SO_KEEPALIVE) {
            return (T) Boolean.valueOf(isKeepAlive());
        }
        if (option == SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == SO_LINGER) {
            return (T) Integer.valueOf(getSoLinger());
        }
        if (option == IP_TOS) {
            return (T) Integer.valueOf(getTrafficClass());
        }
        if (option == ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == TCP_NODELAY) {
            setTcpNoDelay((Boolean) value);
        } else if (option == SO_KEEPALIVE) {
            setKeepAlive((Boolean) value);
        } else if (option == SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == SO_LINGER) {
            setSoLinger((Integer) value);
        } else if (option == IP_TOS) {
            setTrafficClass((Integer) value);
        } else if (option == ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
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
    public boolean isReuseAddress() {
        return reuseAddress;
    }

    @Override
    public TapstackSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        this.reuseAddress = reuseAddress;
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

    // ------------------------------------------------------------ covariant returns

    @Override
    public TapstackSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Deprecated
    @Override
    public TapstackSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public TapstackSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    protected void autoReadCleared() {
        ch.clearReadPending();
    }
}
