package io.tapstack.bench.cli;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.tapstack.netty.TapstackHost;
import io.tapstack.netty.TapstackServerSocketChannel;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Where a Netty server of this CLI runs ({@code --bind}, {@code --port}): {@code --transport epoll} in the kernel's network stack
 * (one I/O thread), {@code --transport tapstack} on tapstack over a TAP ({@code --tap},
 * {@code --ipv4}, {@code --offload}). The only difference a server sees is the group and the
 * server channel class.
 */
final class NettyTransportOptions {
    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--transport", defaultValue = "epoll", paramLabel = "epoll|tapstack",
            description = "epoll: the kernel's stack; tapstack: tapstack on --tap (default ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--tap", paramLabel = "NAME", description = "With --transport tapstack: the TAP to attach to (created if absent).")
    String tap;

    @Option(names = "--ipv4", paramLabel = "ADDR/LEN", description = "With --transport tapstack: the host's IPv4 address, e.g. 10.0.0.2/24.")
    String ipv4;

    @Option(names = "--offload", defaultValue = "none", paramLabel = "LIST",
            description = "With --transport tapstack: virtio-net offloads, none or csum,tso,lro (default ${DEFAULT-VALUE}).")
    String offload;

    @Option(names = "--idle", paramLabel = "hybrid|sleep",
            description = "With --transport tapstack: the loop's idle policy, as tapstack run --idle (default: the transport's).")
    String idle;

    @Option(names = "--warm-up", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --transport tapstack: the JIT warm-up once the host is open (default on; --no-warm-up skips it, as tapstack run).")
    boolean warmUp = true;

    /** An opened transport: the group and server channel class a {@code ServerBootstrap} takes. */
    static final class Opened implements AutoCloseable {
        final EventLoopGroup group;
        final Class<? extends ServerChannel> serverChannel;
        private final TapstackHost host;

        private Opened(EventLoopGroup group, Class<? extends ServerChannel> serverChannel, TapstackHost host) {
            this.group = group;
            this.serverChannel = serverChannel;
            this.host = host;
        }

        @Override
        public void close() throws InterruptedException {
            if (host != null) {
                host.close();
            } else {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    /** The server's address: {@code --bind} and {@code --port}. */
    InetSocketAddress address() {
        return new InetSocketAddress(bind, port);
    }

    Opened open() {
        boolean onTapstack = "tapstack".equals(transport);
        if (!onTapstack && !"epoll".equals(transport)) {
            throw new BenchError("--transport must be epoll or tapstack");
        }
        if (!onTapstack && idle != null) {
            throw new BenchError("--idle is for --transport tapstack (epoll's loop is Netty's own)");
        }
        if (onTapstack && (tap == null || ipv4 == null)) {
            throw new BenchError("--transport tapstack needs --tap and --ipv4");
        }
        if (!onTapstack && !Epoll.isAvailable()) {
            throw new BenchError("Netty's epoll transport is not available: " + Epoll.unavailabilityCause());
        }
        // the only lines that differ between the two transports: the group and the channel class
        if (onTapstack) {
            TapstackHost.Builder b = TapstackHost.tap(tap).ipv4(ipv4).offloads(offload);
            if (idle != null) {
                if (io.tapstack.loop.IdlePolicy.named(idle, 0) == null) {
                    throw new BenchError("--idle must be hybrid or sleep, not '" + idle + "'");
                }
                b.idle(() -> io.tapstack.loop.IdlePolicy.named(idle, 0)); // one policy per loop
            }
            TapstackHost host = b.warmUp(warmUp).open();
            return new Opened(host.group(), TapstackServerSocketChannel.class, host);
        }
        return new Opened(new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()), EpollServerSocketChannel.class, null);
    }

    /**
     * SIGINT/SIGTERM as an orderly stop: the handler only signals the main thread, which shuts
     * the server down and exits 0 (as {@code tapstack run} does).
     */
    static void onTermination(Runnable r) {
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> r.run());
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> r.run());
    }
}
