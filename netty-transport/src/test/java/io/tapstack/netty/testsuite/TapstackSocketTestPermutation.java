package io.tapstack.netty.testsuite;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.tapstack.context.StackConfig;
import io.netty.util.NetUtil;
import io.tapstack.netty.TapstackDatagramChannel;
import io.tapstack.netty.TapstackEventLoopGroup;
import io.tapstack.netty.TapstackHost;
import io.tapstack.netty.TapstackServerSocketChannel;
import io.tapstack.netty.TapstackSocketChannel;
import io.tapstack.tcp.TcpConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.MacAddress;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Bootstraps for Netty's testsuite, as Netty's epoll transport supplies them. Two permutations:
 * <ul>
 * <li>local (the default, {@code mvn test}): server and client both on one tapstack host (on a
 * link to nowhere), talking through local delivery on the suite's address, ::1.</li>
 * <li>kernel (system property {@code tapstack.testsuite=kernel}; failsafe runs the JVM in a
 * namespace of its own with a TAP, {@code src/test/netns-jvm/bin/java}): tapstack on tap0 as
 * 10.98.0.2, Netty's NIO transport in the kernel as 10.98.0.1; every socket test runs twice,
 * server on tapstack with the client on NIO, and server on NIO with the client on tapstack. A
 * test's own kernel sockets ({@code java.net.Socket}, {@code ServerSocket}) are the other side
 * of a tapstack client or server.</li>
 * </ul>
 * One host for the whole run (the suite makes thousands of channels; the loop thread is a daemon).
 */
public final class TapstackSocketTestPermutation {
    public static final TapstackSocketTestPermutation INSTANCE = new TapstackSocketTestPermutation();

    /** True in the kernel permutation. */
    static final boolean KERNEL = "kernel".equals(System.getProperty("tapstack.testsuite"));
    static final InetAddress TAPSTACK_IP = ip("10.98.0.2");
    static final InetAddress KERNEL_IP = ip("10.98.0.1");

    static final TapstackHost HOST = KERNEL ? TapstackHost.tap("tap0").ipv4("10.98.0.2/24").open() : host();
    /** Netty's NIO transport in the kernel (kernel permutation only). */
    static final EventLoopGroup NIO = KERNEL ? new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory()) : null;

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where a test's server binds: the suite's ::1, or in the kernel permutation the side of the TAP the server is on. */
    static SocketAddress serverAddress(AbstractBootstrap<?, ?> server) {
        if (!KERNEL) {
            return new InetSocketAddress(NetUtil.LOCALHOST, 0);
        }
        boolean onTapstack = server == null || server.config().group() instanceof TapstackEventLoopGroup;
        return new InetSocketAddress(onTapstack ? TAPSTACK_IP : KERNEL_IP, 0);
    }

    /** Where a test's own kernel server binds for a tapstack client. */
    static SocketAddress kernelServerAddress() {
        return KERNEL ? new InetSocketAddress(KERNEL_IP, 0) : new InetSocketAddress(NetUtil.LOCALHOST, 0);
    }

    private static TapstackHost host() {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(0x020000000099L);
        c.ipv4.add(InterfaceAddress.parse("10.99.0.2/24"));
        c.ipv6.add(Ipv6InterfaceAddress.parse("fd99::2/64"));
        c.ipv6Auto = false;
        c.dadTransmits = 0;
        TcpConfig t = new TcpConfig();
        return TapstackHost.onLinks(List.of(new NullLink()), c, t);
    }

    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket() {
        if (KERNEL) {
            return List.of(combo(tapstackServer(), nioClient()), combo(nioServer(), tapstackClient()));
        }
        return List.of(new BootstrapComboFactory<>() {
            @Override
            public ServerBootstrap newServerInstance() {
                return serverSocket().get(0).newInstance();
            }

            @Override
            public Bootstrap newClientInstance() {
                return clientSocket().get(0).newInstance();
            }
        });
    }

    private static BootstrapComboFactory<ServerBootstrap, Bootstrap> combo(BootstrapFactory<ServerBootstrap> s,
                                                                            BootstrapFactory<Bootstrap> c) {
        return new BootstrapComboFactory<>() {
            @Override
            public ServerBootstrap newServerInstance() {
                return s.newInstance();
            }

            @Override
            public Bootstrap newClientInstance() {
                return c.newInstance();
            }
        };
    }

    private static BootstrapFactory<ServerBootstrap> tapstackServer() {
        return () -> new ServerBootstrap().group(HOST.group()).channel(TapstackServerSocketChannel.class);
    }

    private static BootstrapFactory<Bootstrap> tapstackClient() {
        return () -> new Bootstrap().group(HOST.group()).channel(TapstackSocketChannel.class);
    }

    private static BootstrapFactory<ServerBootstrap> nioServer() {
        return () -> new ServerBootstrap().group(NIO).channel(NioServerSocketChannel.class);
    }

    private static BootstrapFactory<Bootstrap> nioClient() {
        return () -> new Bootstrap().group(NIO).channel(NioSocketChannel.class);
    }

    public List<BootstrapFactory<ServerBootstrap>> serverSocket() {
        return List.of(tapstackServer());
    }

    public List<BootstrapFactory<Bootstrap>> clientSocket() {
        return List.of(tapstackClient());
    }

    public List<BootstrapFactory<Bootstrap>> datagramSocket() {
        return List.of(() -> new Bootstrap().group(HOST.group()).channel(TapstackDatagramChannel.class));
    }

    public List<BootstrapComboFactory<Bootstrap, Bootstrap>> datagram() {
        return List.of(new BootstrapComboFactory<>() {
            @Override
            public Bootstrap newServerInstance() {
                return new Bootstrap().group(HOST.group()).channel(TapstackDatagramChannel.class);
            }

            @Override
            public Bootstrap newClientInstance() {
                return new Bootstrap().group(HOST.group()).channel(TapstackDatagramChannel.class);
            }
        });
    }
}
