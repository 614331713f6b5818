package io.tapstack.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.tapstack.context.StackConfig;
import io.tapstack.netty.TapstackDatagramChannel;
import io.tapstack.netty.TapstackHost;
import io.tapstack.netty.TapstackServerSocketChannel;
import io.tapstack.netty.TapstackSocketChannel;
import io.tapstack.tcp.TcpConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.MacAddress;

import java.util.List;

/**
 * Bootstraps for Netty's testsuite, as Netty's epoll transport supplies them: server and client
 * both on one tapstack host (on a link to nowhere), talking through local delivery on
 * 127.0.0.1 and ::1 as the suite's addresses are. One host for the whole run (the suite makes
 * thousands of channels; the loop thread is a daemon).
 */
public final class TapstackSocketTestPermutation {
    public static final TapstackSocketTestPermutation INSTANCE = new TapstackSocketTestPermutation();

    static final TapstackHost HOST = host();

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

    public List<BootstrapFactory<ServerBootstrap>> serverSocket() {
        return List.of(() -> new ServerBootstrap().group(HOST.group()).channel(TapstackServerSocketChannel.class));
    }

    public List<BootstrapFactory<Bootstrap>> clientSocket() {
        return List.of(() -> new Bootstrap().group(HOST.group()).channel(TapstackSocketChannel.class));
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
