package io.tapstack.netty;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.tapstack.NetStack;
import io.tapstack.socket.AddressInUse;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpListener;
import io.tapstack.wire.IpAddr;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A Netty {@link ServerSocketChannel} that is a tapstack {@link TcpListener} on the stack of its
 * loop. Reading accepts: each completed connection becomes a {@link TapstackSocketChannel} that
 * stays on the loop of the stack that accepted it (the group registers it there).
 *
 * <p>With a multi-queue TAP the kernel steers each flow to one queue, so the channel listens on
 * every stack of its group: a connection accepted by a sibling stack is announced to this
 * channel's pipeline (one hand-off per connection, not per packet) and then lives on the
 * sibling's loop.
 */
public final class TapstackServerSocketChannel extends AbstractTapstackChannel implements ServerSocketChannel {
    private static final System.Logger LOG = System.getLogger("io.tapstack.netty");
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
    /** Tries for a free port when binding to port 0 (RFC 6056's range, as for connections). */
    private static final int BIND_TRIES = 1000;

    private final TapstackServerSocketChannelConfig config = new TapstackServerSocketChannelConfig(this);
    private volatile TcpListener listener;
    private volatile InetSocketAddress local;
    private boolean readInterest;
    private boolean readScheduled;
    private final List<Object> accepted = new ArrayList<>();
    /** Listeners on the sibling stacks of a multi-queue host, each touched only on its own loop. */
    private final List<Sibling> siblings = new java.util.concurrent.CopyOnWriteArrayList<>();

    private record Sibling(TapstackEventLoop loop, TcpListener listener) {
    }
    private final Runnable readTask = () -> {
        readScheduled = false;
        if (readInterest && isOpen()) {
            acceptNow();
        }
    };

    public TapstackServerSocketChannel() {
        super(null, METADATA);
    }

    @Override
    public TapstackServerSocketChannelConfig config() {
        return config;
    }

    @Override
    public boolean isActive() {
        return open && listener != null;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        InetSocketAddress a = checkInet(localAddress);
        IpAddr ip = ipAddr(a);
        NetStack s = stack();
        if (!ip.isAny() && !s.isLocalAddress(ip.hi(), ip.lo())) {
            throw new BindException("Cannot assign requested address: " + a);
        }
        IpAddr on = ip.isAny() ? null : ip;
        int backlog = Math.max(1, config.getBacklog());
        TcpListener l = null;
        if (a.getPort() != 0) {
            try {
                l = s.tcp().listen(on, a.getPort(), backlog, config.opts);
            } catch (AddressInUse e) {
                throw TapstackErrors.map(e);
            }
        } else {
            int low = s.config().ephemeralPortLow;
            int high = s.config().ephemeralPortHigh;
            for (int i = 0; i < BIND_TRIES && l == null; i++) {
                int port = low + ThreadLocalRandom.current().nextInt(high - low + 1);
                try {
                    l = s.tcp().listen(on, port, backlog, config.opts);
                } catch (AddressInUse taken) {
                    // try another
                }
            }
            if (l == null) {
                throw new BindException("no free port to listen on");
            }
        }
        l.setAcceptHandler(x -> onAcceptable());
        home = s;
        listener = l;
        listenOnSiblings(on, l.port(), backlog);
        local = socketAddress(on == null ? (a.getAddress() != null ? IpAddr.ofBytes(a.getAddress().getAddress()) : IpAddr.V6_ANY) : on, l.port());
    }

    private void listenOnSiblings(IpAddr on, int port, int backlog) {
        TapstackEventLoop me = (TapstackEventLoop) eventLoop();
        for (TapstackEventLoop sib : ((TapstackEventLoopGroup) me.parent()).loops()) {
            if (sib == me) {
                continue;
            }
            sib.execute(() -> {
                NetStack ss = sib.stack();
                try {
                    TcpListener sl = ss.tcp().listen(on, port, backlog, config.opts);
                    sl.setAcceptHandler(x -> {
                        TcpConnection c;
                        while ((c = x.accept()) != null) {
                            handOver(new TapstackSocketChannel(this, c, ss), sib, c);
                        }
                    });
                    siblings.add(new Sibling(sib, sl));
                    if (!open) {
                        sl.close();
                    }
                } catch (AddressInUse e) {
                    LOG.log(System.Logger.Level.WARNING, "port " + port + " is taken on " + sib + ": its queue cannot accept");
                }
            });
        }
    }

    /** A sibling stack accepted a connection: this channel's pipeline hears of it on this loop. */
    private void handOver(TapstackSocketChannel child, TapstackEventLoop sib, TcpConnection c) {
        try {
            eventLoop().execute(() -> {
                if (isOpen()) {
                    pipeline().fireChannelRead(child);
                    pipeline().fireChannelReadComplete();
                } else {
                    sib.execute(c::abort);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            c.abort();
        }
    }

    private void onAcceptable() {
        if (readInterest && !readScheduled) {
            acceptNow();
        }
    }

    @Override
    protected void doBeginRead() {
        readInterest = true;
        TcpListener l = listener;
        if (l != null && l.pending() > 0 && !readScheduled) {
            readScheduled = true;
            eventLoop().execute(readTask);
        }
    }

    /** Accepts a burst of connections into the pipeline (NIO's message read of a server channel). */
    private void acceptNow() {
        TcpListener l = listener;
        if (l == null) {
            return;
        }
        ChannelConfig cfg = config();
        ChannelPipeline pipeline = pipeline();
        RecvByteBufAllocator.Handle handle = unsafe().recvBufAllocHandle();
        handle.reset(cfg);
        NetStack s = stack();
        do {
            TcpConnection c = l.accept();
            if (c == null) {
                break;
            }
            accepted.add(new TapstackSocketChannel(this, c, s));
            handle.incMessagesRead(1);
        } while (handle.continueReading());
        int n = accepted.size();
        for (int i = 0; i < n; i++) {
            pipeline.fireChannelRead(accepted.get(i));
        }
        accepted.clear();
        handle.readComplete();
        pipeline.fireChannelReadComplete();
        if (!cfg.isAutoRead()) {
            readInterest = false;
        }
        if (readInterest && l.pending() > 0 && !readScheduled) {
            readScheduled = true;
            eventLoop().execute(readTask);
        }
    }

    @Override
    protected void doClose() throws Exception {
        open = false;
        TcpListener l = listener;
        if (l != null) {
            l.close(); // connections not yet accepted are reset (RFC 9293 §3.10.4)
        }
        for (Sibling sb : siblings) {
            try {
                sb.loop().execute(sb.listener()::close);
            } catch (java.util.concurrent.RejectedExecutionException gone) {
                // that loop has stopped: its listener went with it
            }
        }
        siblings.clear();
    }

    @Override
    protected void doDisconnect() throws Exception {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        throw new UnsupportedOperationException();
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remote, SocketAddress localAddress, ChannelPromise promise) {
                promise.setFailure(new UnsupportedOperationException());
            }
        };
    }

    /** The listener underneath (for tests and statistics), or null before bind. */
    public TcpListener listener() {
        return listener;
    }
}
