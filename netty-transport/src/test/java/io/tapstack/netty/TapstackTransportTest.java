package io.tapstack.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.tapstack.TwoHosts;
import io.tapstack.blocking.ThreadedPairLink;
import io.tapstack.link.LinkCounter;
import io.tapstack.tcp.TcpConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Netty bootstraps on two tapstack hosts joined by an in-memory wire, and on one host talking to itself. */
@Timeout(60)
class TapstackTransportTest {
    static final String IP_A = "10.0.0.1";
    static final String IP_B = "10.0.0.2";
    TapstackHost a;
    TapstackHost b;

    void twoHosts() {
        ThreadedPairLink[] w = ThreadedPairLink.create();
        a = TapstackHost.onLinks(List.of(w[0]), TwoHosts.config(TwoHosts.IP_A, 0x020000000001L), new TcpConfig());
        b = TapstackHost.onLinks(List.of(w[1]), TwoHosts.config(TwoHosts.IP_B, 0x020000000002L), new TcpConfig());
    }

    @AfterEach
    void tearDown() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    /** Echoes what it reads; closes after the peer's FIN. */
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Collects what arrives; completes at end of stream. */
    static final class Collect extends SimpleChannelInboundHandler<ByteBuf> {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        final int expect;

        Collect(int expect) {
            this.expect = expect;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            byte[] b = new byte[msg.readableBytes()];
            msg.readBytes(b);
            bytes.write(b, 0, b.length);
            if (bytes.size() >= expect) {
                done.complete(bytes.toByteArray());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.complete(bytes.toByteArray());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
        }
    }

    private Channel echoServer(TapstackHost host, String bindTo, int port) throws InterruptedException {
        return new ServerBootstrap()
                .group(host.group())
                .channel(TapstackServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Echo());
                    }
                })
                .bind(bindTo, port).sync().channel();
    }

    private byte[] echoThrough(TapstackHost client, String host, int port, byte[] data) throws Exception {
        Collect collect = new Collect(data.length);
        Channel c = new Bootstrap()
                .group(client.group())
                .channel(TapstackSocketChannel.class)
                .handler(collect)
                .connect(host, port).sync().channel();
        assertTrue(c.isActive());
        assertInstanceOf(TapstackSocketChannel.class, c);
        assertEquals(new InetSocketAddress(host, port), c.remoteAddress());
        c.writeAndFlush(Unpooled.wrappedBuffer(data)).sync();
        byte[] got = collect.done.get(30, TimeUnit.SECONDS);
        c.close().sync();
        return got;
    }

    @Test
    void loopsRunOnNettysFastThreadLocalThreads() throws Exception {
        // Netty's allocators cache per thread and its Recycler pools objects only on such threads
        twoHosts();
        Boolean[] seen = new Boolean[2];
        a.group().next().submit(() -> {
            seen[0] = Thread.currentThread() instanceof FastThreadLocalThread;
            seen[1] = FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals();
        }).get(10, TimeUnit.SECONDS);
        assertEquals(true, seen[0], "the loop's thread is a FastThreadLocalThread");
        assertEquals(true, seen[1], "and cleans up its fast thread-locals when it ends");
    }

    @Test
    void theIdlePolicyIsChosenPerHost() throws Exception {
        // a: the transport's default, hybrid (spins 20 µs after work); b: asked to sleep (never spins)
        ThreadedPairLink[] w = ThreadedPairLink.create();
        a = TapstackHost.onLinks(List.of(w[0]), TwoHosts.config(TwoHosts.IP_A, 0x020000000001L), new TcpConfig());
        b = TapstackHost.onLinks(List.of(w[1]), TwoHosts.config(TwoHosts.IP_B, 0x020000000002L), new TcpConfig(),
                () -> io.tapstack.loop.IdlePolicy.spinOnly(0));
        echoServer(a, "0.0.0.0", 7000);
        byte[] data = new byte[1 << 16];
        new Random(2).nextBytes(data);
        assertArrayEquals(data, echoThrough(b, IP_A, 7000, data));
        assertTrue(idleSpins(a) > 0, "the default (hybrid) spun after work: " + idleSpins(a));
        assertEquals(0L, idleSpins(b), "a sleeping loop never spins");
    }

    private static long idleSpins(TapstackHost h) throws Exception {
        io.tapstack.EventLoop l = h.group().loops().get(0).tapstackLoop();
        return l.call(() -> l.idleCounters()[0]).get(10, TimeUnit.SECONDS); // idle_spins
    }

    @Test
    void echoBetweenTwoHostsThroughServerBootstrapAndBootstrap() throws Exception {
        twoHosts();
        echoServer(a, "0.0.0.0", 7000);
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        assertArrayEquals(data, echoThrough(b, IP_A, 7000, data));
    }

    @Test
    void clientAndServerInOneHostTalkThroughLocalDelivery() throws Exception {
        twoHosts();
        Channel server = echoServer(a, "127.0.0.1", 0); // port 0: the transport picks a free one
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        assertTrue(port > 0);
        byte[] data = new byte[200_000];
        new Random(2).nextBytes(data);
        long sentBefore = a.stacks().get(0).linkStats().get(LinkCounter.TX_FRAMES);
        assertArrayEquals(data, echoThrough(a, "127.0.0.1", port, data));
        assertTrue(a.stacks().get(0).linkStats().get(LinkCounter.LOCAL_DELIVERED) > 100);
        assertTrue(a.stacks().get(0).linkStats().get(LinkCounter.TX_FRAMES) - sentBefore < 5,
                "the conversation with itself did not go to the link");
    }

    @Test
    void connectionRefusedIsAConnectException() throws Exception {
        twoHosts();
        ChannelFuture f = new Bootstrap().group(b.group()).channel(TapstackSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).connect(IP_A, 7999).await();
        assertFalse(f.isSuccess());
        assertInstanceOf(ConnectException.class, f.cause());
        assertFalse(f.channel().isOpen());
    }

    @Test
    void connectTimeoutFiresWhenNoOneAnswers() throws Exception {
        twoHosts();
        long t0 = System.nanoTime();
        // 10.0.0.9 is on the link but nobody answers ARP: the SYN never leaves
        ChannelFuture f = new Bootstrap().group(b.group()).channel(TapstackSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 300)
                .handler(new ChannelInboundHandlerAdapter()).connect("10.0.0.9", 80).await();
        assertInstanceOf(ConnectTimeoutException.class, f.cause());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250 && ms < 5000, "timed out after " + ms + " ms");
        assertFalse(f.channel().isOpen());
    }

    @Test
    void halfClosureDeliversInputShutdownAndTheOtherDirectionStillWorks() throws Exception {
        twoHosts();
        CompletableFuture<Object> serverSawEof = new CompletableFuture<>();
        new ServerBootstrap().group(a.group()).channel(TapstackServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof ChannelInputShutdownEvent) {
                            serverSawEof.complete(evt);
                            // the server may still answer after the client's FIN
                            ctx.writeAndFlush(Unpooled.copiedBuffer("after-fin".getBytes())).addListener(f -> ctx.close());
                        }
                    }
                }).bind(7001).sync();
        Collect collect = new Collect(Integer.MAX_VALUE);
        SocketChannel c = (SocketChannel) new Bootstrap().group(b.group()).channel(TapstackSocketChannel.class)
                .handler(collect).connect(IP_A, 7001).sync().channel();
        c.shutdownOutput().sync();
        assertTrue(c.isOutputShutdown());
        assertSame(ChannelInputShutdownEvent.INSTANCE, serverSawEof.get(10, TimeUnit.SECONDS));
        assertEquals("after-fin", new String(collect.done.get(10, TimeUnit.SECONDS)));
    }

    @Test
    void soLingerZeroResetsThePeer() throws Exception {
        twoHosts();
        AtomicReference<Throwable> serverError = new AtomicReference<>();
        CompletableFuture<Void> serverClosed = new CompletableFuture<>();
        new ServerBootstrap().group(a.group()).channel(TapstackServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        serverError.set(cause);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        serverClosed.complete(null);
                    }
                }).bind(7002).sync();
        Channel c = new Bootstrap().group(b.group()).channel(TapstackSocketChannel.class)
                .option(ChannelOption.SO_LINGER, 0)
                .handler(new ChannelInboundHandlerAdapter()).connect(IP_A, 7002).sync().channel();
        c.writeAndFlush(Unpooled.copiedBuffer("x".getBytes())).sync();
        Thread.sleep(100);
        c.close().sync();
        serverClosed.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IOException.class, serverError.get(), "the RST reaches the server as an IOException");
    }

    @Test
    void optionsMapOntoTheConnection() throws Exception {
        twoHosts();
        echoServer(a, "0.0.0.0", 7003);
        SocketChannel c = (SocketChannel) new Bootstrap().group(b.group()).channel(TapstackSocketChannel.class)
                .option(ChannelOption.SO_RCVBUF, 32 * 1024)
                .option(ChannelOption.SO_SNDBUF, 48 * 1024)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInboundHandlerAdapter()).connect(IP_A, 7003).sync().channel();
        assertEquals(32 * 1024, c.config().getReceiveBufferSize());
        assertEquals(48 * 1024, c.config().getSendBufferSize());
        assertTrue(c.config().isKeepAlive());
        assertTrue(c.config().isTcpNoDelay(), "TCP_NODELAY on by default, as in Netty's transports");
        TapstackSocketChannel t = (TapstackSocketChannel) c;
        assertEquals(32 * 1024, c.eventLoop().submit(() -> t.connection().receiveBufferSize()).get());
        assertNotNull(c.localAddress());
        c.close().sync();
    }

    @Test
    void datagramsBothWaysThroughBootstrap() throws Exception {
        twoHosts();
        // server: answers each datagram with its content upper-cased
        new Bootstrap().group(a.group()).channel(TapstackDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<io.netty.channel.socket.DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, io.netty.channel.socket.DatagramPacket p) {
                        String s = p.content().toString(java.nio.charset.StandardCharsets.US_ASCII).toUpperCase();
                        ctx.writeAndFlush(new io.netty.channel.socket.DatagramPacket(
                                Unpooled.copiedBuffer(s, java.nio.charset.StandardCharsets.US_ASCII), p.sender()));
                    }
                }).bind(5300).sync();
        CompletableFuture<io.netty.channel.socket.DatagramPacket> got = new CompletableFuture<>();
        Channel c = new Bootstrap().group(b.group()).channel(TapstackDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<io.netty.channel.socket.DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, io.netty.channel.socket.DatagramPacket p) {
                        got.complete(p.retain());
                    }
                }).bind(0).sync().channel();
        assertTrue(((InetSocketAddress) c.localAddress()).getPort() > 0);
        c.writeAndFlush(new io.netty.channel.socket.DatagramPacket(
                Unpooled.copiedBuffer("hello", java.nio.charset.StandardCharsets.US_ASCII), new InetSocketAddress(IP_A, 5300))).sync();
        io.netty.channel.socket.DatagramPacket reply = got.get(10, TimeUnit.SECONDS);
        try {
            assertEquals("HELLO", reply.content().toString(java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(new InetSocketAddress(IP_A, 5300), reply.sender());
        } finally {
            reply.release();
        }
        c.close().sync();
    }
}
