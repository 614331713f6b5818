package io.tapstack.netty;

import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.netty.util.NetUtil;
import io.tapstack.tcp.TcpSocketOptions;

import static io.netty.channel.ChannelOption.SO_BACKLOG;
import static io.netty.channel.ChannelOption.SO_RCVBUF;

/**
 * The options of a {@link TapstackServerSocketChannel}: SO_BACKLOG bounds the accept queue
 * (RFC 4987 §2.2; the SYN queue and SYN cookies lie beyond it), SO_RCVBUF is the receive ring of
 * every accepted connection; SO_REUSEADDR is kept and reported.
 */
public final class TapstackServerSocketChannelConfig extends TapstackChannelConfig<TapstackServerSocketChannelConfig>
        implements ServerSocketChannelConfig {
    final TcpSocketOptions opts = new TcpSocketOptions();
    private volatile int backlog = NetUtil.SOMAXCONN;

    TapstackServerSocketChannelConfig(TapstackServerSocketChannel ch) {
        super(ch, new ServerChannelRecvByteBufAllocator());
        opts.noDelay = true;
        option(SO_RCVBUF, this::getReceiveBufferSize, this::setReceiveBufferSize);
        option(SO_BACKLOG, this::getBacklog, this::setBacklog);
    }

    @Override
    public int getBacklog() {
        return backlog;
    }

    @Override
    public TapstackServerSocketChannelConfig setBacklog(int backlog) {
        if (backlog < 0) {
            throw new IllegalArgumentException("backlog: " + backlog);
        }
        this.backlog = backlog;
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return opts.receiveBufferSize > 0 ? opts.receiveBufferSize : 128 * 1024;
    }

    @Override
    public TapstackServerSocketChannelConfig setReceiveBufferSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("receiveBufferSize: " + size);
        }
        opts.receiveBufferSize = size;
        return this;
    }

    @Override
    public TapstackServerSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }
}
