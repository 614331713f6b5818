package io.tapstack.bench.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Netty example servers built only from Netty's own codecs, to run on tapstack as a Netty user
 * would ({@code --transport tapstack}) or on the kernel ({@code --transport epoll}):
 * <ul>
 * <li>{@code h2c}: HTTP/2 over cleartext with prior knowledge (RFC 9113 §3.3), Netty's
 * {@code Http2FrameCodec} and {@code Http2MultiplexHandler}, one child channel per stream.
 * {@code GET /bytes/N} answers N bytes (byte i is {@code i % 251}, N up to 64 MiB), another request
 * without a body {@code hello over h2c, stream S}, a request with a body
 * {@code received N bytes sha256 HEX} once the body has ended (both directions beyond the
 * initial 64 KiB window: HTTP/2 flow control, RFC 9113 §5.2, by Netty's codec).</li>
 * <li>{@code websocket}: HTTP/1.1 upgraded to WebSocket at {@code /ws} (RFC 6455 §4.2, Netty's
 * {@code WebSocketServerProtocolHandler}); a text message comes back as {@code echo: TEXT}, a
 * binary one unchanged; other paths get 404.</li>
 * </ul>
 * Runs until SIGINT/SIGTERM.
 */
@Command(name = "netty-example", mixinStandardHelpOptions = true,
        description = "Netty example server (h2c: HTTP/2 with prior knowledge; websocket: echo at /ws), on kernel epoll or on tapstack.")
public final class NettyExampleCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "h2c|websocket", description = "Which example.")
    String example;

    @Mixin
    NettyTransportOptions where;

    @Override
    public Integer call() throws Exception {
        ChannelInitializer<SocketChannel> init = switch (example) {
            case "h2c" -> new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                            new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                @Override
                                protected void initChannel(Http2StreamChannel stream) {
                                    stream.pipeline().addLast(new H2Hello());
                                }
                            }));
                }
            };
            case "websocket" -> new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ChannelPipeline p = ch.pipeline();
                    p.addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                            new WebSocketServerProtocolHandler("/ws", null, false, 1 << 20), new WsEcho(), new NotFound());
                }
            };
            default -> throw new BenchError("example must be h2c or websocket, not '" + example + "'");
        };
        CountDownLatch stop = new CountDownLatch(1);
        NettyTransportOptions.onTermination(stop::countDown);
        try (NettyTransportOptions.Opened t = where.open()) {
            Channel ch = new ServerBootstrap().group(t.group).channel(t.serverChannel).childHandler(init)
                    .bind(where.address()).sync().channel();
            System.out.println("netty-example: ready " + example + " port=" + where.port + " transport=" + where.transport);
            System.out.flush();
            stop.await();
            ch.close().sync();
        }
        return 0;
    }

    /** One HTTP/2 stream: N bytes for GET /bytes/N, hello for another request without a body, a digest of a body. */
    private static final class H2Hello extends SimpleChannelInboundHandler<Http2StreamFrame> {
        private static final int MAX_BYTES = 64 << 20;
        private final MessageDigest sha256 = sha256();
        private long received;

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void answer(ChannelHandlerContext ctx, ByteBuf body) {
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
            if (frame instanceof Http2HeadersFrame h && h.isEndStream()) {
                String path = String.valueOf(h.headers().path());
                int n = path.startsWith("/bytes/") ? parseSize(path.substring(7)) : -1;
                if (n >= 0) {
                    ByteBuf body = ctx.alloc().buffer(n);
                    for (int i = 0; i < n; i++) {
                        body.writeByte(i % 251);
                    }
                    answer(ctx, body);
                } else {
                    answer(ctx, ByteBufUtil.writeAscii(ctx.alloc(), "hello over h2c, stream " + h.stream().id() + "\n"));
                }
            } else if (frame instanceof Http2DataFrame d) {
                received += d.content().readableBytes();
                sha256.update(d.content().nioBuffer());
                if (d.isEndStream()) {
                    answer(ctx, ByteBufUtil.writeAscii(ctx.alloc(),
                            "received " + received + " bytes sha256 " + HexFormat.of().formatHex(sha256.digest()) + "\n"));
                }
            }
        }

        private static int parseSize(String s) {
            try {
                int n = Integer.parseInt(s);
                return n <= MAX_BYTES ? n : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /** Echoes WebSocket messages: text as "echo: TEXT", binary unchanged. */
    private static final class WsEcho extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame text) {
                ctx.writeAndFlush(new TextWebSocketFrame("echo: " + text.text()));
            } else if (frame instanceof BinaryWebSocketFrame bin) {
                ctx.writeAndFlush(new BinaryWebSocketFrame(bin.content().retain()));
            }
        }
    }

    /** Any plain HTTP request that is not the WebSocket handshake. */
    private static final class NotFound extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            DefaultFullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
                    Unpooled.copiedBuffer("websocket at /ws\n", StandardCharsets.US_ASCII));
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
