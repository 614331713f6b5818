package io.tapstack.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.tapstack.NetStack;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpSocketOptions;
import io.tapstack.wire.IpAddr;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Netty {@link SocketChannel} that is a tapstack {@link TcpConnection}. Readiness-driven: the
 * connection's {@link TcpHandler} callbacks (on the loop thread, where the segments arrived)
 * read into the pipeline's buffers straight from the receive ring and resume writes when the
 * send ring has room; bytes are copied once each way, between a {@link ByteBuf} and the ring.
 */
public final class TapstackSocketChannel extends AbstractTapstackChannel implements SocketChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    private final TapstackSocketChannelConfig config;
    private final Events events = new Events();
    /** Loop thread only once registered; volatile for address and state queries from elsewhere. */
    private volatile TcpConnection conn;
    /**
     * Connected once (handshake done): like a JDK socket the channel stays active until it is
     * closed, even after the stack ended the connection (a RST), so that closing it fires
     * channelInactive.
     */
    private volatile boolean established;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;
    private volatile InetSocketAddress requestedLocal;
    private ChannelPromise connectPromise;
    private ScheduledFuture<?> connectTimeout;
    private SocketAddress requestedRemote;
    // read and write readiness (loop thread)
    private boolean readInterest;
    private boolean readPending;
    private boolean readScheduled;
    private boolean inputClosedSeenErrorOnRead;
    private boolean waitingWritable;
    private final Runnable readTask = () -> {
        readScheduled = false;
        if (readInterest && isOpen()) {
            ((TapstackUnsafe) unsafe()).readNow();
        }
    };

    /** A channel for connecting (Bootstrap's {@code channel(TapstackSocketChannel.class)}). */
    public TapstackSocketChannel() {
        super(null, METADATA);
        this.config = new TapstackSocketChannelConfig(this);
    }

    /** An accepted connection, which lives on the loop of {@code stack}. */
    TapstackSocketChannel(TapstackServerSocketChannel parent, TcpConnection c, NetStack stack) {
        super(parent, METADATA);
        this.home = stack;
        this.conn = c;
        this.established = true;
        this.config = new TapstackSocketChannelConfig(this);
    }

    TcpConnection connection() {
        return conn;
    }

    int defaultReceiveBufferSize() {
        return isRegistered() ? stack().tcp().config().receiveBufferSize : 0;
    }

    int defaultSendBufferSize() {
        return isRegistered() ? stack().tcp().config().sendBufferSize : 0;
    }

    /** Applies {@code f} to the connection on its loop (now if called there). */
    void onLoop(Consumer<TcpConnection> f) {
        TcpConnection c = conn;
        if (c == null || !isRegistered()) {
            return;
        }
        EventLoop l = eventLoop();
        if (l.inEventLoop()) {
            f.accept(c);
        } else {
            l.execute(() -> f.accept(c));
        }
    }

    void clearReadPending() {
        if (isRegistered()) {
            EventLoop l = eventLoop();
            if (l.inEventLoop()) {
                readPending = false;
                readInterest = false;
            } else {
                l.execute(() -> {
                    readPending = false;
                    readInterest = false;
                });
            }
        } else {
            readPending = false;
        }
    }

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }

    @Override
    public TapstackSocketChannelConfig config() {
        return config;
    }

    @Override
    public boolean isActive() {
        return open && established;
    }

    @Override
    protected SocketAddress localAddress0() {
        TcpConnection c = conn;
        if (c != null) {
            return socketAddress(c.localAddress(), c.localPort());
        }
        return requestedLocal;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        TcpConnection c = conn;
        return c == null || connectPromise != null ? null : socketAddress(c.remoteAddress(), c.remotePort());
    }

    // ------------------------------------------------------------ half-close

    @Override
    public boolean isInputShutdown() {
        TcpConnection c = conn;
        return inputShutdown || c == null || !isActive();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isActive();
    }

    @Override
    public boolean isShutdown() {
        return (inputShutdown && outputShutdown) || !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            ((AbstractUnsafe) unsafe()).shutdownOutput(promise);
        } else {
            loop.execute(() -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
        }
        return promise;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            shutdownInput0(promise);
        } else {
            loop.execute(() -> shutdownInput0(promise));
        }
        return promise;
    }

    private void shutdownInput0(ChannelPromise promise) {
        if (!isActive()) {
            promise.setFailure(new ClosedChannelException());
            return;
        }
        // TCP has no shutdown of the receive side on the wire: reads end here (as after SHUT_RD)
        inputShutdown = true;
        promise.setSuccess();
        scheduleRead();
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        ChannelFuture out = shutdownOutput();
        out.addListener(f -> {
            ChannelFuture in = shutdownInput();
            in.addListener(g -> {
                Throwable c = f.cause() != null ? f.cause() : g.cause();
                if (c != null) {
                    promise.setFailure(c);
                } else {
                    promise.setSuccess();
                }
            });
        });
        return promise;
    }

    @Override
    protected void doShutdownOutput() throws Exception {
        TcpConnection c = conn;
        if (c == null) {
            throw new ClosedChannelException();
        }
        outputShutdown = true;
        c.shutdownOutput(); // FIN after what the send ring holds (RFC 9293 §3.10.4)
    }

    // ------------------------------------------------------------ life cycle

    @Override
    protected void doRegister() throws Exception {
        super.doRegister();
        TcpConnection c = conn;
        if (c != null) {
            c.setHandler(events); // an accepted connection: its events start flowing now
        }
    }

    @Override
    protected void doBind(SocketAddress local) throws Exception {
        InetSocketAddress a = checkInet(local);
        if (conn != null) {
            throw new AlreadyConnectedException();
        }
        IpAddr ip = ipAddr(a);
        if (!ip.isAny() && !stack().isLocalAddress(ip.hi(), ip.lo())) {
            throw new java.net.BindException("Cannot assign requested address: " + a);
        }
        requestedLocal = a;
    }

    @Override
    protected void doDisconnect() throws Exception {
        doClose();
    }

    @Override
    protected void doClose() throws Exception {
        boolean wasOpen = open;
        open = false;
        ChannelPromise p = connectPromise;
        if (p != null) {
            connectPromise = null;
            p.tryFailure(new ClosedChannelException());
        }
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        TcpConnection c = conn;
        if (c != null && wasOpen) {
            if (config.getSoLinger() == 0) {
                c.abort(); // SO_LINGER 0: RST, pending data discarded (RFC 9293 §3.10.5)
            } else {
                c.close();
            }
        }
    }

    @Override
    protected void doBeginRead() throws Exception {
        readPending = true;
        readInterest = true;
        scheduleRead();
    }

    /** Reads soon (not from inside the caller) if there is anything to read. */
    private void scheduleRead() {
        TcpConnection c = conn;
        if (readScheduled || !readInterest || c == null) {
            return;
        }
        if (c.available() > 0 || c.isInputShutdown() || inputShutdown || c.error() != null) {
            readScheduled = true;
            eventLoop().execute(readTask);
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf || msg instanceof FileRegion) {
            return msg;
        }
        throw new UnsupportedOperationException("unsupported message type: " + msg.getClass().getName()
                + " (expected ByteBuf or FileRegion)");
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        waitingWritable = !SendRingWriter.write(conn, in, ringChannel); // onWritable resumes a full ring
    }

    /** The send ring as a channel, for {@link FileRegion#transferTo}. */
    private final WritableByteChannel ringChannel = new WritableByteChannel() {
        @Override
        public int write(ByteBuffer src) throws IOException {
            return conn.write(src);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
        }
    };

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new TapstackUnsafe();
    }

    // ------------------------------------------------------------ the connection's events

    private final class Events implements TcpHandler {
        @Override
        public void onConnected(TcpConnection c) {
            ((TapstackUnsafe) unsafe()).finishConnect();
        }

        @Override
        public void onReadable(TcpConnection c) {
            TapstackUnsafe u = (TapstackUnsafe) unsafe();
            if (readInterest) {
                if (!readScheduled) {
                    u.readNow();
                }
            } else if (c.isInputShutdown() && c.available() == 0 && !inputClosedSeenErrorOnRead && open) {
                // the peer's FIN with nothing left unread: reported even while the pipeline does not
                // read (as epoll's EPOLLRDHUP), so a half-closed peer is seen without AUTO_READ
                u.readNow();
                if (open && inputShutdown && !inputClosedSeenErrorOnRead) {
                    u.readNow();
                }
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (waitingWritable) {
                waitingWritable = false;
                ((TapstackUnsafe) unsafe()).flushNow();
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            TapstackUnsafe u = (TapstackUnsafe) unsafe();
            if (connectPromise != null) {
                u.connectFailed(error != null ? error : new io.tapstack.socket.ConnectionRefused("connection closed"));
                return;
            }
            if (!open) {
                return;
            }
            if (readInterest) {
                u.readNow(); // the rest of the data, then the end or the error
            } else if (error != null) {
                pipeline().fireExceptionCaught(TapstackErrors.map(error));
                u.close(u.voidPromise());
            }
        }
    }

    private final class TapstackUnsafe extends AbstractUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            if (!promise.setUncancellable() || !ensureOpen(promise)) {
                return;
            }
            try {
                if (connectPromise != null) {
                    throw new ConnectionPendingException();
                }
                if (conn != null) {
                    throw new AlreadyConnectedException();
                }
                InetSocketAddress r = checkInet(remote);
                if (local != null) {
                    doBind(local);
                }
                TcpSocketOptions o = config.opts.clone();
                InetSocketAddress l = requestedLocal;
                if (l != null) {
                    o.bind(ipAddr(l).isAny() ? null : ipAddr(l), l.getPort());
                }
                requestedRemote = r;
                connectPromise = promise;
                home = stack();
                IpAddr dst = ipAddr(r);
                if (dst.isAny()) {
                    // as Linux: a connect to the unspecified address goes to this host itself
                    dst = dst.isV4() ? IpAddr.ofV4(0x7f000001) : IpAddr.of(0, 1);
                }
                conn = stack().tcp().connect(dst, r.getPort(), o, events);
                int timeout = config.getConnectTimeoutMillis();
                if (timeout > 0) {
                    connectTimeout = eventLoop().schedule(() -> {
                        ChannelPromise p = connectPromise;
                        if (p != null && !p.isDone()) {
                            connectPromise = null;
                            close(voidPromise());
                            p.tryFailure(new ConnectTimeoutException("connection timed out after " + timeout + " ms: " + r));
                        }
                    }, timeout, TimeUnit.MILLISECONDS);
                }
                promise.addListener(f -> {
                    if (f.isCancelled()) {
                        if (connectTimeout != null) {
                            connectTimeout.cancel(false);
                        }
                        connectPromise = null;
                        close(voidPromise());
                    }
                });
            } catch (Throwable t) {
                connectPromise = null;
                promise.tryFailure(TapstackErrors.connectFailure(t, remote));
                closeIfClosed();
            }
        }

        void finishConnect() {
            ChannelPromise p = connectPromise;
            if (p == null) {
                return;
            }
            connectPromise = null;
            if (connectTimeout != null) {
                connectTimeout.cancel(false);
                connectTimeout = null;
            }
            established = true;
            boolean active = isActive();
            boolean set = p.trySuccess();
            if (active) {
                pipeline().fireChannelActive();
            }
            if (!set) {
                close(voidPromise());
            }
        }

        void connectFailed(Throwable cause) {
            ChannelPromise p = connectPromise;
            connectPromise = null;
            if (connectTimeout != null) {
                connectTimeout.cancel(false);
                connectTimeout = null;
            }
            close(voidPromise()); // closed before the promise fails, as a failed JDK connect leaves it
            if (p != null) {
                p.tryFailure(TapstackErrors.connectFailure(cause, requestedRemote));
            }
        }

        void flushNow() {
            super.flush0();
        }

        @Override
        protected void flush0() {
            if (waitingWritable) {
                return; // resumes on onWritable
            }
            super.flush0();
        }

        /** One read burst into the pipeline (NIO's read of a readable channel, on readiness). */
        void readNow() {
            ChannelConfig cfg = config();
            ChannelPipeline pipeline = pipeline();
            TcpConnection c = conn;
            if (c == null || !open) {
                return;
            }
            if (inputShutdown && (inputClosedSeenErrorOnRead || !config.isAllowHalfClosure())) {
                // the input is over and its events were delivered (NIO's shouldBreakReadReady)
                readPending = false;
                if (!cfg.isAutoRead()) {
                    readInterest = false;
                }
                return;
            }
            RecvByteBufAllocator.Handle handle = recvBufAllocHandle();
            ByteBufAllocator alloc = cfg.getAllocator();
            handle.reset(cfg);
            ByteBuf buf = null;
            boolean close = false;
            try {
                do {
                    buf = handle.allocate(alloc);
                    handle.lastBytesRead(readBytes(c, buf, handle));
                    if (handle.lastBytesRead() <= 0) {
                        buf.release();
                        buf = null;
                        close = handle.lastBytesRead() < 0;
                        if (close) {
                            readPending = false;
                        }
                        break;
                    }
                    handle.incMessagesRead(1);
                    readPending = false;
                    pipeline.fireChannelRead(buf);
                    buf = null;
                } while (handle.continueReading() && open);
                handle.readComplete();
                pipeline.fireChannelReadComplete();
                if (close) {
                    closeOnRead(pipeline);
                }
            } catch (Throwable t) {
                handleReadException(pipeline, buf, t, close, handle);
            } finally {
                if (!readPending && !cfg.isAutoRead()) {
                    readInterest = false;
                }
            }
            // level-triggered like a selector: what is left is read on a later pass
            scheduleRead();
        }

        private int readBytes(TcpConnection c, ByteBuf buf, RecvByteBufAllocator.Handle handle) throws IOException {
            if (inputShutdown) {
                return -1;
            }
            int writable = buf.writableBytes();
            handle.attemptedBytesRead(writable);
            int n = buf.hasArray()
                    ? c.read(buf.array(), buf.arrayOffset() + buf.writerIndex(), writable)
                    : c.read(buf.internalNioBuffer(buf.writerIndex(), writable));
            if (n > 0) {
                buf.writerIndex(buf.writerIndex() + n);
            } else if (n == 0 && !c.isOpen()) {
                return -1; // ended without a FIN from the peer: nothing more will come
            }
            return n;
        }

        private void closeOnRead(ChannelPipeline pipeline) {
            if (!inputShutdown) {
                if (config.isAllowHalfClosure()) {
                    inputShutdown = true;
                    pipeline.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                } else {
                    close(voidPromise());
                }
            } else if (!inputClosedSeenErrorOnRead) {
                inputClosedSeenErrorOnRead = true;
                pipeline.fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
        }

        private void handleReadException(ChannelPipeline pipeline, ByteBuf buf, Throwable cause, boolean close,
                                         RecvByteBufAllocator.Handle handle) {
            if (buf != null) {
                if (buf.isReadable()) {
                    readPending = false;
                    pipeline.fireChannelRead(buf);
                } else {
                    buf.release();
                }
            }
            handle.readComplete();
            pipeline.fireChannelReadComplete();
            Throwable mapped = cause instanceof IOException io ? TapstackErrors.map(io) : cause;
            pipeline.fireExceptionCaught(mapped);
            if (cause instanceof IOException) {
                // the connection failed (reset, timed out): nothing more can be read or written
                close(voidPromise());
            } else if (close || cause instanceof OutOfMemoryError) {
                closeOnRead(pipeline);
            }
        }
    }
}
