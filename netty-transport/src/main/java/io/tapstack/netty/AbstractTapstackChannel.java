package io.tapstack.netty;

import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.EventLoop;
import io.tapstack.NetStack;
import io.tapstack.wire.IpAddr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * What every tapstack channel shares: its loop is a {@link TapstackEventLoop}, its stack that
 * loop's; once its socket exists it is pinned to that stack ({@link #home}); it is open until
 * {@code doClose} clears {@link #open}; its addresses are {@link InetSocketAddress}es.
 */
public abstract class AbstractTapstackChannel extends AbstractChannel {
    private final ChannelMetadata metadata;
    /** The stack of the channel's socket, once there is one: the channel cannot leave its loop. */
    volatile NetStack home;
    /** Cleared by {@code doClose}. */
    volatile boolean open = true;

    protected AbstractTapstackChannel(Channel parent, ChannelMetadata metadata) {
        super(parent);
        this.metadata = metadata;
    }

    /** The stack this channel must stay on (its socket's), or null while it is free to go anywhere. */
    final NetStack pinnedStack() {
        return home;
    }

    @Override
    public final ChannelMetadata metadata() {
        return metadata;
    }

    @Override
    public final boolean isOpen() {
        return open;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        if (!(loop instanceof TapstackEventLoop t)) {
            return false;
        }
        NetStack pinned = pinnedStack();
        return pinned == null || t.stack() == pinned;
    }

    /** The loop's stack (registered channels only). */
    protected final NetStack stack() {
        return ((TapstackEventLoop) eventLoop()).stack();
    }

    @Override
    protected void doRegister() throws Exception {
        ((TapstackEventLoop) eventLoop()).added(this);
    }

    @Override
    protected void doDeregister() throws Exception {
        ((TapstackEventLoop) eventLoop()).removed(this);
    }

    // ---------------------------------------------------------------- addresses

    static InetSocketAddress socketAddress(IpAddr a, int port) {
        if (a == null) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(a.toBytes()), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static InetSocketAddress checkInet(SocketAddress a) {
        if (!(a instanceof InetSocketAddress i)) {
            throw new UnsupportedOperationException("unsupported address type: " + (a == null ? null : a.getClass().getName()));
        }
        return i;
    }

    /** The stack's form of an address ({@code null} for a wildcard); resolves a host name once. */
    static IpAddr ipAddr(InetSocketAddress a) throws UnknownHostException {
        InetAddress ia = a.getAddress();
        if (ia == null) {
            ia = InetAddress.getByName(a.getHostString());
        }
        return IpAddr.ofBytes(ia.getAddress());
    }
}
