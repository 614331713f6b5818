package io.tapstack.bench.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The comparison server for benchmarks: Netty with one I/O thread, serving the regular files of
 * a directory from memory over HTTP/1.1 keep-alive — the same bytes tapstack's http service
 * serves. With {@code --transport epoll} (default) it runs in the kernel's network stack (e.g. a
 * namespace on a veth); with {@code --transport tapstack} the very same server runs on tapstack
 * over a TAP ({@code --tap}, {@code --ipv4}): only the group and the channel class change.
 * Runs until SIGINT/SIGTERM.
 */
@Command(name = "netty-http", mixinStandardHelpOptions = true,
        description = "Benchmark server: Netty (one I/O thread) HTTP server of a directory's files, on kernel epoll or on tapstack.")
public final class NettyHttpCommand implements Callable<Integer> {
    @Option(names = "--root", required = true, paramLabel = "DIR", description = "Directory whose files are served.")
    Path root;

    @Option(names = "--echo-port", defaultValue = "0", description = "Also serve TCP echo on this port (0 = no).")
    int echoPort;

    @Mixin
    NettyTransportOptions where;

    @Option(names = "--stats-socket", paramLabel = "PATH",
            description = "Answer each connection to this Unix socket with one line: 'allocated_bytes N', the bytes all live threads "
                    + "of this JVM have allocated on the heap so far (HotSpot's per-thread counters); outside both network stacks.")
    Path statsSocket;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(root)) {
            throw new BenchError("--root " + root + " is not a directory");
        }
        Map<String, byte[]> files = new HashMap<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p) && Files.size(p) < (64 << 20)) {
                    files.put("/" + p.getFileName(), Files.readAllBytes(p));
                }
            }
        }
        CountDownLatch stop = new CountDownLatch(1);
        NettyTransportOptions.onTermination(stop::countDown);
        try (NettyTransportOptions.Opened t = where.open()) {
            EventLoopGroup group = t.group;
            Class<? extends ServerChannel> channel = t.serverChannel;
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(channel)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler(files));
                        }
                    });
            Channel ch = b.bind(where.address()).sync().channel();
            Channel echo = null;
            if (echoPort > 0) {
                echo = new ServerBootstrap().group(group).channel(channel)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel c) {
                                c.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ctx.writeAndFlush(msg);
                                    }
                                });
                            }
                        }).bind(new InetSocketAddress(where.bind, echoPort)).sync().channel();
            }
            if (statsSocket != null) {
                AllocationStats.serve(statsSocket);
            }
            System.out.println("netty-http: ready port=" + where.port + " files=" + files.size() + " transport=" + where.transport);
            System.out.flush();
            stop.await();
            ch.close().sync();
            if (echo != null) {
                echo.close().sync();
            }
        }
        return 0;
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, byte[]> files;

        Handler(Map<String, byte[]> files) {
            this.files = files;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            byte[] body = files.get(req.uri());
            HttpResponseStatus status = body == null ? HttpResponseStatus.NOT_FOUND : HttpResponseStatus.OK;
            if (body == null) {
                body = "not found\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            }
            boolean head = req.method().equals(HttpMethod.HEAD);
            ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (keepAlive) {
                resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(resp);
            } else {
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
