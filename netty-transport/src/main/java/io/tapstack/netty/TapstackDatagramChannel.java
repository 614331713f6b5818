package io.tapstack.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;

/**
 * A Netty {@link DatagramChannel} that is a tapstack {@link UdpSocket}. While the pipeline reads,
 * datagrams go from the stack straight into the pipeline's buffers on the loop thread; while it
 * does not ({@code AUTO_READ} off), they wait in the socket's bounded queue. Multicast
 * membership is not offered (the stack joins no groups for applications).
 */
public final class TapstackDatagramChannel extends AbstractTapstackChannel implements DatagramChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(true, 16);

    private final TapstackDatagramChannelConfig config = new TapstackDatagramChannelConfig(this);
    private volatile UdpSocket socket;
    private volatile boolean bound;
    private volatile boolean connected;
    private volatile InetSocketAddress local;
    private volatile InetSocketAddress remote;
    private boolean readInterest;
    /** Datagrams straight from the stack; an ICMP error on a connected socket becomes exceptionCaught (as NIO's). */
    private final UdpSocket.Handler direct = new UdpSocket.Handler() {
        @Override
        public void onDatagram(UdpSocket s, ByteBuffer buf, int off, int len, long srcHi, long srcLo, int srcPort) {
            TapstackDatagramChannel.this.onDatagram(s, buf, off, len, srcHi, srcLo, srcPort);
        }

        @Override
        public void onError(UdpSocket s, IOException e) {
            if (open) {
                pipeline().fireExceptionCaught(e);
            }
        }
    };

    public TapstackDatagramChannel() {
        super(null, METADATA);
    }

    @Override
    public TapstackDatagramChannelConfig config() {
        return config;
    }

    @Override
    public boolean isActive() {
        return open && bound;
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    private UdpSocket socket() {
        UdpSocket s = socket;
        if (s == null) {
            s = stack().udp().open();
            socket = s;
            home = stack();
        }
        return s;
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        InetSocketAddress a = checkInet(localAddress);
        IpAddr ip = ipAddr(a);
        UdpSocket s = socket();
        try {
            // the unspecified IPv4 address binds IPv4 only, as in the stack; "::" both families
            s.bind(ip.isAny() && !ip.isV4() ? null : ip, a.getPort());
        } catch (IOException e) {
            throw TapstackErrors.map(e);
        }
        bound = true;
        local = socketAddress(s.localAddress(), s.localPort());
        if (readInterest) {
            s.setHandler(direct);
        }
    }

    private void doConnect(SocketAddress remoteAddress, SocketAddress localAddress) throws Exception {
        if (localAddress != null) {
            doBind(localAddress);
        }
        InetSocketAddress r = checkInet(remoteAddress);
        UdpSocket s = socket();
        try {
            s.connect(ipAddr(r), r.getPort());
        } catch (IOException e) {
            throw TapstackErrors.map(e);
        }
        bound = true;
        connected = true;
        remote = r;
        local = socketAddress(s.localAddress(), s.localPort());
    }

    @Override
    protected void doDisconnect() throws Exception {
        UdpSocket s = socket;
        if (s != null) {
            s.disconnect();
        }
        connected = false;
        remote = null;
    }

    @Override
    protected void doClose() throws Exception {
        open = false;
        connected = false;
        UdpSocket s = socket;
        if (s != null) {
            s.close();
        }
    }

    @Override
    protected void doBeginRead() throws Exception {
        readInterest = true;
        UdpSocket s = socket;
        if (s == null || !bound) {
            return;
        }
        if (s.available() > 0) {
            eventLoop().execute(this::drainQueue);
        } else {
            s.setHandler(direct);
        }
    }

    /** Datagrams that waited in the socket's queue while the pipeline did not read. */
    private void drainQueue() {
        UdpSocket s = socket;
        if (s == null || !readInterest || !open) {
            return;
        }
        RecvByteBufAllocator.Handle handle = unsafe().recvBufAllocHandle();
        handle.reset(config);
        ChannelPipeline pipeline = pipeline();
        try {
            do {
                ByteBuf buf = handle.allocate(config.getAllocator());
                int writable = buf.writableBytes();
                int n;
                try {
                    n = s.receive(buf.internalNioBuffer(buf.writerIndex(), writable));
                } catch (IOException e) {
                    buf.release();
                    pipeline.fireExceptionCaught(e);
                    break;
                }
                if (n < 0) {
                    buf.release();
                    break;
                }
                buf.writerIndex(buf.writerIndex() + Math.min(n, writable));
                handle.lastBytesRead(Math.min(n, writable));
                handle.incMessagesRead(1);
                pipeline.fireChannelRead(new DatagramPacket(buf, local, socketAddress(s.lastSourceAddress(), s.lastSourcePort())));
            } while (handle.continueReading());
        } finally {
            handle.readComplete();
            pipeline.fireChannelReadComplete();
        }
        if (!config.isAutoRead()) {
            readInterest = false;
            s.setHandler(null);
        } else if (s.available() > 0) {
            eventLoop().execute(this::drainQueue);
        } else {
            s.setHandler(direct);
        }
    }

    /** A datagram straight from the stack (on the loop); the region is valid only during the call. */
    private void onDatagram(UdpSocket s, ByteBuffer data, int off, int len, long srcHi, long srcLo, int srcPort) {
        if (!readInterest || !open) {
            return;
        }
        RecvByteBufAllocator.Handle handle = unsafe().recvBufAllocHandle();
        handle.reset(config);
        ByteBuf buf = handle.allocate(config.getAllocator());
        int n = Math.min(len, buf.writableBytes()); // a datagram larger than the buffer is cut, as recv(2) does
        buf.writeBytes(data.duplicate().limit(off + n).position(off));
        handle.lastBytesRead(n);
        handle.incMessagesRead(1);
        ChannelPipeline pipeline = pipeline();
        pipeline.fireChannelRead(new DatagramPacket(buf, local, socketAddress(IpAddr.of(srcHi, srcLo), srcPort)));
        handle.readComplete();
        pipeline.fireChannelReadComplete();
        if (!config.isAutoRead()) {
            readInterest = false;
            s.setHandler(null); // queue further datagrams until the next read()
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof DatagramPacket || msg instanceof ByteBuf) {
            return msg;
        }
        if (msg instanceof AddressedEnvelope<?, ?> e && e.content() instanceof ByteBuf
                && (e.recipient() == null || e.recipient() instanceof InetSocketAddress)) {
            return msg;
        }
        throw new UnsupportedOperationException("unsupported message type: " + msg.getClass().getName()
                + " (expected DatagramPacket, AddressedEnvelope<ByteBuf, InetSocketAddress> or ByteBuf)");
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        UdpSocket s = socket();
        while (true) {
            Object msg = in.current();
            if (msg == null) {
                return;
            }
            try {
                ByteBuf data;
                InetSocketAddress to;
                if (msg instanceof AddressedEnvelope<?, ?> e) {
                    data = (ByteBuf) e.content();
                    to = (InetSocketAddress) e.recipient();
                } else {
                    data = (ByteBuf) msg;
                    to = null;
                }
                if (to == null) {
                    if (!connected) {
                        throw new NotYetConnectedException();
                    }
                    to = remote;
                }
                IpAddr dst = ipAddr(to);
                ByteBuffer nio = data.nioBufferCount() == 1
                        ? data.internalNioBuffer(data.readerIndex(), data.readableBytes())
                        : data.nioBuffer();
                // a datagram the stack has no buffer for is dropped, as UDP may (RFC 768)
                s.sendTo(nio, nio.position(), nio.remaining(), dst.hi(), dst.lo(), to.getPort());
                in.remove();
            } catch (IOException e) {
                in.remove(TapstackErrors.map(e)); // the next datagram may fare better (NIO continues too)
            } catch (RuntimeException e) {
                in.remove(e);
            }
        }
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
                if (!promise.setUncancellable() || !ensureOpen(promise)) {
                    return;
                }
                try {
                    boolean wasActive = isActive();
                    doConnect(remoteAddress, localAddress);
                    promise.trySuccess();
                    if (!wasActive && isActive()) {
                        pipeline().fireChannelActive();
                    }
                } catch (Throwable t) {
                    promise.tryFailure(t);
                    closeIfClosed();
                }
            }
        };
    }

    // ------------------------------------------------------------ multicast: not offered

    private ChannelFuture noMulticast(ChannelPromise p) {
        p.setFailure(new UnsupportedOperationException("tapstack offers no multicast membership to applications"));
        return p;
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
                                   ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface, InetAddress source) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface, InetAddress source,
                                   ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
                                    ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface, InetAddress source) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface, InetAddress source,
                                    ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface, InetAddress sourceToBlock) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface, InetAddress sourceToBlock,
                               ChannelPromise future) {
        return noMulticast(future);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock) {
        return noMulticast(newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock, ChannelPromise future) {
        return noMulticast(future);
    }
}
